"""Realistic RunFunctionRequests for the bench, pre-serialized so the client costs little.

The XR is shaped like a real `XTestPlatformCluster` (a claim's composite) with a full
`ciOperator` spec; the observed states are the two a live fleet spends its time in:
Provisioning (EC requested, ProwJob running) and Ready (cluster up, credentials delivered
through the Observe-only `credentials` Object).

Every call must differ, or the function's response cache would answer and the bench would
measure a dictionary lookup: like Crossplane, each call gets a new `meta.tag` and a new XR
`metadata.resourceVersion`, and the calls rotate over a fleet of distinct XRs. The request is
serialized once with fixed-width placeholder tokens; each call splices new same-length values
into a copy of those bytes (microseconds, no protobuf work in the client).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import struct_pb2

from scripts.render.engine import CAPABILITIES

SCENARIOS = ("provisioning", "ready")

# Fixed-width placeholders; each is unique in the serialized request.
TAG_TOKEN = "tagZ00000000000"  # noqa: S105 - meta.tag
RV_TOKEN = "77700000000"  # noqa: S105 - XR metadata.resourceVersion (digits, as Kubernetes has)
XR_TOKEN = "qz0000"  # noqa: S105 - XR name suffix: XR, Object, EC and Secret names carry it
_TAG_DIGITS = len(TAG_TOKEN) - 4
_RV_DIGITS = len(RV_TOKEN) - 3
_XR_DIGITS = len(XR_TOKEN) - 2
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"

TENANT = "konflux-e2e-tenant"
CLAIM = "tp-aws-cluster"
CLUSTER = "kflux-prd-rh02"
TARGET_NAMESPACE = "ephemeral-cluster"
PROVIDER_CONFIG = "testplatform-kubernetes-provider-config"
KUBECONFIG = (
    b"apiVersion: v1\nkind: Config\ncurrent-context: admin\nclusters:\n- cluster:\n"
    b"    certificate-authority-data: TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==\n"
    b"    server: https://api.ci-op-bench.ephemeral.example:6443\n  name: ci-op-bench\n"
    b"contexts:\n- context:\n    cluster: ci-op-bench\n    user: admin\n  name: admin\n"
    b"users:\n- name: admin\n  user:\n    token: sha256~bench-not-a-real-token-0123456789\n"
)
PASSWORD = b"bench-kubeadmin-password-0000"


def _ci_operator() -> dict[str, Any]:
    """A full ci-operator configuration, as a Konflux provision task submits it."""
    return {
        "baseImages": {
            "cli": {"name": "4.20", "namespace": "ocp", "tag": "cli"},
            "upi-installer": {"name": "4.20", "namespace": "ocp", "tag": "upi-installer"},
            "tests-private": {"name": "tests-private", "namespace": "ci", "tag": "4.20"},
        },
        "buildRoot": {
            "image_stream_tag": {"name": "release", "namespace": "openshift", "tag": "golang-1.24"}
        },
        "externalImages": {
            "konflux-operator": {
                "registry": "quay.io",
                "namespace": "konflux-ci",
                "name": "operator",
                "tag": "sha-5f1c2e7",
            }
        },
        "releases": {
            "initial": {"integration": {"name": "4.20", "namespace": "ocp"}},
            "latest": {
                "candidate": {
                    "product": "ocp",
                    "stream": "nightly",
                    "version": "4.20",
                    "architecture": "amd64",
                    "relative": 1,
                }
            },
        },
        "resources": {
            "*": {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "4Gi"}}
        },
        "test": {
            "clusterProfile": "aws-2",
            "workflow": "ipi-aws",
            "env": {
                "BASE_DOMAIN": "ci.devcluster.example.com",
                "COMPUTE_NODE_REPLICAS": "3",
                "CONTROL_PLANE_INSTANCE_TYPE": "m6a.xlarge",
                "COMPUTE_NODE_TYPE": "m6a.2xlarge",
                "FIPS_ENABLED": "false",
                "OCP_ARCH": "amd64",
                "ZONES_COUNT": "2",
            },
        },
    }


def _xr(name: str) -> dict[str, Any]:
    """The composite of a TestPlatformCluster claim as Crossplane sends it (metadata and all)."""
    return {
        "apiVersion": "ci.openshift.org/v1alpha1",
        "kind": "XTestPlatformCluster",
        "metadata": {
            "name": name,
            "uid": f"6b1f0c3e-2a4d-4e8f-9c1b-{XR_TOKEN}000000",
            "resourceVersion": RV_TOKEN,
            "generation": 1,
            "creationTimestamp": "2026-05-01T10:00:00Z",
            "finalizers": ["composite.apiextensions.crossplane.io"],
            "labels": {
                "crossplane.io/claim-name": CLAIM,
                "crossplane.io/claim-namespace": TENANT,
                "crossplane.io/composite": name,
            },
            "annotations": {
                "ephemeralcluster.ci.openshift.io/pipeline-run-name": "e2e-4-20-pr-7f3k9",
                "ephemeralcluster.ci.openshift.io/task-run-name": "e2e-4-20-pr-7f3k9-provision",
            },
        },
        "spec": {
            "ciOperator": _ci_operator(),
            "claimRef": {
                "apiVersion": "ci.openshift.org/v1alpha1",
                "kind": "TestPlatformCluster",
                "name": CLAIM,
                "namespace": TENANT,
            },
            "compositionRef": {"name": "testplatform-ephemeral-cluster"},
            "compositionRevisionRef": {"name": "testplatform-ephemeral-cluster-8d2f1a7"},
            "compositionUpdatePolicy": "Automatic",
            "resourceRefs": [
                {
                    "apiVersion": "kubernetes.crossplane.io/v1alpha2",
                    "kind": "Object",
                    "name": f"managed-{name}",
                }
            ],
            "writeConnectionSecretToRef": {
                "name": f"6b1f0c3e-{XR_TOKEN}",
                "namespace": "crossplane-system",
            },
        },
        "status": {
            "conditions": [
                {
                    "type": "Synced",
                    "status": "True",
                    "reason": "ReconcileSuccess",
                    "lastTransitionTime": "2026-05-01T10:00:02Z",
                }
            ]
        },
    }


def _condition(typ: str, status: str, reason: str, message: str, at: str) -> dict[str, str]:
    return {
        "type": typ,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": at,
    }


def _ec_manifest(name: str, *, ready: bool) -> dict[str, Any]:
    """The EphemeralCluster as app.ci reports it."""
    conditions = [
        _condition(
            "ProwJobCreating",
            "False",
            "ProwJobCreated",
            "prowjob created",
            "2026-05-01T10:00:05Z",
        ),
        _condition(
            "ClusterReady",
            "True" if ready else "False",
            "KubeconfigFetched" if ready else "ClusterNotReady",
            "cluster is ready" if ready else "waiting for the cluster installation",
            "2026-05-01T10:42:11Z",
        ),
    ]
    status: dict[str, Any] = {
        "phase": "Ready" if ready else "Provisioning",
        "prowJobId": "8c0d5a3e-3f4b-11f1-9a6e-0a580a8206f2",
        "prowJobURL": "https://prow.ci.openshift.org/view/gs/test-platform-results/logs/"
        "ephemeral-cluster-8c0d5a3e/1918273645",
        "conditions": conditions,
    }
    if ready:
        status["secretRef"] = f"{name}-credentials"
    return {
        "apiVersion": "ci.openshift.io/v1",
        "kind": "EphemeralCluster",
        "metadata": {
            "name": name,
            "namespace": TARGET_NAMESPACE,
            "uid": f"0e4c9b2a-{XR_TOKEN}-4b7d-8f3e-5a6c7d8e9f01",
            "resourceVersion": "918273645",
            "generation": 1,
            "annotations": {
                "ephemeralcluster.ci.openshift.io/konflux-tenant": TENANT,
                "ephemeralcluster.ci.openshift.io/konflux-cluster": CLUSTER,
                "ephemeralcluster.ci.openshift.io/pipeline-run-name": "e2e-4-20-pr-7f3k9",
                "ephemeralcluster.ci.openshift.io/task-run-name": "e2e-4-20-pr-7f3k9-provision",
            },
        },
        "spec": {"ciOperator": _ci_operator()},
        "status": status,
    }


def _object_status(ready: bool) -> list[dict[str, str]]:
    return [
        _condition(
            "Ready",
            "True" if ready else "False",
            "Available" if ready else "Creating",
            "",
            "2026-05-01T10:42:15Z",
        ),
        _condition("Synced", "True", "ReconcileSuccess", "", "2026-05-01T10:00:06Z"),
    ]


def _ec_object(name: str, *, ready: bool) -> dict[str, Any]:
    """The observed `ec` Object (provider-kubernetes) wrapping the EphemeralCluster."""
    manifest = _ec_manifest(name, ready=ready)
    desired = {k: v for k, v in manifest.items() if k != "status"}
    desired["metadata"] = {
        "name": name,
        "namespace": TARGET_NAMESPACE,
        "annotations": manifest["metadata"]["annotations"],
    }
    return {
        "apiVersion": "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": {
            "name": f"managed-{name}",
            "uid": f"a1b2c3d4-{XR_TOKEN}-4000-8000-00000000000e",
            "resourceVersion": "918273650",
            "annotations": {"crossplane.io/composition-resource-name": "ec"},
            "labels": {"crossplane.io/composite": name},
        },
        "spec": {
            "deletionPolicy": "Delete",
            "managementPolicies": ["*"],
            "forProvider": {"manifest": desired},
            "providerConfigRef": {"name": PROVIDER_CONFIG},
            "readiness": {"policy": "DeriveFromCelQuery", "celQuery": "has(object.status)"},
            "watch": True,
        },
        "status": {
            "atProvider": {"manifest": manifest},
            "conditions": _object_status(ready),
        },
    }


def _credentials_object(name: str) -> dict[str, Any]:
    """The observed Observe-only `credentials` Object on the EC's Secret."""
    secret: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": f"{name}-credentials", "namespace": TARGET_NAMESPACE},
    }
    return {
        "apiVersion": "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": {
            "name": f"credentials-{name}",
            "annotations": {"crossplane.io/composition-resource-name": "credentials"},
        },
        "spec": {
            "managementPolicies": ["Observe"],
            "forProvider": {"manifest": secret},
            "providerConfigRef": {"name": PROVIDER_CONFIG},
        },
        "status": {
            "atProvider": {"manifest": {**secret, "type": "Opaque"}},
            "conditions": _object_status(True),
        },
    }


