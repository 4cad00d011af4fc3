"""What Crossplane does with a function response's conditions and results.

Followed: crossplane/crossplane v2.2.4 (and v1.20.11, the same on these points),
internal/controller/apiextensions/composite/

- composition_functions.go, `FunctionComposer.Compose`: every step's conditions are collected
  before its results are looked at; NORMAL and WARNING results become events (reason
  `ComposeResources` unless the result has one); the first FATAL result stops the pipeline and
  returns the conditions and the events collected so far with the error
  `pipeline step "<step>" returned a fatal result: <message>`;
- reconciler.go, `Reconciler.handleCommonCompositionResult`: each event is recorded on the XR,
  and on the claim only when targeted at it; each non-system condition is set on the XR (set,
  never removed: a condition a function stops sending stays as it was) and a claim-targeted
  one's type is added to `status.claimConditionTypes`;
- reconciler.go, `Reconciler.Reconcile`, on a compose error (a FATAL result included): Synced
  becomes False/ReconcileError with the error, the response's conditions are applied as above,
  and every other non-system condition turns `Unknown` with reason `FatalError` and the message
  below; nothing else is applied. The FATAL itself becomes a Warning event on the XR only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1

from scripts.render.xr import condition, from_proto, set_conditions
from scripts.sim.store import Key

#: crossplane/crossplane v2.2.4 apis/apiextensions/v1/conditions.go `IsSystemConditionType`
#: (crossplane-runtime's Ready, Synced, Healthy, plus Responsive).
SYSTEM = frozenset({"Ready", "Synced", "Healthy", "Responsive"})
FATAL_REASON = "FatalError"
FATAL_MESSAGE = "A fatal error occurred before the status of this condition could be determined."
REASON_COMPOSE = "ComposeResources"


@dataclasses.dataclass(frozen=True)
class Event:
    """A Kubernetes event Crossplane records on an object."""

    tick: int
    key: Key
    type: str  # Normal or Warning
    reason: str
    message: str


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One pipeline run as Crossplane sees it: the events to record, the fatal error if any."""

    events: list[tuple[bool, str, str, str]]  # (to claim too, type, reason, message)
    fatal: str | None


def outcome(rsp: fnv1.RunFunctionResponse, step: str) -> Outcome:
    """Results in order until the first FATAL, which ends the pipeline (its own is no event)."""
    events: list[tuple[bool, str, str, str]] = []
    for result in rsp.results:
        to_claim = result.target == fnv1.TARGET_COMPOSITE_AND_CLAIM
        reason = result.reason or REASON_COMPOSE
        if result.severity == fnv1.SEVERITY_FATAL:
            return Outcome(
                events, f'pipeline step "{step}" returned a fatal result: {result.message}'
            )
        if result.severity == fnv1.SEVERITY_NORMAL:
            events.append((to_claim, "Normal", reason, result.message))
        else:  # WARNING, or a severity this Crossplane does not know (XR only)
            known = result.severity == fnv1.SEVERITY_WARNING
            events.append((to_claim and known, "Warning", reason, result.message))
    return Outcome(events, None)


def apply(status: dict[str, Any], rsp: fnv1.RunFunctionResponse) -> set[str]:
    """Set the response's non-system conditions on an XR status; the types seen."""
    conditions = list(status.get("conditions") or [])
    claim_types = set(status.get("claimConditionTypes") or [])
    seen: set[str] = set()
    for cond in rsp.conditions:
        if cond.type in SYSTEM:
            continue
        seen.add(cond.type)
        conditions = set_conditions(conditions, from_proto(cond))
        if cond.target == fnv1.TARGET_COMPOSITE_AND_CLAIM:
            claim_types.add(cond.type)
    status["conditions"] = conditions
    if claim_types:
        status["claimConditionTypes"] = sorted(claim_types)
    return seen


def fatal(status: dict[str, Any], rsp: fnv1.RunFunctionResponse, error: str) -> None:
    """A FATAL response: Synced=False, its conditions applied, every other custom one Unknown."""
    status["conditions"] = set_conditions(
        list(status.get("conditions") or []), condition("Synced", "False", "ReconcileError", error)
    )
    seen = apply(status, rsp)
    status["conditions"] = set_conditions(
        status["conditions"],
        *(
            condition(c["type"], "Unknown", FATAL_REASON, FATAL_MESSAGE)
            for c in status["conditions"]
            if c["type"] not in SYSTEM and c["type"] not in seen
        ),
    )
