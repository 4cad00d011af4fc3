"""`ec-task`: exit statuses, one-line errors naming the parameter, results files, and whole
runs through the real client against recorded API-server responses on loopback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fakeapi import Reply, recorded, recorded_lines, serve

from scripts.tasks.cli import main

NS = "team-a-tenant"
NAME = "e2e-ocp-4k9tz-provision-cluster"
CLAIMS = f"/apis/ci.openshift.org/v1alpha1/namespaces/{NS}/testplatformclusters"
SECRETS = f"/api/v1/namespaces/{NS}/secrets"
TOKEN = "sha256~FAKE-recorded-token"
BASE = [
    "provision",
    f"--claimName={NAME}",
    f"--namespace={NS}",
    "--ownerName=e2e-ocp-4k9tz",
    "--ownerUid=3c2b1a09-8f7e-4d6c-9b5a-493827160504",
    "--workflow=ipi-aws",
    "--clusterProfile=aws",
    '--releases={"initial":{"integration":{"name":"4.20","namespace":"ocp"}}}',
]


def run(argv: list[str], **kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def never_connect(_: str | None) -> object:
    raise AssertionError("bad input must be refused before connecting")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ownerKind=Pod"], "param ownerKind: 'Pod' is not one of PipelineRun, TaskRun"),
        (["--ownerUid="], "param ownerUid: is required and was empty"),
        (["--workflow= "], "param workflow: is required and was empty"),
        (["--releases={nope"], "param releases: not valid JSON"),
        (["--buildRoot=[1]"], "param buildRoot: must be a JSON object, got list"),
        (['--env={"A": 1}'], "param env: values must be strings; not for A"),
        (["--timeout=forever"], "param timeout: 'forever' is not a duration"),
        (["--timeout=0s"], "param timeout: '0s' must be longer than zero"),
        (["--result=bogus=/tmp/x"], "--result 'bogus=/tmp/x': expected NAME=PATH"),
        (["--no-such-option=1"], "unrecognized arguments: --no-such-option=1"),
    ],
)
def test_bad_input_is_one_line_naming_the_parameter(extra: list[str], message: str) -> None:
    code, out, err = run([*BASE, *extra], kube_factory=never_connect)
    assert code == 2
    assert out == ""
    assert err.startswith(f"ec-task: {message}")
    assert err.count("\n") == 1


def test_deprovision_needs_the_claim() -> None:
    code, _, err = run(
        [
            "deprovision",
            "--testPlatformClusterClaimName=",
            f"--testPlatformClusterClaimNamespace={NS}",
        ],
        kube_factory=never_connect,
    )
    assert code == 2
    assert err == "ec-task: param testPlatformClusterClaimName: is required and was empty\n"


def test_the_console_script_never_prints_a_traceback() -> None:
    script = Path(sys.executable).with_name("ec-task")
    done = subprocess.run(
        [str(script), *BASE, "--ownerKind=Job"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr == "ec-task: param ownerKind: 'Job' is not one of PipelineRun, TaskRun\n"


def kubeconfig(tmp_path: Path, url: str) -> Path:
    """A kubeconfig for the fake API server (what `--kubeconfig` is for outside a pod)."""
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": url}}],
                "users": [{"name": "sa", "user": {"token": "not-a-secret"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "sa"}}],
                "current-context": "fake",
            }
        ),
        encoding="utf-8",
    )
    return path


def results_args(tmp_path: Path, names: list[str]) -> list[str]:
    return [f"--result={n}={tmp_path / n}" for n in names]


def test_provision_through_the_real_client(tmp_path: Path) -> None:
    script = [
        ("POST", CLAIMS, Reply(201, recorded("claim-created.json"))),
        ("GET", CLAIMS, Reply(200, recorded("list-claim-provisioning.json"))),
        ("WATCH", CLAIMS, Reply(stream=recorded_lines("watch-claim-to-ready.jsonl"))),
        ("GET", SECRETS, Reply(200, recorded("list-secret-none.json"))),
        ("WATCH", SECRETS, Reply(stream=recorded_lines("watch-secret-added.jsonl"))),
    ]
    names = [
        "secretRef",
        "testPlatformClusterClaimName",
        "testPlatformClusterClaimNamespace",
        "prowJobURL",
    ]
    with serve(script) as api:
        config = kubeconfig(tmp_path, api.url)
        code, out, err = run([*BASE, f"--kubeconfig={config}", *results_args(tmp_path, names)])
    assert (code, err) == (0, ""), err
    assert api.script == []
    sent = api.requests[0].body
    assert sent["metadata"]["ownerReferences"][0]["kind"] == "PipelineRun"
    assert sent["metadata"]["annotations"] == {
        "ephemeralcluster.ci.openshift.io/pipeline-run-name": "e2e-ocp-4k9tz",
        "ephemeralcluster.ci.openshift.io/task-run-name": NAME,
    }
    assert sent["spec"]["writeConnectionSecretToRef"] == {"name": f"{NAME}-secret"}
    written = {n: (tmp_path / n).read_text(encoding="utf-8") for n in names}
    url = recorded("list-claim-provisioning.json")["items"][0]["status"]["prowJobURL"]
    assert written == {
        "secretRef": f"{NAME}-secret",
        "testPlatformClusterClaimName": NAME,
        "testPlatformClusterClaimNamespace": NS,
        "prowJobURL": url,
    }
    assert out.count(f"ProwJob URL: {url}") == 1
    assert out.endswith(f"SecretRef: {NAME}-secret\n")
    assert TOKEN not in out
    assert "FAKE" not in out


def test_deprovision_through_the_real_client(tmp_path: Path) -> None:
    script = [
        ("GET", f"{CLAIMS}/{NAME}", Reply(200, recorded("list-claim-ready.json")["items"][0])),
        ("PATCH", f"{CLAIMS}/{NAME}", Reply(200, recorded("claim-patched.json"))),
        ("GET", CLAIMS, Reply(200, recorded("list-claim-ready.json"))),
        ("WATCH", CLAIMS, Reply(stream=recorded_lines("watch-claim-deprovisioned.jsonl"))),
    ]
    argv = [
        "deprovision",
        f"--testPlatformClusterClaimName={NAME}",
        f"--testPlatformClusterClaimNamespace={NS}",
        "--timeout=30m",
    ]
    with serve(script) as api:
        config = kubeconfig(tmp_path, api.url)
        names = ["prowJobState", "prowJobURL"]
        code, out, err = run([*argv, f"--kubeconfig={config}", *results_args(tmp_path, names)])
    assert (code, err) == (0, ""), err
    assert api.requests[1].body == {"spec": {"tearDownCluster": True}}
    assert (tmp_path / "prowJobState").read_text(encoding="utf-8") == "success"
    assert "the ProwJob succeeded (state success)" in out


def test_a_refusal_by_the_api_server_is_one_line(tmp_path: Path) -> None:
    script = [("POST", CLAIMS, Reply(403, recorded("status-403-forbidden.json")))]
    with serve(script) as api:
        code, out, err = run([*BASE, f"--kubeconfig={kubeconfig(tmp_path, api.url)}"])
    assert code == 1
    assert out == ""
    assert err.startswith(f"ec-task: create TestPlatformCluster {NS}/{NAME}: 403 Forbidden: ")
    assert err.count("\n") == 1


def test_no_credentials_is_one_line(tmp_path: Path) -> None:
    code, _, err = run([*BASE, f"--kubeconfig={tmp_path / 'missing'}"])
    assert code == 1
    assert err.startswith("ec-task: no Kubernetes credentials: ")
    assert err.count("\n") == 1
