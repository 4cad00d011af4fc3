"""Realistic RunFunctionRequests for the function's tests (built in code, no golden files)."""

from __future__ import annotations

import asyncio
import base64
import copy
from collections.abc import Mapping
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import fn, structs

KUBECONFIG = (
    b"apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://api.ci-op-x.example:6443\n"
    b"  name: ci-op-x\nusers:\n- name: admin\n  user:\n    token: sha256~S3CR3T-T0KEN-do-not-leak\n"
)
PASSWORD = b"kubeadmin-PaSsW0rd-do-not-leak"
TENANT = "team-a-tenant"
CLUSTER = "kflux-prd-rh03"
XR_NAME = "tp-aws-cluster-x7k2p"

CI_OPERATOR: dict[str, Any] = {
    "releases": {
        "initial": {"integration": {"name": "4.20", "namespace": "ocp"}},
        "latest": {
            "candidate": {
                "product": "ocp",
                "stream": "nightly",
                "version": "4.20",
                "relative": 1,
            }
        },
    },
    "resources": {"*": {"requests": {"cpu": "100m", "memory": "200Mi"}}},
    "test": {"clusterProfile": "aws", "env": {"foo": "bar"}, "workflow": "ipi-aws"},
}


def xr_v1(
    *,
    name: str = XR_NAME,
    tenant: str | None = TENANT,
    spec: Mapping[str, Any] | None = None,
    annotations: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    claim_ref: bool = True,
) -> dict[str, Any]:
    """A legacy (claim) XTestPlatformCluster as Crossplane sends it."""
    body: dict[str, Any] = {"ciOperator": copy.deepcopy(CI_OPERATOR)}
    if spec is not None:
        body = copy.deepcopy(dict(spec))
    meta_labels = {"crossplane.io/claim-name": "tp-aws-cluster"}
    if tenant:
        meta_labels["crossplane.io/claim-namespace"] = tenant
        if claim_ref:
            body["claimRef"] = {
                "apiVersion": "ci.openshift.org/v1alpha1",
                "kind": "TestPlatformCluster",
                "name": "tp-aws-cluster",
                "namespace": tenant,
            }
    meta_labels.update(labels or {})
    body.setdefault("compositionRef", {"name": "testplatform-ephemeral-cluster"})
    body.setdefault(
        "writeConnectionSecretToRef", {"name": "uid-1234", "namespace": "crossplane-system"}
    )
    return {
        "apiVersion": "ci.openshift.org/v1alpha1",
        "kind": "XTestPlatformCluster",
        "metadata": {
            "name": name,
            "uid": "3f2c1d8e-0000-4000-8000-000000000001",
            "labels": meta_labels,
            "annotations": dict(
                annotations
                if annotations is not None
                else {
                    "ephemeralcluster.ci.openshift.io/pipeline-run-name": "e2e-pr-abc12",
                    "ephemeralcluster.ci.openshift.io/task-run-name": "e2e-pr-abc12-provision",
                }
            ),
        },
        "spec": body,
    }


def xr_v2(
    *,
    name: str = "e2e-pr-abc12-provision",
    namespace: str = TENANT,
    spec: Mapping[str, Any] | None = None,
    secret_name: str | None = "e2e-pr-abc12-provision-secret",  # noqa: S107 - a name
) -> dict[str, Any]:
    """A Crossplane v2 namespaced TestPlatformCluster XR."""
    body: dict[str, Any] = (
        copy.deepcopy(dict(spec))
        if spec is not None
        else {"ciOperator": copy.deepcopy(CI_OPERATOR)}
    )
    if secret_name:
        body["writeConnectionSecretToRef"] = {"name": secret_name}
    body["crossplane"] = {"compositionRef": {"name": "testplatform-ephemeral-cluster-v2"}}
    return {
        "apiVersion": "ci.openshift.org/v1alpha1",
        "kind": "TestPlatformCluster",
        "metadata": {"name": name, "namespace": namespace, "uid": "uid-v2"},
        "spec": body,
    }


