"""The xp-render command line: options, output, and every error path (one line, exit code)."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import pytest
import yaml
from crossplane.function import resource
from render_helpers import spec_xrd

from scripts import procs
from scripts.render import cli, launcher
from scripts.render.fakes import (
    composition_manifest,
    function_manifest,
    passthrough,
    serve_fake,
    xr_manifest,
)

RN = "crossplane.io/composition-resource-name"
ENV: dict[str, Any] = {
    "apiVersion": "apiextensions.crossplane.io/v1beta1",
    "kind": "EnvironmentConfig",
    "metadata": {"name": "envcfg"},
    "data": {"clusterName": "kflux-prd"},
}


def dump(path: Path, *docs: dict) -> str:
    path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    return str(path)


def echo(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Shows what it received: XR spec into status, required env, credentials, context."""
    rsp = passthrough(req)
    env = req.required_resources.get("env")
    # A function asks on every call, or the next call would no longer get the resource.
    rsp.requirements.resources["env"].api_version = ENV["apiVersion"]
    rsp.requirements.resources["env"].kind = ENV["kind"]
    rsp.requirements.resources["env"].match_name = "envcfg"
    status = {
        "spec": resource.struct_to_dict(req.observed.composite.resource).get("spec", {}),
        "env": len(env.items) if env is not None else 0,
        "observed": sorted(req.observed.resources),
        "token": sorted(req.credentials["c"].credential_data.data)
        if "c" in req.credentials
        else [],
    }
    resource.update(rsp.desired.composite, {"status": status})
    resource.update(
        rsp.desired.resources["ec"],
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"replicas": 3}},
    )
    rsp.results.add(severity=fnv1.SEVERITY_NORMAL, message="rendered")
    return rsp


def fatal(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    rsp = passthrough(req)
    resource.update(rsp.desired.resources["ec"], {"apiVersion": "v1", "kind": "ConfigMap"})
    rsp.results.add(severity=fnv1.SEVERITY_FATAL, message="input.spec.x is required")
    return rsp


@pytest.fixture
def files(tmp_path):
    """XR, Composition and a Functions file pointing at an echo fake (target filled per test)."""

    def make(target: str, **fn_changes) -> list[str]:
        fn = function_manifest("fn", target, **fn_changes)
        return [
            dump(tmp_path / "xr.yaml", xr_manifest(spec={"tearDownCluster": False})),
            dump(
                tmp_path / "comp.yaml",
                composition_manifest(
                    {
                        "step": "s1",
                        "functionRef": {"name": "fn"},
                        "credentials": [
                            {
                                "name": "c",
                                "source": "Secret",
                                "secretRef": {"namespace": "ns", "name": "s"},
                            }
                        ],
                    }
                ),
            ),
            dump(tmp_path / "fns.yaml", fn),
        ]

    return make


def run(argv, capsys) -> tuple[int, list[dict], str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, list(yaml.safe_load_all(out)), err


def test_full_render_with_every_input_option(tmp_path, files, capsys):
    observed = tmp_path / "observed"
    observed.mkdir()
    dump(
        observed / "ec.yaml",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cm-1", "annotations": {RN: "ec"}},
        },
    )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ns"},
        "data": {"token": base64.b64encode(b"x").decode()},
    }
    xrd = spec_xrd({"n": {"type": "integer", "default": 2}})
    (tmp_path / "ctx.json").write_text('{"f": 1}', encoding="utf-8")
    with serve_fake(echo) as fake:
        code, docs, err = run(
            [
                *files(fake.target),
                "-o",
                observed,
                "--extra-resources",
                dump(tmp_path / "env.yaml", ENV),
                "--function-credentials",
                dump(tmp_path / "creds.yaml", secret),
                "--xrd",
                dump(tmp_path / "xrd.yaml", xrd),
                "--context-values",
                'v={"a": 1}',
                "--context-files",
                f"f={tmp_path / 'ctx.json'}",
                "--timeout",
                "30s",
                "-r",
                "-c",
                "-x",
            ],
            capsys,
        )
    assert (code, err) == (0, "")
    xr, cm, result, context = docs
    assert xr["spec"] == {"tearDownCluster": False, "n": 2}  # -x and --xrd
    assert xr["status"]["spec"] == {"tearDownCluster": False, "n": 2}
    assert xr["status"]["env"] == 1
    assert xr["status"]["observed"] == ["ec"]
    assert xr["status"]["token"] == ["token"]
    assert xr["status"]["conditions"][0]["message"] == "Unready resources: ec"
    assert cm["metadata"]["name"] == "cm-1"
    assert cm["data"] == {"replicas": 3}
    assert result == {
        "apiVersion": "render.crossplane.io/v1beta1",
        "kind": "Result",
        "step": "s1",
        "severity": "SEVERITY_NORMAL",
        "message": "rendered",
    }
    assert context == {
        "apiVersion": "render.crossplane.io/v1beta1",
        "kind": "Context",
        "fields": {"v": {"a": 1}, "f": {"f": 1}},
    }
    assert len(fake.requests) == 2  # the requirement was satisfied on the second call


