"""scripts/tasks/params.py: Tekton parameters checked, and the claim built from them."""

from __future__ import annotations

import pytest

from scripts.tasks.params import ParamError, duration, json_object, provision_request

BASE = {
    "claimName": "run-1-provision",
    "namespace": "tenant",
    "ownerName": "run-1",
    "ownerUid": "uid-1",
    "workflow": "ipi-aws",
}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("2h", 7200), ("90m", 5400), ("1h30m", 5400), ("45s", 45), ("600", 600), ("1d", 86400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert duration("timeout", text) == seconds


@pytest.mark.parametrize("text", ["", "2 hours", "-5m", "h", "0", "1x"])
def test_bad_durations_name_the_parameter(text: str) -> None:
    with pytest.raises(ParamError, match=r"^param timeout: "):
        duration("timeout", text)


def test_json_objects() -> None:
    assert json_object("resources", "") == {}
    assert json_object("releases", ' {"a": {"b": 1}} ') == {"a": {"b": 1}}
    with pytest.raises(ParamError, match=r"^param releases: must be a JSON object, got str$"):
        json_object("releases", '"4.20"')


def test_the_claim_upstream_would_create_without_its_empty_fragments() -> None:
    req = provision_request(
        {
            **BASE,
            "clusterProfile": "aws",
            "releases": '{"latest": {"candidate": {"product": "ocp", "stream": "nightly", '
            '"version": "4.20", "relative": 1}}}',
            "env": '{"COMPUTE_NODE_REPLICAS": "2"}',
            "baseImages": "{}",
            "clusterClaim": "{}",
            "resources": "",
        }
    )
    claim = req.claim()
    assert claim["metadata"] == {
        "name": "run-1-provision",
        "namespace": "tenant",
        "annotations": {
            "ephemeralcluster.ci.openshift.io/task-run-name": "run-1-provision",
            "ephemeralcluster.ci.openshift.io/pipeline-run-name": "run-1",
        },
        "ownerReferences": [
            {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun", "name": "run-1", "uid": "uid-1"}
        ],
    }
    assert claim["spec"] == {
        "ciOperator": {
            "releases": {
                "latest": {
                    "candidate": {
                        "product": "ocp",
                        "stream": "nightly",
                        "version": "4.20",
                        "relative": 1,  # an integer stays an integer
                    }
                }
            },
            "test": {
                "workflow": "ipi-aws",
                "clusterProfile": "aws",
                "env": {"COMPUTE_NODE_REPLICAS": "2"},
            },
        },
        "writeConnectionSecretToRef": {"name": "run-1-provision-secret"},
    }
    assert req.timeout == 7200


def test_a_taskrun_owner_names_the_pipeline_run_only_when_given() -> None:
    alone = provision_request({**BASE, "ownerKind": "TaskRun", "ownerName": "run-1-provision"})
    annotations = alone.claim()["metadata"]["annotations"]
    assert annotations == {"ephemeralcluster.ci.openshift.io/task-run-name": "run-1-provision"}
    given = provision_request({**BASE, "ownerKind": "TaskRun", "pipelineRunName": "run-1"})
    annotations = given.claim()["metadata"]["annotations"]
    assert annotations["ephemeralcluster.ci.openshift.io/pipeline-run-name"] == "run-1"


@pytest.mark.parametrize(
    ("override", "param"),
    [
        ({"ownerKind": "pipelinerun"}, "ownerKind"),
        ({"ownerName": ""}, "ownerName"),
        ({"workflow": "  "}, "workflow"),
        ({"clusterClaim": "[]"}, "clusterClaim"),
        ({"env": '{"A": {"B": "c"}}'}, "env"),
        ({"externalImages": "{,}"}, "externalImages"),
        ({"timeout": "soon"}, "timeout"),
    ],
)
def test_every_problem_names_its_parameter(override: dict[str, str], param: str) -> None:
    with pytest.raises(ParamError) as err:
        provision_request({**BASE, **override})
    assert err.value.param == param
    assert str(err.value).startswith(f"param {param}: ")
