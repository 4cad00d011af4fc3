"""Golden tests: every example in examples/cases.yaml rendered through the real function.

The function runs as a real gRPC server (session fixture `function_target`), xp-render's CLI
renders each case exactly as examples/README.md says, and the output is compared, parsed, with
examples/expected/<case>.yaml. `UPDATE_GOLDEN=1` rewrites the expected files instead. Where a
`crossplane` binary is on PATH, `crossplane render` must produce the same documents.
"""

from __future__ import annotations

import base64
import contextlib
import difflib
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from render_helpers import crossplane_render

from scripts import examples
from scripts.render import cli

ROOT = Path(__file__).resolve().parent.parent
CASES = examples.load()
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
HEADER = (
    "# Golden output of `{command}`\n"
    "# (xp-render through the real function). Regenerate: UPDATE_GOLDEN=1 .venv/bin/pytest "
    "tests/test_examples.py\n"
)
FAKE_TOKEN = "sha256~FAKE-example-token-not-a-real-credential"
FAKE_PASSWORD = "FAKE-example-kubeadmin-password"
FAKE_KUBECONFIG_HOST = "api.ci-op-fake0001.example.invalid"


def _ids(case: examples.Case) -> str:
    return case.name


@pytest.fixture(scope="module")
def rendered(functions_file: str) -> dict[str, str]:
    """Each case's xp-render output (stdout), rendered once per module, from the repo root."""
    out: dict[str, str] = {}
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        for case in CASES:
            out[case.name] = _xp_render(case.args(functions_file))
    finally:
        os.chdir(cwd)
    return out


def _xp_render(argv: list[str]) -> str:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(argv)
    assert code == 0, f"xp-render {' '.join(argv)} failed: {stderr.getvalue()}"
    return stdout.getvalue()


def parse(text: str) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def _diff(expected: str, actual: str, name: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), f"expected/{name}", "rendered", lineterm=""
    )
    return "\n".join(lines)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_example_renders_as_its_golden(case: examples.Case, rendered: dict[str, str]) -> None:
    output = rendered[case.name]
    path = ROOT / case.expected
    if UPDATE:
        path.write_text(HEADER.format(command=case.command()) + output, encoding="utf-8")
    assert path.is_file(), f"{case.expected} is missing: run with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert parse(output) == parse(expected), _diff(expected, output, case.name)


def test_crossplane_render_produces_the_same_documents(functions_file: str) -> None:
    binary = shutil.which("crossplane")
    if binary is None:
        pytest.skip(
            "crossplane CLI not on PATH: where it is installed, `crossplane render` output is "
            "compared with the same goldens"
        )
    mismatches = []
    for case in CASES:
        output = crossplane_render(binary, case.args(functions_file), case.command())
        expected = (ROOT / case.expected).read_text(encoding="utf-8")
        if parse(output) != parse(expected):
            mismatches.append(_diff(expected, output, case.name))
    assert not mismatches, "\n\n".join(mismatches)


# What each golden must say, whoever regenerates it ------------------------------------------


def _by_key(docs: list[dict]) -> dict[str, dict]:
    return {
        d["metadata"]["annotations"]["crossplane.io/composition-resource-name"]: d
        for d in docs[1:]
        if d.get("kind") != "Result"
    }


def _conditions(xr: dict) -> dict[str, dict]:
    return {c["type"]: c for c in xr["status"]["conditions"]}


def _ec_manifest(docs: list[dict]) -> dict:
    return _by_key(docs)["ec"]["spec"]["forProvider"]["manifest"]


def _ready(docs: list[dict]) -> str:
    return _conditions(docs[0])["Ready"]["status"]


FACTS: dict[str, Callable[[list[dict]], None]] = {}


def fact(name: str) -> Callable:
    def register(check: Callable[[list[dict]], None]) -> Callable:
        FACTS[name] = check
        return check

    return register


@fact("not-created")
def _(docs: list[dict]) -> None:
    assert set(_by_key(docs)) == {"ec"}
    assert _ec_manifest(docs)["metadata"]["annotations"][
        "ephemeralcluster.ci.openshift.io/konflux-cluster"
    ] == ("kflux-example-01")
    assert _ready(docs) == "False"


@fact("no-environmentconfig")
def _(docs: list[dict]) -> None:
    assert _by_key(docs) == {}
    cond = _conditions(docs[0])["EnvironmentConfigReady"]
    assert (cond["status"], cond["reason"]) == ("False", "EnvironmentConfigNotFound")


@fact("provisioning")
def _(docs: list[dict]) -> None:
    assert set(_by_key(docs)) == {"ec"}
    assert docs[0]["status"]["phase"] == "Provisioning"
    assert _conditions(docs[0])["_ProwJobURL"]["message"].startswith("https://prow.")
    assert _ready(docs) == "False"


