"""Upstream's acceptance scenario in the simulation: no app.ci reconciler, the test plays it.

konflux-ci/crossplane-control-plane scripts/test-xtestplatformcluster.sh (@ a413b9a11e02) runs
on kind: it applies namespace `ephemeral-cluster`, the EnvironmentConfig `envcfg` with
clusterName `test-cluster` and the example claim `tp-aws-cluster` (namespace `default`,
pipeline-run-name `foo`, task-run-name `bar`); then, instead of ci-tools' controller, it
creates Secret `test-credentials` and server-side applies the EphemeralCluster's status
(secretRef, phase Ready, prowJobURL, ClusterReady=True). `AcceptanceWorld` is `World` with
that claim and EnvironmentConfig and with the reconciler replaced by `PlayedController`,
whose one action is what the script does by hand.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from scripts.sim import appci
from scripts.sim.store import NotFoundError, Store
from scripts.sim.world import ENVCFG, XR_API, World

TENANT = "default"  # the example claim has no namespace: kubectl puts it in `default`
CLUSTER_NAME = "test-cluster"
CLAIM_NAME = "tp-aws-cluster"
CREDENTIALS_SECRET = "test-credentials"  # noqa: S105 - a Secret's name
PROW_JOB_URL = "https://prowjob.fake"
#: The scenario's claim (upstream examples/xtestplatformcluster/claim.yaml, same fields).
CLAIM: dict[str, Any] = {
    "apiVersion": XR_API,
    "kind": "TestPlatformCluster",
    "metadata": {
        "name": CLAIM_NAME,
        "namespace": TENANT,
        "annotations": {
            "ephemeralcluster.ci.openshift.io/pipeline-run-name": "foo",
            "ephemeralcluster.ci.openshift.io/task-run-name": "bar",
        },
    },
    "spec": {
        "ciOperator": {
            "releases": {
                "initial": {"integration": {"name": "4.20", "namespace": "ocp"}},
                "latest": {"integration": {"name": "4.20", "namespace": "ocp"}},
            },
            "test": {"clusterProfile": "aws", "env": {"foo": "bar"}, "workflow": "ipi-aws"},
        },
        "writeConnectionSecretToRef": {"name": "aws-cluster-kubeconfig"},
    },
}


def apply_status(store: Store, obj: dict[str, Any]) -> dict[str, Any]:
    """`kubectl apply --server-side --subresource=status --force-conflicts`: the applied
    status fields win (conflicts forced), maps merge field by field, lists and scalars are
    replaced whole (the EC CRD declares no list-type, so its lists are atomic), and nothing
    outside status changes. The object must exist (status cannot create it)."""
    meta = obj["metadata"]
    current = store.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace", ""))
    if current is None:
        raise NotFoundError((obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"]))
    current["status"] = _merge(current.get("status") or {}, obj.get("status") or {})
    return store.update_status(current)


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class PlayedController:
    """Where the app.ci reconciler would be: it does nothing by itself; the test acts."""

    design = "secretRef"

    def __init__(self) -> None:
        self.issued: dict[str, appci.Credentials] = {}  # what the invariants must not see leak

    def reconcile(self, tick: int) -> None:
        """No reconciler runs in upstream's acceptance test."""


class AcceptanceWorld(World):
    """World with upstream's scenario: its claim, its EnvironmentConfig, its namespaces."""

    def __init__(self, target: str, **options: Any) -> None:
        super().__init__(target, **options)
        self.reconciler = PlayedController()
        env = self.control.get(ENVCFG[0], ENVCFG[1], ENVCFG[2])
        if env is None:
            raise LookupError("World has no EnvironmentConfig")
        env["data"] = {"clusterName": CLUSTER_NAME}
        self.control.update(env)
        self.appci.create(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": appci.NAMESPACE}}
        )
        self.control.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": TENANT}})

    def create_request(self, **spec: Any) -> dict[str, Any]:
        """`kubectl apply -f claim.yaml`."""
        doc = copy.deepcopy(CLAIM)
        doc["spec"].update(spec)
        return self.control.create(doc)

    @property
    def request_key(self) -> tuple[str, str, str, str]:
        """The scenario's claim."""
        return (XR_API, CLAIM["kind"], TENANT, CLAIM_NAME)

    def report_ready(self, ec_name: str, kubeconfig: bytes, password: bytes) -> dict[str, Any]:
        """What the script does as the controller: the Secret, then the status by SSA."""
        self.reconciler.issued[ec_name] = appci.Credentials(
            kubeconfig, password, token=kubeconfig.decode().rsplit("token: ", 1)[-1].strip()
        )
        self.appci.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": CREDENTIALS_SECRET, "namespace": appci.NAMESPACE},
                "type": "Opaque",
                "data": {
                    "kubeconfig": base64.b64encode(kubeconfig).decode(),
                    "kubeAdminPassword": base64.b64encode(password).decode(),
                },
            }
        )
        return apply_status(
            self.appci,
            {
                "apiVersion": appci.API_VERSION,
                "kind": appci.KIND,
                "metadata": {"name": ec_name, "namespace": appci.NAMESPACE},
                "status": {
                    "secretRef": CREDENTIALS_SECRET,
                    "phase": "Ready",
                    "prowJobURL": PROW_JOB_URL,
                    "conditions": [
                        {
                            "type": "ClusterReady",
                            "status": "True",
                            "lastTransitionTime": "2025-05-28T12:12:12Z",
                        }
                    ],
                },
            },
        )