def ec_manifest(
    *,
    name: str = XR_NAME,
    phase: str | None = "Provisioning",
    conditions: list[dict[str, Any]] | None = None,
    secret_ref: str | None = None,
    kubeconfig: bytes | None = None,
    password: bytes | None = None,
    tear_down: bool | None = None,
    cluster: str = CLUSTER,
    tenant: str = TENANT,
) -> dict[str, Any]:
    """An EphemeralCluster as app.ci reports it (inside the Object's atProvider)."""
    status: dict[str, Any] = {}
    if phase is not None:
        status["phase"] = phase
        status["prowJobId"] = "0f1e2d3c-prowjob"
        status["prowJobURL"] = "https://prow.ci.openshift.org/view/gs/job/0f1e2d3c"
    if conditions is not None:
        status["conditions"] = conditions
    if secret_ref:
        status["secretRef"] = secret_ref
    if kubeconfig is not None:
        status["kubeconfig"] = kubeconfig.decode()
    if password is not None:
        status["kubeAdminPassword"] = password.decode()
    spec: dict[str, Any] = {"ciOperator": copy.deepcopy(CI_OPERATOR)}
    if tear_down is not None:
        spec["tearDownCluster"] = tear_down
    manifest = {
        "apiVersion": "ci.openshift.io/v1",
        "kind": "EphemeralCluster",
        "metadata": {
            "name": name,
            "namespace": "ephemeral-cluster",
            "annotations": {
                "ephemeralcluster.ci.openshift.io/konflux-tenant": tenant,
                "ephemeralcluster.ci.openshift.io/konflux-cluster": cluster,
            },
        },
        "spec": spec,
    }
    if status:
        manifest["status"] = status
    return manifest


def cond(typ: str, status: str = "True", reason: str = "", message: str = "") -> dict[str, Any]:
    """An EC status condition."""
    out = {"type": typ, "status": status, "lastTransitionTime": "2026-05-01T10:00:00Z"}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


READY_CONDITIONS = [
    cond("ProwJobCreating", "False", "ProwJobCreated", "prowjob created"),
    {
        **cond("ClusterReady", "True", "KubeconfigFetched", "cluster is ready"),
        "lastTransitionTime": "2026-05-01T11:00:00Z",
    },
]


def ec_object(manifest: Mapping[str, Any], *, v2: bool = False) -> dict[str, Any]:
    """The observed `ec` Object wrapping an observed EphemeralCluster."""
    return {
        "apiVersion": "kubernetes.m.crossplane.io/v1alpha1"
        if v2
        else "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": {"name": f"managed-{XR_NAME}", "uid": "obj-uid"},
        "spec": {
            "deletionPolicy": "Delete",
            "forProvider": {"manifest": {k: v for k, v in manifest.items() if k != "status"}},
            "managementPolicies": ["*"],
            "providerConfigRef": {"name": "testplatform-kubernetes-provider-config"},
            "readiness": {"policy": "DeriveFromCelQuery", "celQuery": "true"},
            "watch": True,
        },
        "status": {"atProvider": {"manifest": dict(manifest)}},
    }


def credentials_object(
    secret: str = f"{XR_NAME}-credentials", *, data: bool = False
) -> dict[str, Any]:
    """The observed Observe-only `credentials` Object on the EC's Secret."""
    manifest: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret, "namespace": "ephemeral-cluster"},
    }
    if data:
        manifest["data"] = {
            "kubeconfig": base64.b64encode(KUBECONFIG).decode(),
            "kubeAdminPassword": base64.b64encode(PASSWORD).decode(),
        }
    return {
        "apiVersion": "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": {"name": f"credentials-{XR_NAME}"},
        "spec": {
            "managementPolicies": ["Observe"],
            "forProvider": {"manifest": {k: v for k, v in manifest.items() if k != "data"}},
            "providerConfigRef": {"name": "testplatform-kubernetes-provider-config"},
        },
        "status": {"atProvider": {"manifest": manifest}},
    }