@fact("ready")
def _(docs: list[dict]) -> None:
    assert set(_by_key(docs)) == {"ec", "credentials"}
    assert _by_key(docs)["credentials"]["spec"]["managementPolicies"] == ["Observe"]
    assert _conditions(docs[0])["ClusterReady"]["status"] == "True"
    assert _ready(docs) == "True"


@fact("ready-status-kubeconfig")
def _(docs: list[dict]) -> None:
    assert set(_by_key(docs)) == {"ec"}
    assert _ready(docs) == "True"
    assert "kubeconfig" not in docs[0]["status"]


@fact("ready-environmentconfig-gone")
def _(docs: list[dict]) -> None:
    assert set(_by_key(docs)) == {"ec", "credentials"}  # nothing is deleted
    annotations = _ec_manifest(docs)["metadata"]["annotations"]
    assert annotations["ephemeralcluster.ci.openshift.io/konflux-cluster"] == "kflux-example-01"
    assert _conditions(docs[0])["EnvironmentConfigReady"]["status"] == "False"


@fact("failed")
def _(docs: list[dict]) -> None:
    conds = _conditions(docs[0])
    assert conds["_EphemeralClusterPhase"]["message"] == "Failed"
    assert conds["EphemeralClusterFailed"]["status"] == "True"
    assert _ready(docs) == "False"


@fact("tearing-down")
def _(docs: list[dict]) -> None:
    assert _ec_manifest(docs)["spec"]["tearDownCluster"] is True
    assert docs[0]["status"]["phase"] == "Deprovisioning"
    assert _ready(docs) == "False"


@fact("deprovisioned")
def _(docs: list[dict]) -> None:
    assert _ec_manifest(docs)["spec"]["tearDownCluster"] is True
    assert _conditions(docs[0])["ProwJobCompleted"]["status"] == "True"
    assert _ready(docs) == "False"


@fact("v2-provisioning")
def _(docs: list[dict]) -> None:
    ec = _by_key(docs)["ec"]
    assert ec["apiVersion"] == "kubernetes.m.crossplane.io/v1alpha1"
    assert ec["metadata"]["namespace"] == "team-a-tenant"
    assert ec["spec"]["providerConfigRef"]["kind"] == "ClusterProviderConfig"


@fact("v2-ready")
def _(docs: list[dict]) -> None:
    secret = _by_key(docs)["connection-secret"]
    assert secret["metadata"]["name"] == "e2e-hive-9wz4d-provision-cluster-secret"
    kubeconfig = base64.b64decode(secret["data"]["kubeconfig"]).decode()
    assert FAKE_TOKEN in kubeconfig
    assert base64.b64decode(secret["data"]["kubeAdminPassword"]).decode() == FAKE_PASSWORD
    assert _ready(docs) == "True"


def test_every_case_has_its_facts() -> None:
    assert set(FACTS) == {c.name for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_example_output_says_what_the_case_is_about(
    case: examples.Case, rendered: dict[str, str]
) -> None:
    FACTS[case.name](parse(rendered[case.name]))


# Secrets ------------------------------------------------------------------------------------


def _encoded_fragments() -> list[str]:
    kubeconfig = (ROOT / "examples" / "observed" / "ready" / "credentials.yaml").read_text(
        encoding="utf-8"
    )
    data = yaml.safe_load(kubeconfig)["status"]["atProvider"]["manifest"]["data"]
    return [data["kubeconfig"], base64.b64encode(FAKE_PASSWORD.encode()).decode()]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_no_credential_in_any_output_outside_the_v2_secret(
    case: examples.Case, rendered: dict[str, str]
) -> None:
    output = rendered[case.name]
    for plain in (FAKE_TOKEN, FAKE_PASSWORD, FAKE_KUBECONFIG_HOST):
        assert plain not in output
    docs = parse(output)
    without_v2_secret = [d for d in docs if d.get("kind") != "Secret"]
    text = yaml.safe_dump_all(without_v2_secret)
    for encoded in _encoded_fragments():
        assert encoded not in text
    assert not {"kubeconfig", "kubeAdminPassword"} & set(docs[0]["status"])


# The table, the README and the files agree --------------------------------------------------


def test_readme_shows_both_commands_for_every_case() -> None:
    readme = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    for case in CASES:
        assert case.command("crossplane render") in readme, case.name
        assert case.command("xp-render") in readme, case.name


def test_every_referenced_file_exists_and_no_golden_is_stale() -> None:
    for case in CASES:
        for path in (case.xr, case.composition, case.observed, case.required, case.expected):
            if path:
                assert (ROOT / path).exists(), path
    goldens = {p.stem for p in (ROOT / examples.EXPECTED_DIR).glob("*.yaml")}
    assert goldens == {c.name for c in CASES}
    observed = {p.name for p in (ROOT / "examples" / "observed").iterdir()}
    assert observed == {Path(c.observed).name for c in CASES if c.observed}


def test_case_lookup() -> None:
    assert examples.case("ready").observed == "examples/observed/ready"
    with pytest.raises(KeyError):
        examples.case("nope")