def test_default_output_is_xr_and_composed_resources_only(tmp_path, files, capsys):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"}}
    with serve_fake(echo) as fake:
        code, docs, _ = run(
            [
                *files(fake.target),
                "-e",
                dump(tmp_path / "env.yaml", ENV),
                "--function-credentials",
                dump(tmp_path / "c.yaml", secret),
            ],
            capsys,
        )
    assert code == 0
    assert [d["kind"] for d in docs] == ["XTestPlatformCluster", "ConfigMap"]
    assert "spec" not in docs[0]


def test_start_function_routes_to_the_started_process(tmp_path, capsys, monkeypatch):
    fake_cmd = [sys.executable, "-m", "scripts.render.fakes"]
    monkeypatch.setattr(cli, "running_function", lambda: launcher.running_function(fake_cmd))
    argv = [
        dump(tmp_path / "xr.yaml", xr_manifest()),
        dump(tmp_path / "comp.yaml", composition_manifest(("s1", "function-ephemeral-cluster"))),
        dump(tmp_path / "fns.yaml", function_manifest("function-ephemeral-cluster")),
        "--start-function",
    ]
    code, docs, err = run(argv, capsys)
    assert (code, err) == (0, "")
    assert docs[1]["metadata"]["annotations"][RN] == "probe"


# Error paths: exit code, one line on stderr, nothing on stdout ------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--timeout", "5x"],
        ["--timeout", "0s"],
        ["--context-values", "novalue"],
        ["--context-files", "=x"],
        ["--no-such-option"],
    ],
)
def test_bad_arguments_exit_2(files, capsys, extra):
    with pytest.raises(SystemExit) as exc:
        cli.main([*files("127.0.0.1:1"), *extra])
    out, err = capsys.readouterr()
    assert exc.value.code == 2
    assert out == ""
    assert "xp-render: error:" in err


def test_missing_positional_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["xr.yaml"])
    assert exc.value.code == 2
    assert "the following arguments are required" in capsys.readouterr().err


def _replace(path: str, **changes) -> None:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        node = doc
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node[key]
        node[leaf] = value
    Path(path).write_text(yaml.safe_dump(doc), encoding="utf-8")


@contextlib.contextmanager
def _no_server():
    yield None


@pytest.mark.parametrize(
    ("handler", "mutate", "message"),
    [
        (None, lambda p: Path(p[0]).unlink(), "cannot read"),
        (
            None,
            lambda p: Path(p[1]).write_text("a: [", encoding="utf-8"),
            "cannot parse YAML in",
        ),
        (
            None,
            lambda p: _replace(p[1], spec__compositeTypeRef__kind="Other"),
            "compositeTypeRef.kind (Other) does not match XR's kind",
        ),
        (
            None,
            lambda p: _replace(p[1], spec__mode="Resources"),
            "must use spec.mode: Pipeline",
        ),
        (
            None,
            lambda p: _replace(p[2], metadata__name="other"),
            'unknown Function "fn"',
        ),
        (
            None,
            lambda p: _replace(p[2], metadata__annotations={}),
            "Docker runtime, which is not supported here",
        ),
        (None, lambda _p: None, 'cannot connect to Function "fn" at 127.0.0.1:1'),
        (
            fatal,
            lambda _p: None,
            'pipeline step "s1" returned a fatal result: input.spec.x is required',
        ),
    ],
)
def test_render_errors_are_one_line_and_nothing_on_stdout(files, capsys, handler, mutate, message):
    server = serve_fake(handler) if handler else _no_server()
    with server as fake:
        paths = files(fake.target if fake else "127.0.0.1:1")
        mutate(paths)
        secret = dump(
            Path(paths[0]).with_name("creds.yaml"),
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"}},
        )
        code = cli.main([*paths, "--function-credentials", secret])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("xp-render: error: ")
    assert message in err


