"""RunFunction's whole response in each phase of a cluster's life, one table.

In crossplane/function-template-python's style (its tests/test_fn.py): each case is a request
and the complete expected response, compared as dicts (`json_format.MessageToDict`), so any
field the function adds, drops or changes shows up as a diff. The expected responses are
written out here by hand from docs/function.md; nothing is computed by the function's code.
Partial checks of the same phases (readiness and TTL per phase, status fields, compatibility
conditions, the step-by-step lifecycle) were folded into this table.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
from typing import Any

import fnreq as f
import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import duration_pb2, json_format

from function import structs

URL = "https://prow.ci.openshift.org/view/gs/job/0f1e2d3c"
PROW_JOB_ID = "0f1e2d3c-prowjob"
PREFIX = "ephemeralcluster.ci.openshift.io/"
CEL_QUERY = (
    "has(object.status) && has(object.status.conditions) && "
    'object.status.conditions.exists(c, c.type == "ClusterReady" && c.status == "True")'
)
V2_XR = "e2e-pr-abc12-provision"
# <namespace>-<name> cut to 36 characters, then 26 characters of base32(sha256("ns/name")).
V2_EC_NAME = "team-a-tenant-e2e-pr-abc12-provision-p6mjuhhjnucy3rcrifsbdwzh64"
DETAILS = {"kubeconfig": f.KUBECONFIG, "kubeAdminPassword": f.PASSWORD}
FOUND = "EnvironmentConfig envcfg (data.clusterName) found"


@dataclasses.dataclass(frozen=True)
class Case:
    """One phase: what Crossplane sends and everything the function must answer."""

    reason: str
    req: fnv1.RunFunctionRequest
    want: fnv1.RunFunctionResponse


# What the function must compose, written out ---------------------------------------------------


def _ec_object(*, v2: bool = False, tear_down: bool | None = None) -> dict[str, Any]:
    """The `ec` Object the function must send for the default XRs and input."""
    ec_spec: dict[str, Any] = {"ciOperator": copy.deepcopy(f.CI_OPERATOR)}
    if tear_down is not None:
        ec_spec["tearDownCluster"] = tear_down
    annotations = {PREFIX + "konflux-tenant": f.TENANT, PREFIX + "konflux-cluster": f.CLUSTER}
    if not v2:  # the v1 XR carries the run annotations; the v2 one has none
        annotations[PREFIX + "pipeline-run-name"] = "e2e-pr-abc12"
        annotations[PREFIX + "task-run-name"] = "e2e-pr-abc12-provision"
    metadata = {"name": f"managed-{V2_XR if v2 else f.XR_NAME}"}
    ref = {"name": "testplatform-kubernetes-provider-config"}
    if v2:
        metadata["namespace"] = f.TENANT
        ref["kind"] = "ClusterProviderConfig"
    return {
        "apiVersion": "kubernetes.m.crossplane.io/v1alpha1"
        if v2
        else "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": metadata,
        "spec": {
            "providerConfigRef": ref,
            "forProvider": {
                "manifest": {
                    "apiVersion": "ci.openshift.io/v1",
                    "kind": "EphemeralCluster",
                    "metadata": {
                        "name": V2_EC_NAME if v2 else f.XR_NAME,
                        "namespace": "ephemeral-cluster",
                        "annotations": annotations,
                    },
                    "spec": ec_spec,
                }
            },
            "readiness": {"policy": "DeriveFromCelQuery", "celQuery": CEL_QUERY},
            "watch": True,
        },
    }


def _credentials_object(secret: str, *, v2: bool = False) -> dict[str, Any]:
    """The Observe-only `credentials` Object on app.ci's Secret `secret`."""
    name = f"credentials-{V2_XR if v2 else f.XR_NAME}"
    metadata = {"name": name}
    ref = {"name": "testplatform-kubernetes-provider-config"}
    write_to = {"name": name}
    if v2:
        metadata["namespace"] = f.TENANT
        ref["kind"] = "ClusterProviderConfig"
    else:
        write_to["namespace"] = "crossplane-connections"
    source = {
        "apiVersion": "v1",
        "kind": "Secret",
        "name": secret,
        "namespace": "ephemeral-cluster",
    }
    return {
        "apiVersion": "kubernetes.m.crossplane.io/v1alpha1"
        if v2
        else "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": metadata,
        "spec": {
            "providerConfigRef": ref,
            "managementPolicies": ["Observe"],
            "forProvider": {
                "manifest": {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": secret, "namespace": "ephemeral-cluster"},
                }
            },
            "connectionDetails": [
                {**source, "fieldPath": "data.kubeconfig", "toConnectionSecretKey": "kubeconfig"},
                {
                    **source,
                    "fieldPath": "data.kubeAdminPassword",
                    "toConnectionSecretKey": "kubeAdminPassword",
                },
            ],
            "writeConnectionSecretToRef": write_to,
            "watch": True,
        },
    }


