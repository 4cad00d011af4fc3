"""XR status and the conditions the function reports on the XR and the claim.

The provision task watches the claim: it fails when `_EphemeralClusterPhase` says `Failed`,
prints the message of `_ProwJobURL` and waits for `ClusterReady=True`; deprovisioning waits for
`ProwJobCompleted=True`. Those come from here. Conditions are state, not events, so they are
safe to emit on every call; no Normal/Warning results are emitted in the steady flow.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import credentials, observed
from function.config import Config
from function.requirements import ClusterName, Source
from function.tenant import Problem

# Crossplane owns these condition types; a function cannot set them.
RESERVED = frozenset({"Ready", "Synced", "Healthy", "UpToDate", "Responsive"})
PHASE_CONDITION = "_EphemeralClusterPhase"
URL_CONDITION = "_ProwJobURL"
FAILED_CONDITION = "EphemeralClusterFailed"
ENVCFG_CONDITION = "EnvironmentConfigReady"
CREDENTIALS_CONDITION = "CredentialsAvailable"
TENANT_CONDITION = "TenantVerified"
REQUEST_CONDITION = "RequestAccepted"
CLUSTER_READY = observed.CLUSTER_READY  # the claim's copy of app.ci's condition
WAITING_MESSAGE = "app.ci reports the cluster ready; its kubeconfig has not reached Crossplane yet"

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


_ENVCFG_REASONS = {
    Source.PENDING: "WaitingForEnvironmentConfig",
    Source.MISSING: "EnvironmentConfigNotFound",
    Source.NO_KEY: "EnvironmentConfigKeyMissing",
}


def envcfg_condition(
    rsp: fnv1.RunFunctionResponse,
    cfg: Config,
    cluster: ClusterName,
    ec: observed.EphemeralCluster | None,
) -> None:
    """Say whether the Konflux cluster name was found, and what that means for the EC."""
    if cluster.source is Source.LITERAL:
        return
    where = f"EnvironmentConfig {cfg.environment_config_name} (data.{cfg.environment_config_key})"
    if cluster.found:
        condition(rsp, ENVCFG_CONDITION, "True", "Found", f"{where} found")
        return
    problem = {
        Source.PENDING: f"waiting for {where}",
        Source.MISSING: f"{where} not found",
        Source.NO_KEY: f"{where} has no value",
    }[cluster.source]
    if ec is not None and ec.cluster_name:
        effect = "keeping the existing EphemeralCluster with the cluster name it was created with"
    elif ec is not None:
        effect = "keeping the existing EphemeralCluster as observed"
    else:
        effect = "the EphemeralCluster is not requested until the Konflux cluster name is known"
    reason = _ENVCFG_REASONS[cluster.source]
    condition(rsp, ENVCFG_CONDITION, "False", reason, f"{problem}; {effect}")


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
    rsp: fnv1.RunFunctionResponse, ec: observed.EphemeralCluster, secrets: tuple[str, ...] = ()
) -> None:
    """EC conditions → XR and claim, plus the two compatibility conditions and Failed.

    Messages come from app.ci; any known credential fragment in them is redacted. Whether the
    claim may see app.ci's `ClusterReady=True` is not decided here: `readiness.seal` applies the
    one rule to the whole response.
    """
    for cond in ec.conditions:
        typ = cond.get("type", "")
        if not typ or typ in RESERVED or typ.startswith("_"):
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
    if ec.failed:
        reason, message = _failure_reason(ec)
        message = credentials.redact(message, secrets)
        condition(
            rsp,
            FAILED_CONDITION,
            "True",
            reason,
            f"the EphemeralCluster failed: {message}" if message else "the EphemeralCluster failed",
        )


def credentials_condition(
    rsp: fnv1.RunFunctionResponse,
    problem: str,
    has_kubeconfig: bool,
    shown: Collection[str],
    withheld: Problem | None = None,
) -> None:
    """`CredentialsAvailable`: False with the problem; once shown, kept true to the facts.

    It only appears when app.ci reported an unusable Secret name; from then on every call says
    whether the kubeconfig has arrived (or is withheld: `tenant_condition` says why), so the
    False clears once the problem is gone.
    """
    if problem:
        condition(rsp, CREDENTIALS_CONDITION, "False", "InvalidSecretRef", problem)
    elif CREDENTIALS_CONDITION in shown:
        if withheld is not None:
            condition(rsp, CREDENTIALS_CONDITION, "False", withheld.reason, withheld.message)
        elif has_kubeconfig:
            condition(rsp, CREDENTIALS_CONDITION, "True", "KubeconfigFetched", "kubeconfig fetched")
        else:
            condition(rsp, CREDENTIALS_CONDITION, "False", "WaitingForKubeconfig", WAITING_MESSAGE)


def tenant_condition(
    rsp: fnv1.RunFunctionResponse, withheld: Problem | None, shown: Collection[str]
) -> None:
    """`TenantVerified`: False while credentials are withheld because the EphemeralCluster is not
    provably this tenant's; once shown, True again as soon as it is (Crossplane never removes
    a condition, so the False would otherwise stay)."""
    if withheld is not None:
        condition(rsp, TENANT_CONDITION, "False", withheld.reason, withheld.message)
    elif TENANT_CONDITION in shown:
        condition(
            rsp,
            TENANT_CONDITION,
            "True",
            "TenantMatches",
            "the EphemeralCluster is annotated for this XR's tenant, or not observed yet",
        )


def resolve_stale(
    rsp: fnv1.RunFunctionResponse,
    shown: Collection[str],
    ec: observed.EphemeralCluster | None,
) -> None:
    """Set again the function's own conditions that the XR shows but this call did not send.

    Crossplane never removes a condition a function stops sending: it only sets the ones in the
    response (crossplane/crossplane v1.20.11 and v2.2.4, internal/controller/apiextensions/
    composite/reconciler.go, `Reconciler.handleCommonCompositionResult`), so a `False` from an
    earlier call would stay on the XR and the claim forever.
    """
    sent = {c.type for c in rsp.conditions}
    if REQUEST_CONDITION in shown and REQUEST_CONDITION not in sent:
        condition(rsp, REQUEST_CONDITION, "True", "Accepted", "the request is valid")
    if ENVCFG_CONDITION in shown and ENVCFG_CONDITION not in sent:
        # Only a literal input.konfluxClusterName makes the function skip this condition.
        condition(
            rsp,
            ENVCFG_CONDITION,
            "True",
            "NotRequired",
            "input.konfluxClusterName is set; no EnvironmentConfig is read",
        )
    if FAILED_CONDITION in shown and FAILED_CONDITION not in sent and ec is not None:
        condition(
            rsp,
            FAILED_CONDITION,
            "False",
            "NotFailed",
            f"the EphemeralCluster is not Failed (phase {ec.phase or 'not set'})",
        )


def rejected(rsp: fnv1.RunFunctionResponse, message: str) -> None:
    """The condition a FATAL response carries, so the claim shows why (`message` names the field).

    Crossplane turns no FATAL result into a claim event; it does apply the FATAL response's
    conditions, and the claim copies the claim-targeted ones (crossplane/crossplane v2.2.4,
    internal/controller/apiextensions/composite/composition_functions.go,
    `FunctionComposer.Compose` returns the conditions with the fatal error; reconciler.go
    `Reconciler.Reconcile` applies them through `handleCommonCompositionResult`).
    """
    condition(rsp, REQUEST_CONDITION, "False", "Rejected", message)