def _slow(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    time.sleep(2)
    return passthrough(req)


@pytest.mark.parametrize(
    "case",
    [
        (None, ["-o", "{d}/missing"], None, "cannot read {d}/missing: no such file or directory"),
        (None, ["-o", "{d}/empty"], None, "no YAML files found in {d}/empty"),
        (None, ["-e", "{d}/missing.yaml"], None, "cannot read {d}/missing.yaml"),
        (None, ["--extra-resources", "{d}/bad.yaml"], None, "cannot parse YAML in {d}/bad.yaml"),
        (None, ["--xrd", "{d}/missing.yaml"], None, "cannot read {d}/missing.yaml"),
        (None, ["--xrd", "{d}/fns.yaml"], None, "--xrd: not a CompositeResourceDefinition"),
        (None, ["--context-files", "k={d}/missing.json"], None, "cannot read {d}/missing.json"),
        (None, ["--context-values", "k=[1"], None, "cannot parse YAML in --context-values k"),
        (None, ["--function-credentials", "{d}/xr.yaml"], None, "not a Secret"),
        (None, [], lambda p: Path(p[2]).unlink(), "cannot read {d}/fns.yaml"),
        (
            None,
            [],
            lambda p: Path(p[0]).write_bytes(b"kind: \xff\xfe"),
            "cannot read {d}/xr.yaml: 'utf-8' codec can't decode",
        ),
        (None, [], lambda p: Path(p[1]).write_text("", encoding="utf-8"), "found 0"),
        (
            None,
            [],
            lambda p: _replace(p[1], spec__compositeTypeRef__apiVersion="example.org/v9"),
            "compositeTypeRef.apiVersion (example.org/v9) does not match XR's apiVersion",
        ),
        (
            None,
            [],
            lambda p: _replace(
                p[2], metadata__annotations={"render.crossplane.io/runtime": "Podman"}
            ),
            'unsupported "render.crossplane.io/runtime" annotation value "Podman"',
        ),
        (
            None,
            ["--start-function"],
            None,
            "--start-function: no Function named function-ephemeral-cluster",
        ),
        (_slow, ["--timeout", "300ms"], None, 'Function "fn" did not answer within 0.3s'),
    ],
)
def test_every_input_error_is_one_line_and_nothing_on_stdout(tmp_path, files, capsys, case):
    handler, extra, mutate, message = case
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.yaml").write_text("a: [", encoding="utf-8")
    server = serve_fake(handler) if handler else _no_server()
    with server as fake:
        paths = files(fake.target if fake else "127.0.0.1:1")
        if mutate:
            mutate(paths)
        secret = dump(
            tmp_path / "creds.yaml",
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"}},
        )
        argv = [*paths, *(a.format(d=tmp_path) for a in extra)]
        if "--function-credentials" not in extra:
            argv += ["--function-credentials", secret]
        code = cli.main(argv)
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.count("\n") == 1, err
    assert err.startswith("xp-render: error: ")
    assert message.format(d=tmp_path) in err


def test_console_script_prints_no_traceback(tmp_path):
    script = Path(sys.executable).with_name("xp-render")
    argv = [str(script)] if script.is_file() else [sys.executable, "-m", "scripts.render.cli"]
    proc = subprocess.run(
        [*argv, str(tmp_path / "nope.yaml"), "c.yaml", "f.yaml"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"xp-render: error: cannot read {tmp_path / 'nope.yaml'}: no such file or directory"
    ]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1m", 60),
        ("30s", 30),
        ("1m30s", 90),
        ("500ms", 0.5),
        ("1h", 3600),
        ("1.5s", 1.5),
        ("2m0.5s", 120.5),
        ("100us", 1e-4),
    ],
)
def test_go_durations(text, seconds):
    assert cli.duration(text) == pytest.approx(seconds)


def test_sigterm_during_render_stops_the_started_function(tmp_path):
    pidfile = tmp_path / "pid"
    env = {
        **os.environ,
        "XP_RENDER_FUNCTION_COMMAND": f"{sys.executable} -m scripts.render.fakes",
        "FAKE_FUNCTION_PIDFILE": str(pidfile),
        "FAKE_FUNCTION_DELAY": "30",
    }
    argv = [
        sys.executable,
        "-m",
        "scripts.render.cli",
        dump(tmp_path / "xr.yaml", xr_manifest()),
        dump(tmp_path / "comp.yaml", composition_manifest(("s1", "function-ephemeral-cluster"))),
        dump(tmp_path / "fns.yaml", function_manifest("function-ephemeral-cluster")),
        "--start-function",
    ]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        procs.wait_until(proc, pidfile.exists, 20)
        time.sleep(0.5)  # the render call is now waiting on the slow function
    finally:
        code, out, _ = procs.stop(proc, grace=20)  # SIGTERM by PID
    assert code == 128 + signal.SIGTERM
    assert out == b""
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize(
    ("group", "kind"),
    [("ci.openshift.org", "XOtherCluster"), ("other.example.org", "XTestPlatformCluster")],
)
def test_xrd_of_another_kind_or_group_exits_1_naming_both(tmp_path, files, capsys, group, kind):
    """crossplane render v2.2.4 would default the XR from a same-group XRD of another kind."""
    xrd = spec_xrd({"n": {"type": "integer", "default": 2}})
    xrd["spec"]["group"] = group
    xrd["spec"]["names"]["kind"] = kind
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"}}
    argv = [*files("127.0.0.1:1"), "--function-credentials", dump(tmp_path / "s.yaml", secret)]
    with serve_fake(echo) as fake:
        argv[2] = dump(tmp_path / "fns.yaml", function_manifest("fn", fake.target))
        code = cli.main([*argv, "--xrd", dump(tmp_path / "xrd.yaml", xrd)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.count("\n") == 1, err
    assert f"defines kind {kind} in group {group}" in err
    assert "the XR is kind XTestPlatformCluster in group ci.openshift.org" in err