# The step input as the shipped Composition writes it (every field spelled out).
STEP_INPUT: dict[str, Any] = {
    "apiVersion": "ephemeralcluster.fn.ci.openshift.org/v1beta1",
    "kind": "Input",
    "providerConfigName": PROVIDER_CONFIG,
    "targetNamespace": TARGET_NAMESPACE,
    "environmentConfigName": "envcfg",
    "environmentConfigKey": "clusterName",
    "credentialsMode": "auto",
    "connectionSecretNamespace": "crossplane-connections",
    "ttl": {"transitioning": "30s", "steady": "5m"},
}


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(data)
    return out


def build(scenario: str) -> fnv1.RunFunctionRequest:
    """The request for `scenario`, still carrying the placeholder tokens."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {SCENARIOS}")
    name = f"{CLAIM}-{XR_TOKEN}"
    ready = scenario == "ready"
    req = fnv1.RunFunctionRequest(meta=fnv1.RequestMeta(tag=TAG_TOKEN))
    # What Crossplane 2.2 advertises; it answers the EnvironmentConfig in required_resources.
    req.meta.capabilities.extend(CAPABILITIES)
    req.observed.composite.resource.CopyFrom(_struct(_xr(name)))
    req.observed.resources["ec"].resource.CopyFrom(_struct(_ec_object(name, ready=ready)))
    if ready:
        creds = req.observed.resources["credentials"]
        creds.resource.CopyFrom(_struct(_credentials_object(name)))
        creds.connection_details["kubeconfig"] = KUBECONFIG
        creds.connection_details["kubeAdminPassword"] = PASSWORD
    envcfg = {
        "apiVersion": "apiextensions.crossplane.io/v1beta1",
        "kind": "EnvironmentConfig",
        "metadata": {"name": "envcfg"},
        "data": {"clusterName": CLUSTER},
    }
    req.required_resources["envcfg"].items.add().resource.CopyFrom(_struct(envcfg))
    req.input.CopyFrom(_struct(STEP_INPUT))
    return req


def _fixed(number: int, digits: int, alphabet: str = "0123456789") -> str:
    base = len(alphabet)
    out = []
    for _ in range(digits):
        number, rest = divmod(number, base)
        out.append(alphabet[rest])
    return "".join(reversed(out))


@dataclasses.dataclass
class Stream:
    """Distinct serialized requests for one scenario: call `next()` per RunFunction call."""

    scenario: str
    fleet: int = 256  # distinct XRs the calls rotate over
    prefix: str = "b"  # keeps tags unique across streams (one letter)
    count: int = 0
    _template: bytes = b""
    _offsets: dict[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        """Serialize once; find where each token sits."""
        if self.fleet < 1 or self.fleet > len(_B36) ** _XR_DIGITS:
            raise ValueError(f"fleet must be between 1 and {len(_B36) ** _XR_DIGITS}")
        self._template = build(self.scenario).SerializeToString()
        for token in (TAG_TOKEN, RV_TOKEN, XR_TOKEN):
            raw = token.encode()
            found, at = [], self._template.find(raw)
            while at != -1:
                found.append(at)
                at = self._template.find(raw, at + len(raw))
            if not found:
                raise AssertionError(f"token {token} not in the serialized request")
            self._offsets[token] = tuple(found)

    def tag(self, number: int) -> str:
        """The meta.tag of call `number`."""
        return f"{self.prefix}{self.scenario[0]}-x{_fixed(number, _TAG_DIGITS)}"

    def payload(self, number: int) -> bytes:
        """Serialized request for call `number` (distinct tag, resourceVersion and XR)."""
        data = bytearray(self._template)
        values = {
            TAG_TOKEN: self.tag(number),
            RV_TOKEN: "888" + _fixed(number, _RV_DIGITS),  # never the token itself
            XR_TOKEN: "qx" + _fixed(number % self.fleet, _XR_DIGITS, _B36),
        }
        for token, value in values.items():
            raw = value.encode()
            for at in self._offsets[token]:
                data[at : at + len(raw)] = raw
        return bytes(data)

    def next(self) -> tuple[str, bytes]:
        """The next call's tag and request bytes."""
        number = self.count
        self.count += 1
        return self.tag(number), self.payload(number)
