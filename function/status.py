"""XR status and the conditions the function reports on the XR and the claim.

The provision task watches the claim: it fails when `_EphemeralClusterPhase` says `Failed`,
prints the message of `_ProwJobURL` and waits for `ClusterReady=True`; deprovisioning waits for
`ProwJobCompleted=True`. Those come from here. Conditions are state, not events, so they are
safe to emit on every call; no Normal/Warning results are emitted in the steady flow.
"""

from __future__ import annotations

import functools
import re

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import credentials, observed

# Crossplane owns these condition types; a function cannot set them.
RESERVED = frozenset({"Ready", "Synced", "Healthy", "UpToDate", "Responsive"})
PHASE_CONDITION = "_EphemeralClusterPhase"
URL_CONDITION = "_ProwJobURL"
FAILED_CONDITION = "EphemeralClusterFailed"
ENVCFG_CONDITION = "EnvironmentConfigReady"
CREDENTIALS_CONDITION = "CredentialsAvailable"
CLUSTER_READY = "ClusterReady"
WAITING_MESSAGE = "app.ci reports the cluster ready; its kubeconfig has not reached Crossplane yet"
#: Phases in which ClusterReady=True means "use it now" to the provision task.
USABLE_SOON = frozenset({"", "Provisioning", "Ready"})
TRANSITIONING = frozenset({"", "Provisioning", "Deprovisioning"})
FINISHED = frozenset({"Deprovisioned", "Failed"})

_STATUS = {
    "True": fnv1.STATUS_CONDITION_TRUE,
    "False": fnv1.STATUS_CONDITION_FALSE,
}
_REASON_RE = re.compile(r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
_MESSAGE_MAX = 1024


@functools.lru_cache(maxsize=256)
def _valid_reason(candidate: str) -> bool:
    return bool(_REASON_RE.match(candidate))


def _reason(candidate: str, fallback: str) -> str:
    """A CamelCase reason; never empty (Crossplane requires one)."""
    return candidate if candidate and _valid_reason(candidate) else fallback


def condition(
    rsp: fnv1.RunFunctionResponse, typ: str, status: str, reason: str, message: str = ""
) -> None:
    """Append a condition for the XR and its claim."""
    cond = rsp.conditions.add(
        type=typ,
        status=_STATUS.get(status, fnv1.STATUS_CONDITION_UNKNOWN),
        reason=_reason(reason, "Unspecified"),
        target=fnv1.TARGET_COMPOSITE_AND_CLAIM,
    )
    if message:
        cond.message = message[:_MESSAGE_MAX]


def set_status(rsp: fnv1.RunFunctionResponse, ec: observed.EphemeralCluster) -> None:
    """XR status.phase / prowJobId / prowJobURL (declared by the generated XRD)."""
    fields = {
        "phase": ec.phase,
        "prowJobId": ec.prow_job_id,
        "prowJobURL": ec.prow_job_url,
    }
    fields = {key: value for key, value in fields.items() if value}
    if fields:
        rsp.desired.composite.resource.get_or_create_struct("status").update(fields)


def _failure_reason(ec: observed.EphemeralCluster) -> tuple[str, str]:
    """The reason and message of the EC's most recently changed condition that has a reason."""
    with_reason = [c for c in ec.conditions if c.get("reason")]
    if not with_reason:
        return "Failed", ""
    latest = max(with_reason, key=lambda c: c.get("lastTransitionTime", ""))
    return latest["reason"], latest.get("message", "")


def copy_conditions(
    rsp: fnv1.RunFunctionResponse,
    ec: observed.EphemeralCluster,
    secrets: tuple[str, ...] = (),
    *,
    delivered: bool = True,
) -> None:
    """EC conditions → XR and claim, plus the two compatibility conditions and Failed.

    Messages come from app.ci; any known credential fragment in them is redacted. The provision
    task takes `ClusterReady=True` on the claim as "the kubeconfig is in the Secret", so while
    app.ci says ready but the kubeconfig has not been `delivered` (the credentials Object has
    not read it yet), the claim sees `ClusterReady=False` / `WaitingForKubeconfig` instead.
    """
    for cond in ec.conditions:
        typ = cond.get("type", "")
        if not typ or typ in RESERVED or typ.startswith("_"):
            continue
        if (
            typ == CLUSTER_READY
            and cond.get("status") == "True"
            and not delivered
            and ec.phase in USABLE_SOON
        ):
            condition(rsp, typ, "False", "WaitingForKubeconfig", WAITING_MESSAGE)
            continue
        condition(
            rsp,
            typ,
            cond.get("status", "Unknown"),
            _reason(cond.get("reason", ""), "Observed"),
            credentials.redact(cond.get("message", ""), secrets),
        )
    if ec.phase:
        condition(rsp, PHASE_CONDITION, "True", _reason(ec.phase, "Phase"), ec.phase)
    if ec.prow_job_url:
        condition(rsp, URL_CONDITION, "True", "ProwJobCreated", ec.prow_job_url)
    if ec.phase == "Failed":
        reason, message = _failure_reason(ec)
        message = credentials.redact(message, secrets)
        condition(
            rsp,
            FAILED_CONDITION,
            "True",
            reason,
            f"the EphemeralCluster failed: {message}" if message else "the EphemeralCluster failed",
        )
