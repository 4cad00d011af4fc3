"""Readiness of each composed resource and of the XR, the one usability rule, and the TTL.

Crossplane treats an unspecified readiness as not ready, so every composed resource gets an
explicit READY_TRUE or READY_FALSE.

The one rule (`usability` + `seal`): the claim may be told `ClusterReady=True` exactly when the
XR is Ready. Crossplane's claim reconciler copies the XR's claim conditions to the claim on
every pass, but propagates the XR's connection Secret to the claim's Secret only once the XR's
own `Ready` condition is True (crossplane/crossplane v1.20.11 and v2.2.4,
internal/controller/apiextensions/claim/reconciler.go, `Reconciler.Reconcile`: the
`GetClaimConditionTypes` loop, then `if !resource.IsConditionTrue(xr.GetCondition(
xpv1.TypeReady))` returns before `PropagateConnection`). The provision task reads the claim's
Secret as soon as it sees `ClusterReady=True`, so any response that says `ClusterReady=True`
must also make the XR Ready. `seal` enforces that, last, on every response.
"""

from __future__ import annotations

import dataclasses

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import observed
from function.config import Config
from function.status import WAITING_MESSAGE
from function.tenant import Problem


def flag(ready: bool) -> fnv1.Ready:
    """READY_TRUE or READY_FALSE, never unspecified."""
    return fnv1.READY_TRUE if ready else fnv1.READY_FALSE


@dataclasses.dataclass(frozen=True)
class Usability:
    """Whether the tenant can use the cluster now; if not, what the claim's ClusterReady says."""

    usable: bool
    reason: str = ""
    message: str = ""


USABLE = Usability(True)


def usability(  # noqa: PLR0911 - one return per reason, in the order they are checked
    ec: observed.EphemeralCluster | None,
    has_kubeconfig: bool,
    *,
    tear_down: bool = False,
    withheld: Problem | None = None,
) -> Usability:
    """The rule: app.ci says `ClusterReady=True` in phase `Ready`, no teardown requested or
    sent (`tear_down`, observed.teardown), credentials not withheld from this tenant, and the
    kubeconfig here.

    The reason and message are what the claim's `ClusterReady` shows instead of app.ci's `True`
    while the cluster is not usable (they only matter when app.ci already says `True`).
    """
    if ec is None or not ec.cluster_ready:
        return Usability(False, "ClusterNotReady", "app.ci does not report the cluster ready")
    if withheld is not None:
        return Usability(False, withheld.reason, withheld.message)
    if tear_down or ec.tearing_down:
        return Usability(False, "TearingDown", "the cluster is being torn down or is gone")
    if ec.failed:
        return Usability(False, "ClusterFailed", "the EphemeralCluster failed")
    if ec.phase != "Ready":
        return Usability(
            False,
            "WaitingForPhaseReady",
            f"app.ci reports ClusterReady but the phase is {ec.phase or 'not set'}",
        )
    if not has_kubeconfig:
        return Usability(False, "WaitingForKubeconfig", WAITING_MESSAGE)
    return USABLE


def seal(rsp: fnv1.RunFunctionResponse, verdict: Usability) -> Usability:
    """Make the response obey the rule; return the final verdict. Runs last in `compose`.

    Usable: the XR's readiness is left unspecified, so Crossplane derives Ready from the
    composed resources (crossplane/crossplane v2.2.4, internal/controller/apiextensions/
    composite/reconciler.go, `Reconciler.Reconcile`: `Available()` unless a composed resource is
    unready, overridden only by an explicit composite readiness). That is Ready only if every
    desired composed resource, this step's and earlier steps', is READY_TRUE and no earlier step
    set the XR READY_FALSE; otherwise the cluster counts as not usable here either.
    Not usable: the XR is READY_FALSE and every `ClusterReady=True` in the response becomes
    False with the verdict's reason.
    """
    if verdict.usable:
        unready = sorted(k for k, r in rsp.desired.resources.items() if r.ready != fnv1.READY_TRUE)
        if unready:
            verdict = Usability(
                False,
                "WaitingForComposedResources",
                "composed resources not ready: " + ", ".join(unready),
            )
        elif rsp.desired.composite.ready == fnv1.READY_FALSE:
            verdict = Usability(
                False, "WaitingForComposite", "an earlier pipeline step marked the XR not ready"
            )
    if verdict.usable:
        return verdict
    rsp.desired.composite.ready = fnv1.READY_FALSE
    for cond in rsp.conditions:
        if cond.type == observed.CLUSTER_READY and cond.status == fnv1.STATUS_CONDITION_TRUE:
            cond.status = fnv1.STATUS_CONDITION_FALSE
            cond.reason = verdict.reason
            cond.message = verdict.message
    return verdict


def ttl(cfg: Config, ec: observed.EphemeralCluster | None, is_usable: bool) -> float:
    """Seconds: short while anything is moving; long when usable or finished."""
    if is_usable or (ec is not None and ec.finished):
        return cfg.ttl.steady_seconds()
    return cfg.ttl.transitioning_seconds()


def set_ttl(rsp: fnv1.RunFunctionResponse, seconds: float) -> None:
    """meta.ttl without building a timedelta; nanos always in [0, 1e9) as a Duration needs
    (the input caps TTLs at 24h, so the float is exact to the nanosecond)."""
    whole, nanos = divmod(round(seconds * 1e9), 1_000_000_000)
    rsp.meta.ttl.seconds = whole
    rsp.meta.ttl.nanos = nanos


def set_composed(rsp: fnv1.RunFunctionResponse, key: str, ready: bool) -> None:
    """Explicit readiness of a composed resource already in the desired state."""
    res = rsp.desired.resources.get(key)
    if res is not None:
        res.ready = flag(ready)
