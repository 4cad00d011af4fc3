"""tekton/: every Task and Pipeline against Tekton's real CRDs (../shared/schemas/tekton) and
the rules of Tekton's webhook (tests/tekton_rules.py); the Tasks as a drop-in for upstream's
0.1 tasks; the steps' arguments as `ec-task` parses them."""

from __future__ import annotations

import copy
import functools
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, shared_file
from tekton_rules import VAR, pipeline_problems, task_spec_problems

from scripts import crdschema
from scripts.tasks import cli
from scripts.tasks.params import provision_request

TEKTON = ROOT / "tekton"
PROVISION = TEKTON / "tasks/provision-ephemeral-cluster/0.2/provision-ephemeral-cluster.yaml"
DEPROVISION = TEKTON / "tasks/deprovision-ephemeral-cluster/0.2/deprovision-ephemeral-cluster.yaml"
PIPELINE = TEKTON / "pipelines/ephemeral-cluster.yaml"
IMAGE = "registry.example.org/openshift/function-ephemeral-cluster-tasks:v0.1.0"

# The interface of openshift/konflux-tasks @3a79d35 tasks/{provision,deprovision}-ephemeral-
# cluster/0.1/*.yaml: parameters without a default, parameters with their defaults, results.
UPSTREAM = {
    "provision-ephemeral-cluster": (
        {"ownerName", "ownerUid", "workflow"},
        {
            "ownerKind": "PipelineRun",
            "buildRoot": '{"image_stream_tag":{"name":"release","namespace":"openshift",'
            '"tag":"rhel-9-release-golang-1.24-openshift-4.20"}}',
            "baseImages": "{}",
            "externalImages": "{}",
            "env": "{}",
            "clusterProfile": "",
            "clusterClaim": "{}",
            "releases": "{}",
            "resources": "",
            "timeout": "2h",
        },
        {"secretRef", "testPlatformClusterClaimName", "testPlatformClusterClaimNamespace"},
    ),
    "deprovision-ephemeral-cluster": (
        {"testPlatformClusterClaimName", "testPlatformClusterClaimNamespace"},
        {"timeout": "2h"},
        set(),
    ),
}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def manifests() -> list[Path]:
    return sorted(TEKTON.rglob("*.yaml"))


@functools.cache
def crd(kind: str) -> dict[str, Any]:
    return crdschema.load_crd(shared_file(f"schemas/tekton/{kind.lower()}s.tekton.dev.yaml"))


def nulls(node: Any, path: str = "") -> list[str]:
    """Paths holding null: the API server prunes them, so `default:` left empty would silently
    turn an optional parameter into a required one (../shared/SOURCES.md)."""
    if node is None:
        return [path or "<root>"]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in nulls(v, f"{path}.{k}" if path else k)]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in nulls(v, f"{path}[{i}]")]
    return []


def test_the_manifests_are_there() -> None:
    assert {p.relative_to(TEKTON).as_posix() for p in manifests()} == {
        "tasks/provision-ephemeral-cluster/0.2/provision-ephemeral-cluster.yaml",
        "tasks/deprovision-ephemeral-cluster/0.2/deprovision-ephemeral-cluster.yaml",
        "pipelines/ephemeral-cluster.yaml",
    }


@pytest.mark.shared
@pytest.mark.parametrize("path", manifests(), ids=lambda p: p.name)
def test_valid_against_the_tekton_crd(path: Path) -> None:
    doc = load(path)
    assert doc["apiVersion"] == "tekton.dev/v1"
    assert nulls(doc) == []
    assert crdschema.validate(doc, crd(doc["kind"])) == []
    # The Pipeline CRD leaves an inline taskSpec open (preserve-unknown-fields, "See Task.spec"):
    # hold it to the Task schema.
    for task in (doc["spec"].get("tasks") or []) + (doc["spec"].get("finally") or []):
        if "taskSpec" in task:
            wrapped = {
                "apiVersion": "tekton.dev/v1",
                "kind": "Task",
                "metadata": {"name": task["name"]},
                "spec": task["taskSpec"],
            }
            assert crdschema.validate(wrapped, crd("Task")) == []


@pytest.mark.shared
def test_the_crd_check_catches_a_misspelt_field() -> None:
    task = load(PROVISION)
    task["spec"]["steps"][0]["imag"] = task["spec"]["steps"][0].pop("image")
    errors = crdschema.validate(task, crd("Task"))
    assert any("imag" in e for e in errors), errors


@pytest.mark.parametrize("path", [PROVISION, DEPROVISION], ids=lambda p: p.name)
def test_task_variables_are_declared(path: Path) -> None:
    assert task_spec_problems(load(path)["spec"]) == []


def test_the_example_pipeline_follows_tekton_rules() -> None:
    assert pipeline_problems(load(PIPELINE), ROOT) == []