def envcfg(cluster: str | None = CLUSTER, name: str = "envcfg") -> dict[str, Any]:
    """The platform EnvironmentConfig naming the Konflux cluster."""
    data = {"clusterName": cluster} if cluster is not None else {"other": "x"}
    return {
        "apiVersion": "apiextensions.crossplane.io/v1beta1",
        "kind": "EnvironmentConfig",
        "metadata": {"name": name},
        "data": data,
    }


Observed = Mapping[str, Any]  # key -> resource dict, or (resource dict, connection details)
# The EnvironmentConfig answer: "default" (envcfg()), "pending" (not answered yet), None
# (answered with nothing) or the EnvironmentConfig itself.
Env = Mapping[str, Any] | str | None

#: What Crossplane v2.2.4 advertises (internal/xfn/capabilities.go, SupportedCapabilities).
CROSSPLANE_2_2 = (
    fnv1.CAPABILITY_CAPABILITIES,
    fnv1.CAPABILITY_REQUIRED_RESOURCES,
    fnv1.CAPABILITY_CREDENTIALS,
    fnv1.CAPABILITY_CONDITIONS,
    fnv1.CAPABILITY_REQUIRED_SCHEMAS,
)


def request(
    xr: Mapping[str, Any],
    observed: Observed | None = None,
    *,
    env: Env = "default",
    via: str = "required",
    fn_input: Mapping[str, Any] | None = None,
    desired: Mapping[str, Mapping[str, Any]] | None = None,
    tag: str = "tag-0001",
    capabilities: tuple[fnv1.Capability, ...] | None = None,
) -> fnv1.RunFunctionRequest:
    """A RunFunctionRequest; `env` None = requirement answered with nothing, "pending" = not
    answered yet; `via` = "required" (Crossplane 2.2: its capabilities are advertised, unless
    `capabilities` says otherwise) or "extra" (1.x: no capabilities)."""
    if capabilities is None:
        capabilities = CROSSPLANE_2_2 if via == "required" else ()
    req = fnv1.RunFunctionRequest(meta=fnv1.RequestMeta(tag=tag, capabilities=capabilities))
    req.observed.composite.resource.CopyFrom(structs.dict_to_struct(xr))
    for key, value in (observed or {}).items():
        res = req.observed.resources[key]
        if isinstance(value, tuple):
            body, details = value
            for k, v in details.items():
                res.connection_details[k] = v
        else:
            body = value
        res.resource.CopyFrom(structs.dict_to_struct(body))
    for key, value in (desired or {}).items():
        req.desired.resources[key].resource.CopyFrom(structs.dict_to_struct(value))
    if env != "pending":
        answer = (req.required_resources if via == "required" else req.extra_resources)["envcfg"]
        found = envcfg() if env == "default" else env
        if isinstance(found, Mapping):
            answer.items.add().resource.CopyFrom(structs.dict_to_struct(found))
    if fn_input is not None:
        req.input.CopyFrom(structs.dict_to_struct(fn_input))
    return req


def run(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Call RunFunction the way the gRPC server does."""
    return asyncio.run(fn.FunctionRunner().RunFunction(req, None))


def desired(rsp: fnv1.RunFunctionResponse, key: str) -> dict[str, Any]:
    """A desired composed resource as a lossless dict; fails the test when it is absent (ask
    `key in rsp.desired.resources` for that)."""
    res = rsp.desired.resources.get(key)
    assert res is not None, f"{key!r} is not in the desired state"
    return structs.struct_to_dict(res.resource)


def fatal_messages(rsp: fnv1.RunFunctionResponse) -> list[str]:
    """Messages of FATAL results."""
    return [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]


def conditions(rsp: fnv1.RunFunctionResponse) -> dict[str, fnv1.Condition]:
    """Conditions by type."""
    return {c.type: c for c in rsp.conditions}


def structs_of(data: Mapping[str, Any]) -> Any:
    """A protobuf Struct of a dict (for calling module helpers directly)."""
    return structs.dict_to_struct(data)


def structs_dict(struct: Any) -> dict[str, Any]:
    """A Struct as a lossless dict."""
    return structs.struct_to_dict(struct)
