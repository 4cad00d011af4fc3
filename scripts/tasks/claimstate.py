"""What a TestPlatformCluster claim says about its cluster, read the same way by both tasks.

The function reports `status.phase`, `status.prowJobId` and `status.prowJobURL` on the XR, which
Crossplane copies to the claim, plus conditions (function/status.py): the EphemeralCluster's own
(`ClusterReady`, `ProwJobCompleted`, ...), `EphemeralClusterFailed` with the EC's reason when the
phase is Failed, and the compatibility conditions `_EphemeralClusterPhase` / `_ProwJobURL`, read
here only when the status fields are missing (a claim composed by upstream's templates).
Crossplane's own `Ready` is True only when the cluster is usable.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from typing import Any

from function.status import CLUSTER_READY, FAILED_CONDITION, PHASE_CONDITION, URL_CONDITION

PROWJOB_COMPLETED = "ProwJobCompleted"
#: ci-tools reconciler.go reportProwJobFinalState (@52352cd): "prowjob state: <state>".
_STATE = re.compile(r"prowjob state: (\w+)")
#: Phases after which the cluster is gone or going: a provision cannot succeed any more.
TORN_DOWN = frozenset({"Deprovisioning", "Deprovisioned"})


@dataclasses.dataclass(frozen=True)
class Claim:
    """The parts of a claim the tasks act on."""

    name: str
    namespace: str
    phase: str
    prow_job_url: str
    deleting: bool
    secret_name: str
    conditions: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, obj: dict[str, Any]) -> Claim:
        meta = obj.get("metadata") or {}
        status = obj.get("status") or {}
        conditions = {
            c["type"]: c
            for c in status.get("conditions") or []
            if isinstance(c, dict) and "type" in c
        }
        phase = status.get("phase") or (conditions.get(PHASE_CONDITION) or {}).get("message", "")
        url = status.get("prowJobURL") or (conditions.get(URL_CONDITION) or {}).get("message", "")
        ref = (obj.get("spec") or {}).get("writeConnectionSecretToRef") or {}
        return cls(
            name=meta.get("name", ""),
            namespace=meta.get("namespace", ""),
            phase=phase,
            prow_job_url=url,
            deleting="deletionTimestamp" in meta,
            secret_name=ref.get("name", ""),
            conditions=conditions,
        )

    def is_true(self, typ: str) -> bool:
        return (self.conditions.get(typ) or {}).get("status") == "True"

    @property
    def ready(self) -> bool:
        """Crossplane's Ready: the function marks the XR ready only when the cluster is usable."""
        return self.is_true("Ready")

    @property
    def started(self) -> bool:
        """app.ci has taken the request up (a phase or a ProwJob is known)."""
        return bool(self.phase or self.prow_job_url)

    def failure(self) -> str:
        """Why the EphemeralCluster failed: the EphemeralClusterFailed condition, else the EC
        condition that reports it (ProwJobCompleted), else just the phase."""
        for typ in (FAILED_CONDITION, PROWJOB_COMPLETED):
            cond = self.conditions.get(typ) or {}
            if cond.get("status") == "True" and cond.get("message"):
                reason = f" ({cond['reason']})" if cond.get("reason") else ""
                return f"{cond['message']}{reason}"
        return f"the EphemeralCluster reports phase {self.phase}"

    def prow_job_state(self) -> str:
        """The ProwJob's final state (success, failure, error, aborted) or '' while it runs."""
        cond = self.conditions.get(PROWJOB_COMPLETED) or {}
        found = _STATE.search(cond.get("message", ""))
        if cond.get("status") == "True" and found:
            return found.group(1)
        if self.phase == "Deprovisioned":
            return "success"
        if self.phase == "Failed":
            return "failure"
        return ""

    def describe(self) -> str:
        """One line of what the claim shows now, for progress and timeout messages."""
        parts = [f"phase {self.phase or '(none yet)'}"]
        for typ in ("Ready", CLUSTER_READY, "Synced"):
            cond = self.conditions.get(typ)
            if not cond:
                continue
            text = f"{typ}={cond.get('status', 'Unknown')}"
            if cond.get("status") != "True":
                detail = cond.get("reason", "")
                if cond.get("message"):
                    detail = f"{detail}: {cond['message']}" if detail else cond["message"]
                if detail:
                    text += f" ({detail})"
            parts.append(text)
        return ", ".join(parts)


def has_kubeconfig(secret: dict[str, Any] | None) -> bool:
    """The Secret holds a non-empty `kubeconfig` (decoded only to check, never kept or shown)."""
    raw = ((secret or {}).get("data") or {}).get("kubeconfig")
    if not raw:
        return False
    try:
        return bool(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError, TypeError):
        return False