def _pipeline_with(change: Any) -> list[str]:
    doc = copy.deepcopy(load(PIPELINE))
    change(doc["spec"])
    return pipeline_problems(doc, ROOT)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        # upstream's example: runAfter in finally, and a pathInRepo that does not exist
        (
            lambda s: s["finally"][0].__setitem__("runAfter", ["run-test"]),
            "no runAfter allowed under finally",
        ),
        (
            lambda s: s["finally"][0]["taskRef"]["params"][2].__setitem__(
                "value", "tekton/tasks/provision-ephemeral-cluster/0.2/deprovision.yaml"
            ),
            "does not exist",
        ),
        (lambda s: s["tasks"][0]["params"].pop(0), "param 'ownerName' has no default"),
        (
            lambda s: s["tasks"][0]["params"].append({"name": "ownerUID", "value": "x"}),
            "param 'ownerUID' is not declared by the task",
        ),
        (
            lambda s: s["finally"][0]["params"][0].__setitem__(
                "value", "$(tasks.provision-cluster.results.claimName)"
            ),
            "declares no result claimName",
        ),
        (
            lambda s: s["finally"][0]["params"][0].__setitem__(
                "value", "$(finally.deprovision-cluster.results.x)"
            ),
            "is not something a Pipeline can refer to",
        ),
        (
            lambda s: s["tasks"][0]["params"][0].__setitem__("value", "$(context.taskRun.uid)"),
            "is not something a Pipeline can refer to",
        ),
    ],
    ids=["finally-runAfter", "pathInRepo", "missing", "unknown", "result", "finally-ref", "ctx"],
)
def test_the_pipeline_rules_catch_mistakes(change: Any, problem: str) -> None:
    problems = _pipeline_with(change)
    assert any(problem in p for p in problems), problems


def test_the_task_rules_catch_mistakes() -> None:
    spec = load(PROVISION)["spec"]
    spec["steps"][0]["args"] += ["--owner=$(context.pipelineRun.uid)", "$(params.ownerKnd)"]
    spec["steps"][0]["args"] += ["--result=x=$(results.secretRf.path)"]
    problems = task_spec_problems(spec)
    assert len(problems) == 3, problems


@pytest.mark.parametrize("path", [PROVISION, DEPROVISION], ids=lambda p: p.name)
def test_a_drop_in_for_upstream_0_1(path: Path) -> None:
    task = load(path)
    required, defaults, results = UPSTREAM[task["metadata"]["name"]]
    params = {p["name"]: p for p in task["spec"]["params"]}
    assert {n for n, p in params.items() if "default" not in p} == required
    assert {n: params[n].get("default") for n in defaults} == defaults
    assert results <= {r["name"] for r in task["spec"]["results"]}
    assert all(p["type"] == "string" for p in params.values())


def _substituted(task: dict[str, Any], **values: str) -> list[str]:
    """The step's arguments as Tekton would pass them: params (defaults or `values`),
    context and result paths substituted."""
    params = {p["name"]: p.get("default", "") for p in task["spec"]["params"]}
    params.update(values)
    context = {"context.taskRun.name": "run-1-provision", "context.taskRun.namespace": "tenant"}

    def one(match: re.Match[str]) -> str:
        var = match.group(1)
        if var.startswith("params."):
            return params[var.removeprefix("params.")]
        if var.startswith("results."):
            return f"/tekton/results/{var.split('.')[1]}"
        return context[var]

    (step,) = task["spec"]["steps"]
    assert step["command"] == ["ec-task"]
    return [VAR.sub(one, arg) for arg in step["args"]]


@pytest.mark.parametrize("path", [PROVISION, DEPROVISION], ids=lambda p: p.name)
def test_every_param_and_result_reaches_ec_task(path: Path) -> None:
    task = load(path)
    args = _substituted(task, ownerName="run-1", ownerUid="uid-1", workflow="ipi-aws")
    parsed = cli.build_parser().parse_args(args)
    given = {k for k, v in vars(parsed).items() if isinstance(v, str)} - {"command"}
    declared = {p["name"] for p in task["spec"]["params"]}
    assert declared <= given
    written = {r.partition("=")[0] for r in parsed.result}
    assert written == {r["name"] for r in task["spec"]["results"]}
    assert written == set(cli.RESULTS[parsed.command])
    assert task["spec"]["steps"][0]["image"] == IMAGE


def test_the_defaults_make_a_valid_request() -> None:
    args = _substituted(load(PROVISION), ownerName="run-1", ownerUid="uid-1", workflow="ipi-aws")
    parsed = cli.build_parser().parse_args(args)
    req = provision_request({k: v for k, v in vars(parsed).items() if isinstance(v, str)})
    assert req.claim_name == "run-1-provision"
    assert req.pipeline_run == "run-1"
    assert req.timeout == 7200
    assert set(req.ci_operator) == {"buildRoot", "test"}  # empty fragments are left out


def test_the_readme_names_the_image_and_the_pipeline() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert IMAGE in readme
    assert "tekton/pipelines/ephemeral-cluster.yaml" in readme
    assert "Dockerfile.tasks" in readme


def test_the_image_installs_ec_task_with_the_pinned_client() -> None:
    """Dockerfile.tasks installs the tools wheel with its `tasks` extra; its kubernetes pin is
    the dev one. (The runtime distribution at the root ships the function only, issue 11.)"""
    meta = tomllib.loads((ROOT / "scripts" / "pyproject.toml").read_text(encoding="utf-8"))
    extras = meta["project"]["optional-dependencies"]
    (pin,) = [d for d in extras["tasks"] if d.startswith("kubernetes")]
    assert re.fullmatch(r"kubernetes==\d+\.\d+\.\d+", pin)
    assert pin in extras["dev"]
    assert meta["project"]["scripts"]["ec-task"] == "scripts.tasks.cli:cli"
    assert "scripts.tasks" in meta["tool"]["setuptools"]["packages"]
    dockerfile = (ROOT / "Dockerfile.tasks").read_text(encoding="utf-8")
    assert '"${TOOLS}[tasks]"' in dockerfile
    assert "COPY scripts ./scripts" in dockerfile
    assert "USER 65532:65532" in dockerfile