def _connection_secret() -> dict[str, Any]:
    """The v2 XR's Secret: the kubeconfig and password, base64-encoded once."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "e2e-pr-abc12-provision-secret", "namespace": f.TENANT},
        "type": "Opaque",
        "data": {
            "kubeconfig": base64.b64encode(f.KUBECONFIG).decode(),
            "kubeAdminPassword": base64.b64encode(f.PASSWORD).decode(),
        },
    }


def _resource(
    body: dict[str, Any], ready: fnv1.Ready, details: dict[str, bytes] | None = None
) -> fnv1.Resource:
    return fnv1.Resource(
        resource=structs.dict_to_struct(body), ready=ready, connection_details=details
    )


_STATUS = {
    "True": fnv1.STATUS_CONDITION_TRUE,
    "False": fnv1.STATUS_CONDITION_FALSE,
    "Unknown": fnv1.STATUS_CONDITION_UNKNOWN,
}


def _cond(typ: str, status: str, reason: str, message: str) -> fnv1.Condition:
    return fnv1.Condition(
        type=typ,
        status=_STATUS[status],
        reason=reason,
        message=message,
        target=fnv1.TARGET_COMPOSITE_AND_CLAIM,
    )


def _phase_conditions(phase: str) -> list[fnv1.Condition]:
    """The two compatibility conditions the provision task reads."""
    return [
        _cond("_EphemeralClusterPhase", "True", phase, phase),
        _cond("_ProwJobURL", "True", "ProwJobCreated", URL),
    ]


def _response(
    *,
    ttl: int,
    resources: dict[str, fnv1.Resource] | None = None,
    conditions: list[fnv1.Condition] | None = None,
    status: dict[str, Any] | None = None,
    xr_ready: fnv1.Ready = fnv1.READY_FALSE,
    details: dict[str, bytes] | None = None,
) -> fnv1.RunFunctionResponse:
    """A response to a request made by `f.request` (tag, Crossplane 2.2's requirement field)."""
    composite = fnv1.Resource(ready=xr_ready, connection_details=details)
    if status:  # the request's desired XR is empty: only the status the function sets
        composite.resource.CopyFrom(structs.dict_to_struct({"status": status}))
    return fnv1.RunFunctionResponse(
        meta=fnv1.ResponseMeta(tag="tag-0001", ttl=duration_pb2.Duration(seconds=ttl)),
        desired=fnv1.State(composite=composite, resources=resources),
        conditions=conditions,
        requirements=fnv1.Requirements(
            resources={
                "envcfg": fnv1.ResourceSelector(
                    api_version="apiextensions.crossplane.io/v1beta1",
                    kind="EnvironmentConfig",
                    match_name="envcfg",
                )
            }
        ),
        context=structs.Struct(),
    )


def _status(phase: str) -> dict[str, str]:
    return {"phase": phase, "prowJobId": PROW_JOB_ID, "prowJobURL": URL}


# What Crossplane sends in each phase -----------------------------------------------------------

PROVISIONING = [f.cond("ProwJobCreating", "True", "Creating", "creating the ProwJob")]
TORN_DOWN = [
    f.cond("ClusterReady", "False", "ClusterDeprovisioned", "the cluster is gone"),
    f.cond("ProwJobCompleted", "True", "ProwJobSucceeded", "done"),
]
FAILED = [
    f.cond("ProwJobCreating", "False", "ProwJobCreated", "prowjob created"),
    {
        **f.cond("ProwJobCompleted", "True", "ProwJobFailure", "install failed"),
        "lastTransitionTime": "2026-05-01T12:00:00Z",
    },
]


def _ec(phase: str, conditions: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    v2 = kwargs.pop("v2", False)
    name = V2_EC_NAME if v2 else f.XR_NAME
    manifest = f.ec_manifest(name=name, phase=phase, conditions=conditions, **kwargs)
    return f.ec_object(manifest, v2=v2)


def _ready_copied() -> list[fnv1.Condition]:
    """f.READY_CONDITIONS as the function copies them to the XR and the claim."""
    return [
        _cond("ProwJobCreating", "False", "ProwJobCreated", "prowjob created"),
        _cond("ClusterReady", "True", "KubeconfigFetched", "cluster is ready"),
    ]


def _not_usable(reason: str, message: str) -> list[fnv1.Condition]:
    """f.READY_CONDITIONS copied while the cluster is not usable: ClusterReady says why."""
    return [
        _cond("ProwJobCreating", "False", "ProwJobCreated", "prowjob created"),
        _cond("ClusterReady", "False", reason, message),
    ]


def _cases() -> list[Case]:
    secret = "creds-x"
    ready = _ec("Ready", f.READY_CONDITIONS, secret_ref=secret)
    credentials = (f.credentials_object(secret), DETAILS)
    return [
        Case(
            "no EnvironmentConfig answer yet: ask for it, compose nothing",
            f.request(f.xr_v1(), env="pending"),
            _response(
                ttl=30,
                conditions=[
                    _cond(
                        "EnvironmentConfigReady",
                        "False",
                        "WaitingForEnvironmentConfig",
                        "waiting for EnvironmentConfig envcfg (data.clusterName); the "
                        "EphemeralCluster is not requested until the Konflux cluster name is "
                        "known",
                    )
                ],
            ),
        ),
        Case(
            "requested: the EphemeralCluster is asked for, not ready",
            f.request(f.xr_v1()),
            _response(
                ttl=30,
                resources={"ec": _resource(_ec_object(), fnv1.READY_FALSE)},
                conditions=[_cond("EnvironmentConfigReady", "True", "Found", FOUND)],
            ),
        ),
        Case(
            "provisioning: phase, ProwJob and app.ci's conditions reach the XR and the claim",
            f.request(f.xr_v1(), {"ec": _ec("Provisioning", PROVISIONING)}),
            _response(
                ttl=30,
                resources={"ec": _resource(_ec_object(), fnv1.READY_FALSE)},
                status=_status("Provisioning"),
                conditions=[
                    _cond("EnvironmentConfigReady", "True", "Found", FOUND),
                    _cond("ProwJobCreating", "True", "Creating", "creating the ProwJob"),
                    *_phase_conditions("Provisioning"),
                ],
            ),
        ),
        Case(
            "ready on app.ci, kubeconfig not here yet: credentials observed, claim waits",
            f.request(f.xr_v1(), {"ec": ready}),
            _response(
                ttl=30,
                resources={
                    "ec": _resource(_ec_object(), fnv1.READY_TRUE),
                    "credentials": _resource(_credentials_object(secret), fnv1.READY_FALSE),
                },
                status=_status("Ready"),
                conditions=[
                    _cond("EnvironmentConfigReady", "True", "Found", FOUND),
                    *_not_usable(
                        "WaitingForKubeconfig",
                        "app.ci reports the cluster ready; its kubeconfig has not reached "
                        "Crossplane yet",
                    ),
                    *_phase_conditions("Ready"),
                ],
            ),
        ),
        Case(
            "usable (v1): kubeconfig in the XR's connection details, XR Ready, steady TTL",
            f.request(f.xr_v1(), {"ec": ready, "credentials": credentials}),
            _response(
                ttl=300,
                resources={
                    "ec": _resource(_ec_object(), fnv1.READY_TRUE),
                    "credentials": _resource(_credentials_object(secret), fnv1.READY_TRUE),
                },
                status=_status("Ready"),
                conditions=[
                    _cond("EnvironmentConfigReady", "True", "Found", FOUND),
                    *_ready_copied(),
                    *_phase_conditions("Ready"),
                ],
                xr_ready=fnv1.READY_UNSPECIFIED,  # Crossplane derives Ready from the resources
                details=DETAILS,
            ),
        ),
        Case(
            "usable (v2): the kubeconfig in a composed Secret, no XR connection details",
            f.request(
                f.xr_v2(),
                {
                    "ec": _ec("Ready", f.READY_CONDITIONS, secret_ref=secret, v2=True),
                    "credentials": credentials,
                },
            ),
            _response(
                ttl=300,
                resources={
                    "ec": _resource(_ec_object(v2=True), fnv1.READY_TRUE),
                    "credentials": _resource(_credentials_object(secret, v2=True), fnv1.READY_TRUE),
                    "connection-secret": _resource(_connection_secret(), fnv1.READY_TRUE),
                },
                status=_status("Ready"),
                conditions=[
                    _cond("EnvironmentConfigReady", "True", "Found", FOUND),
                    *_ready_copied(),
                    *_phase_conditions("Ready"),
                ],
                xr_ready=fnv1.READY_UNSPECIFIED,
            ),
        ),
        Case(
            "teardown asked: forwarded, the claim is told the cluster is going",
            f.request(
                f.xr_v1(spec={"ciOperator": f.CI_OPERATOR, "tearDownCluster": True}),
                {"ec": ready, "credentials": credentials},
            ),
            _response(
                ttl=30,
                resources={
                    "ec": _resource(_ec_object(tear_down=True), fnv1.READY_TRUE),
                    "credentials": _resource(_credentials_object(secret), fnv1.READY_TRUE),
                },
                status=_status("Ready"),
                conditions=[
                    _cond("EnvironmentConfigReady", "True", "Found", FOUND),
                    *_not_usable("TearingDown", "the cluster is being torn down or is gone"),
                    *_phase_conditions("Ready"),
                ],
                details=DETAILS,
            ),
        ),
        Case(
            "deprovisioning, flag dropped by the claim: teardown stays sent",
            f.request(
                f.xr_v1(),
                {
                    "ec": _ec("Deprovisioning", f.READY_CONDITIONS, secret_ref=secret),
                    "credentials": credentials,
                },
            ),
            _response(
                ttl=30,
                resources={
                    "ec": _resource(_ec_object(), fnv1.READY_TRUE),
                    "credentials": _resource(_credentials_object(secret), fnv1.READY_TRUE),
                },
                status=_status("Deprovisioning"),
                conditions=[
                    _cond("EnvironmentConfigReady", "True", "Found", FOUND),
                    *_not_usable("TearingDown", "the cluster is being torn down or is gone"),
                    *_phase_conditions("Deprovisioning"),
                ],
                details=DETAILS,
            ),
        ),
        Case(
            "deprovisioned: finished, steady TTL, the Objects kept until the claim goes",
            f.request(
                f.xr_v1(),
                {
                    "ec": _ec("Deprovisioned", TORN_DOWN, secret_ref=secret, tear_down=True),
                    "credentials": credentials,
                },
            ),
            _response(
                ttl=300,
                resources={
                    "ec": _resource(_ec_object(tear_down=True), fnv1.READY_FALSE),
                    "credentials": _resource(_credentials_object(secret), fnv1.READY_TRUE),
                },
                status=_status("Deprovisioned"),
                conditions=[
                    _cond("EnvironmentConfigReady", "True", "Found", FOUND),
                    _cond("ClusterReady", "False", "ClusterDeprovisioned", "the cluster is gone"),
                    _cond("ProwJobCompleted", "True", "ProwJobSucceeded", "done"),
                    *_phase_conditions("Deprovisioned"),
                ],
                details=DETAILS,
            ),
        ),
        Case(
            "failed: the EC's latest reason in EphemeralClusterFailed, steady TTL",
            f.request(f.xr_v1(), {"ec": _ec("Failed", FAILED)}),
            _response(
                ttl=300,
                resources={"ec": _resource(_ec_object(), fnv1.READY_FALSE)},
                status=_status("Failed"),
                conditions=[
                    _cond("EnvironmentConfigReady", "True", "Found", FOUND),
                    _cond("ProwJobCreating", "False", "ProwJobCreated", "prowjob created"),
                    _cond("ProwJobCompleted", "True", "ProwJobFailure", "install failed"),
                    *_phase_conditions("Failed"),
                    _cond(
                        "EphemeralClusterFailed",
                        "True",
                        "ProwJobFailure",
                        "the EphemeralCluster failed: install failed",
                    ),
                ],
            ),
        ),
    ]


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c.reason.split(":")[0] for c in CASES])
def test_run_function(case: Case) -> None:
    got = f.run(case.req)
    assert json_format.MessageToDict(got) == json_format.MessageToDict(case.want), case.reason


def test_a_rejected_request_gets_only_the_fatal_and_its_condition() -> None:
    """A claim without ciOperator: nothing is composed or asked for (Crossplane applies nothing
    from a FATAL response but its conditions), the claim reads why."""
    req = f.request(f.xr_v1(spec={}), {"ec": _ec("Ready", f.READY_CONDITIONS)})
    message = "spec.ciOperator: required object is missing"
    want = fnv1.RunFunctionResponse(
        meta=fnv1.ResponseMeta(tag="tag-0001", ttl=duration_pb2.Duration(seconds=30)),
        desired=fnv1.State(),
        results=[
            fnv1.Result(
                severity=fnv1.SEVERITY_FATAL,
                message=message,
                target=fnv1.TARGET_COMPOSITE_AND_CLAIM,
            )
        ],
        conditions=[_cond("RequestAccepted", "False", "Rejected", message)],
        context=structs.Struct(),
    )
    assert json_format.MessageToDict(f.run(req)) == json_format.MessageToDict(want)
