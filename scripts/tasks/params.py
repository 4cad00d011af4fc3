"""The tasks' parameters, checked, and the TestPlatformCluster claim the provision task creates.

Parameter names and meanings are those of openshift/konflux-tasks
`tasks/provision-ephemeral-cluster/0.1` (@3a79d35): the ci-operator fragments arrive as JSON
strings, `timeout` as a duration (upstream hands it to `sleep`). Every problem is a `ParamError`
naming the Tekton parameter. Unlike upstream, empty fragments (`{}`, `""`) are left out of the
claim: upstream's default `clusterClaim: {}` lacks the `cloud`, `owner` and `version` that the
EphemeralCluster CRD requires of a clusterClaim, and an empty `resources` became a YAML null.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from function.observed import PIPELINE_RUN, TASK_RUN
from scripts.tasks.seam import CLAIM_API_VERSION, CLAIM_KIND

OWNER_KINDS = ("PipelineRun", "TaskRun")
TEKTON_API_VERSION = "tekton.dev/v1"
#: ci-operator fragments given as JSON objects: Tekton parameter -> key under spec.ciOperator.
CI_OPERATOR_OBJECTS = {
    "buildRoot": "buildRoot",
    "baseImages": "baseImages",
    "externalImages": "externalImages",
    "releases": "releases",
    "resources": "resources",
}
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|d|h|m|s))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class ParamError(ValueError):
    """A Tekton parameter the task cannot use; the message starts with its name."""

    def __init__(self, param: str, problem: str) -> None:
        super().__init__(f"param {param}: {problem}")
        self.param = param


def duration(param: str, text: str) -> float:
    """Seconds in `2h`, `90m`, `1h30m`, `45s` or a bare number of seconds (as `sleep` takes)."""
    value = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        seconds = float(value)
    elif _DURATION.fullmatch(value):
        seconds = sum(float(n) * _UNIT[u] for n, u in _DURATION_PART.findall(value))
    else:
        raise ParamError(param, f"{text!r} is not a duration such as 2h, 90m or 1h30m")
    if seconds <= 0:
        raise ParamError(param, f"{text!r} must be longer than zero")
    return seconds


def json_object(param: str, text: str) -> dict[str, Any]:
    """A JSON object parameter; empty text means `{}` (upstream's `resources` default is "")."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParamError(param, f"not valid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(value, dict):
        raise ParamError(param, f"must be a JSON object, got {type(value).__name__}")
    return value


def required(param: str, text: str) -> str:
    """A parameter that must not be empty."""
    value = text.strip()
    if not value:
        raise ParamError(param, "is required and was empty")
    return value


@dataclasses.dataclass(frozen=True)
class Owner:
    """The PipelineRun or TaskRun that owns the claim: deleting it deletes the claim."""

    kind: str
    name: str
    uid: str

    @classmethod
    def parse(cls, kind: str, name: str, uid: str) -> Owner:
        if kind not in OWNER_KINDS:
            raise ParamError("ownerKind", f"{kind!r} is not one of {', '.join(OWNER_KINDS)}")
        return cls(kind, required("ownerName", name), required("ownerUid", uid))

    def reference(self) -> dict[str, str]:
        """An ownerReference like upstream's: no `controller`, no `blockOwnerDeletion`
        (the latter needs delete rights on the owner under OwnerReferencesPermissionEnforcement).
        """
        return {
            "apiVersion": TEKTON_API_VERSION,
            "kind": self.kind,
            "name": self.name,
            "uid": self.uid,
        }


@dataclasses.dataclass(frozen=True)
class ProvisionRequest:
    """Everything the provision step was given, checked."""

    claim_name: str
    namespace: str
    owner: Owner
    pipeline_run: str
    ci_operator: dict[str, Any]
    timeout: float

    @property
    def secret_name(self) -> str:
        """The claim's connection Secret, named as upstream names it: `<TaskRun>-secret`."""
        return f"{self.claim_name}-secret"

    def claim(self) -> dict[str, Any]:
        """The TestPlatformCluster to create, annotated with the runs that asked for it."""
        annotations = {TASK_RUN: self.claim_name}
        if self.pipeline_run:
            annotations[PIPELINE_RUN] = self.pipeline_run
        return {
            "apiVersion": CLAIM_API_VERSION,
            "kind": CLAIM_KIND,
            "metadata": {
                "name": self.claim_name,
                "namespace": self.namespace,
                "annotations": annotations,
                "ownerReferences": [self.owner.reference()],
            },
            "spec": {
                "ciOperator": self.ci_operator,
                "writeConnectionSecretToRef": {"name": self.secret_name},
            },
        }


def ci_operator(values: dict[str, str]) -> dict[str, Any]:
    """spec.ciOperator from the Tekton parameters (names as in upstream's task)."""
    out: dict[str, Any] = {}
    for param, key in CI_OPERATOR_OBJECTS.items():
        if fragment := json_object(param, values.get(param, "")):
            out[key] = fragment
    test: dict[str, Any] = {"workflow": required("workflow", values.get("workflow", ""))}
    if profile := values.get("clusterProfile", "").strip():
        test["clusterProfile"] = profile
    if claim := json_object("clusterClaim", values.get("clusterClaim", "")):
        test["clusterClaim"] = claim
    env = json_object("env", values.get("env", ""))
    bad = sorted(k for k, v in env.items() if not isinstance(v, str))
    if bad:
        raise ParamError("env", f"values must be strings; not for {', '.join(bad)}")
    if env:
        test["env"] = env
    out["test"] = test
    return out


def provision_request(values: dict[str, str]) -> ProvisionRequest:
    """Check every parameter; the first problem is raised as a ParamError naming it."""
    owner = Owner.parse(
        values.get("ownerKind", "PipelineRun"),
        values.get("ownerName", ""),
        values.get("ownerUid", ""),
    )
    pipeline_run = values.get("pipelineRunName", "").strip()
    if not pipeline_run and owner.kind == "PipelineRun":
        pipeline_run = owner.name
    return ProvisionRequest(
        claim_name=required("claimName", values.get("claimName", "")),
        namespace=required("namespace", values.get("namespace", "")),
        owner=owner,
        pipeline_run=pipeline_run,
        ci_operator=ci_operator(values),
        timeout=duration("timeout", values.get("timeout", "2h")),
    )
