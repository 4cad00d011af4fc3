"""The app.ci side: the `ephemeral_cluster_provisioner` reconciler, one pass per tick.

It follows the real controller's observable behaviour (DOMAIN.md): a ProwJob and phase
`Provisioning`; once ci-operator has a cluster, a `<ec>-credentials` Secret plus
`status.secretRef` (new design) or `status.kubeconfig`/`status.kubeAdminPassword` (old design),
`ClusterReady=True`, phase `Ready`; on `tearDownCluster` phase `Deprovisioning` with
`TestCompleted=True`, then `ProwJobCompleted=True` and `Deprovisioned`; a failed ProwJob gives
`Failed`. The finalizer holds a deleted EC until its ProwJob is finished. Time is counted in
ticks instead of minutes of polling.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any, Protocol

from scripts.sim.store import Store, timestamp

API_VERSION = "ci.openshift.io/v1"
KIND = "EphemeralCluster"
NAMESPACE = "ephemeral-cluster"
FINALIZER = "ephemeralcluster.ci.openshift.io/dependent-prowjob"
TENANT = "ephemeralcluster.ci.openshift.io/konflux-tenant"
CLUSTER = "ephemeralcluster.ci.openshift.io/konflux-cluster"
#: Every fake token starts with this, so leak checks can look for it anywhere.
TOKEN_PREFIX = "sha256~FAKE-sim-token-"  # noqa: S105 - fake, for leak checks


@dataclasses.dataclass(frozen=True)
class Credentials:
    """What the reconciler issued for one EC (fake, but unique per cluster)."""

    kubeconfig: bytes
    password: bytes
    token: str

    def fragments(self) -> list[str]:
        """Strings that must never show up outside credential Secrets."""
        out = [self.token]
        if self.password:
            out.append(self.password.decode())
        out += [base64.b64encode(self.kubeconfig).decode()]
        return out


def fake_credentials(ec_name: str, hive: bool) -> Credentials:
    """A fake kubeconfig (and a password for Hive clusters, as the real controller)."""
    token = f"{TOKEN_PREFIX}{ec_name}"
    kubeconfig = (
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
        f"    server: https://api.{ec_name}.sim.invalid:6443\n  name: {ec_name}\n"
        "contexts:\n- context:\n    cluster: " + ec_name + "\n    user: admin\n  name: admin\n"
        "current-context: admin\nusers:\n- name: admin\n  user:\n    token: " + token + "\n"
    ).encode()
    password = f"FAKE-sim-kubeadmin-{ec_name}".encode() if hive else b""
    return Credentials(kubeconfig, password, token)


def _condition(
    ec: dict, typ: str, status: str, reason: str, *, message: str = "", tick: int
) -> None:
    conds = ec["status"].setdefault("conditions", [])
    for cond in conds:
        if cond["type"] == typ:
            if (cond["status"], cond.get("reason"), cond.get("message", "")) != (
                status,
                reason,
                message,
            ):
                cond.update(status=status, reason=reason, lastTransitionTime=timestamp(tick))
                if message:
                    cond["message"] = message
                else:
                    cond.pop("message", None)
            return
    new = {"type": typ, "status": status, "reason": reason, "lastTransitionTime": timestamp(tick)}
    if message:
        new["message"] = message
    conds.append(new)


class Controller(Protocol):
    """What the world drives as app.ci's controller: this Reconciler, or a test that plays it
    (scripts.sim.acceptance)."""

    design: str
    issued: dict[str, Credentials]  # the credentials it handed out, by EC name

    def reconcile(self, tick: int) -> None:
        """One pass at `tick`."""


class Reconciler:
    """One reconcile pass per tick over every EC in `ephemeral-cluster`."""

    def __init__(
        self,
        store: Store,
        *,
        design: str = "secretRef",
        ticks_to_ready: int = 3,
        ticks_to_deprovision: int = 2,
        fail_after: int | None = None,
        ready_phase_lag: int = 0,
        fail_teardown: bool = False,
    ) -> None:
        """`ready_phase_lag`: ticks between publishing the credentials with `ClusterReady=True`
        and setting phase `Ready` (0 = one status update, as ci-tools does; more models a
        controller that reports ClusterReady while the phase still says Provisioning)."""
        if design not in ("secretRef", "status"):
            raise ValueError(f"unknown credentials design {design!r}")
        self.store = store
        self.design = design
        self.ticks_to_ready = ticks_to_ready
        self.ticks_to_deprovision = ticks_to_deprovision
        self.fail_after = fail_after
        self.ready_phase_lag = ready_phase_lag
        #: The ProwJob ends in failure after teardown was asked for (its deprovision steps
        #: failed): ci-tools' reportProwJobFinalState then gives ProwJobFailure and Failed.
        self.fail_teardown = fail_teardown
        self.issued: dict[str, Credentials] = {}
        self._started: dict[str, int] = {}
        self._teardown: dict[str, int] = {}

    def reconcile(self, tick: int) -> None:
        """Advance every EphemeralCluster by at most one step."""
        for ec in self.store.list(API_VERSION, KIND, NAMESPACE):
            self._one(ec, tick)

    def _one(self, ec: dict[str, Any], tick: int) -> None:
        meta = ec["metadata"]
        name = meta["name"]
        status = ec.setdefault("status", {})
        phase = status.get("phase", "")
        if "deletionTimestamp" in meta:
            self._deleting(ec, tick)
            return
        if not phase:
            self._start(ec, tick)
            return
        if phase == "Provisioning":
            elapsed = tick - self._started.get(name, tick)
            if self.fail_after is not None and elapsed >= self.fail_after:
                self._finish(ec, tick, failed=True)
            elif elapsed >= self.ticks_to_ready + self.ready_phase_lag:
                self._ready(ec, tick)
            elif elapsed >= self.ticks_to_ready:
                self._ready(ec, tick, phase="Provisioning")
            else:
                _condition(
                    ec,
                    "ClusterReady",
                    "False",
                    "SecretsFetchFailure",
                    message="kubeconfig not ready",
                    tick=tick,
                )
                self.store.update_status(ec)
            return
        if phase == "Ready" and (ec.get("spec") or {}).get("tearDownCluster"):
            self._teardown[name] = tick
            status["phase"] = "Deprovisioning"
            _condition(ec, "TestCompleted", "True", "TestDone", tick=tick)
            self.store.update_status(ec)
            return
        if phase == "Deprovisioning" and tick - self._teardown[name] >= self.ticks_to_deprovision:
            self._finish(ec, tick, failed=self.fail_teardown)

    def _start(self, ec: dict[str, Any], tick: int) -> None:
        """Validate the request, start the ProwJob, hold the EC with the finalizer."""
        meta = ec["metadata"]
        annotations = meta.get("annotations") or {}
        problems = [a for a in (TENANT, CLUSTER) if not annotations.get(a)]
        if not ((ec.get("spec") or {}).get("ciOperator") or {}).get("test"):
            problems.append("spec.ciOperator.test")
        if problems:
            ec["status"]["phase"] = "Failed"
            _condition(
                ec,
                "ProwJobCreating",
                "False",
                "EphemeralClusterValidationFailure",
                message="missing " + ", ".join(problems),
                tick=tick,
            )
            self.store.update_status(ec)
            return
        meta.setdefault("finalizers", [])
        if FINALIZER not in meta["finalizers"]:
            meta["finalizers"].append(FINALIZER)
        status = ec["status"]
        ec = self.store.update(ec)
        ec["status"] = status
        self._started[meta["name"]] = tick
        prowjob = f"pj-{meta['uid']}"
        status.update(
            phase="Provisioning",
            prowJobId=prowjob,
            prowJobURL=f"https://prow.sim.invalid/view/gs/logs/{prowjob}",
        )
        _condition(ec, "ProwJobCreating", "False", "ProwJobProperlyCreated", tick=tick)
        self.store.update_status(ec)

    def _ready(self, ec: dict[str, Any], tick: int, phase: str = "Ready") -> None:
        """ci-operator has a cluster: publish its credentials."""
        name = ec["metadata"]["name"]
        hive = bool(
            ((ec.get("spec") or {}).get("ciOperator") or {}).get("test", {}).get("clusterClaim")
        )
        creds = self.issued.setdefault(name, fake_credentials(name, hive))
        status = ec["status"]
        if self.design == "secretRef":
            secret: dict[str, Any] = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": f"{name}-credentials",
                    "namespace": NAMESPACE,
                    "ownerReferences": [
                        {
                            "apiVersion": API_VERSION,
                            "kind": KIND,
                            "name": name,
                            "uid": ec["metadata"]["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "type": "Opaque",
                "data": {
                    "kubeconfig": base64.b64encode(creds.kubeconfig).decode(),
                    "kubeAdminPassword": base64.b64encode(creds.password).decode(),
                },
            }
            if self.store.get("v1", "Secret", secret["metadata"]["name"], NAMESPACE) is None:
                self.store.create(secret)
            status["secretRef"] = secret["metadata"]["name"]
        else:
            status["kubeconfig"] = creds.kubeconfig.decode()
            if creds.password:
                status["kubeAdminPassword"] = creds.password.decode()
        reason = "HiveCredentialsReady" if hive else "CredentialsReady"
        _condition(ec, "ClusterReady", "True", reason, tick=tick)
        status["phase"] = phase
        self.store.update_status(ec)

    def _finish(self, ec: dict[str, Any], tick: int, *, failed: bool) -> None:
        """The ProwJob reached a final state: report it and release the finalizer."""
        state = "failure" if failed else "success"
        reason = "ProwJobFailure" if failed else "ProwJobCompleted"
        _condition(
            ec, "ProwJobCompleted", "True", reason, message=f"prowjob state: {state}", tick=tick
        )
        ec["status"]["phase"] = "Failed" if failed else "Deprovisioned"
        self.store.update_status(ec)
        self.store.remove_finalizer(ec, FINALIZER)

    def _deleting(self, ec: dict[str, Any], tick: int) -> None:
        """Deleted while its ProwJob runs: signal the test done and wait for deprovisioning."""
        name = ec["metadata"]["name"]
        phase = ec["status"].get("phase", "")
        if phase in ("", "Deprovisioned", "Failed"):
            self.store.remove_finalizer(ec, FINALIZER)
            return
        if phase != "Deprovisioning":
            self._teardown[name] = tick
            ec["status"]["phase"] = "Deprovisioning"
            _condition(ec, "TestCompleted", "True", "TestDone", tick=tick)
            self.store.update_status(ec)
            return
        if tick - self._teardown[name] >= self.ticks_to_deprovision:
            self._finish(ec, tick, failed=False)
