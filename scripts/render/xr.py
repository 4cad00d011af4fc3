"""The rendered XR: desired status plus the Ready condition and function conditions (rule 6)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence

import crossplane.function.proto.v1.run_function_pb2 as fnv1

CONDITION_TIME = "2024-01-01T00:00:00Z"
#: Condition types only Crossplane may set; function conditions of these types are dropped.
SYSTEM_CONDITIONS = frozenset({"Ready", "Synced", "Healthy"})
FIRST_N = 3

_STATUS = {
    fnv1.STATUS_CONDITION_TRUE: "True",
    fnv1.STATUS_CONDITION_FALSE: "False",
}


def first_n_and_more(names: Iterable[str], n: int = FIRST_N) -> str:
    """``a``, ``a, b``, ``a, b, and c``, ``a, b, c, and 2 more`` over the sorted names."""
    ordered = sorted(names)
    if len(ordered) > n:
        return f"{', '.join(ordered[:n])}, and {len(ordered) - n} more"
    if len(ordered) == n:
        return f"{', '.join(ordered[: n - 1])}, and {ordered[-1]}"
    return ", ".join(ordered)


def condition(type_: str, status: str, reason: str, message: str = "") -> dict:
    """A condition as Crossplane prints it (message omitted when empty)."""
    out = {"type": type_, "status": status, "reason": reason, "lastTransitionTime": CONDITION_TIME}
    if message:
        out["message"] = message
    return out


def from_proto(cond: fnv1.Condition) -> dict:
    """A function's condition; UNSPECIFIED and UNKNOWN both print as Unknown."""
    return condition(cond.type, _STATUS.get(cond.status, "Unknown"), cond.reason, cond.message)


def ready_condition(composite_ready: int, unready: Sequence[str]) -> dict:
    """Ready: False/Creating when the XR or any composed resource is not ready, else Available."""
    if composite_ready == fnv1.READY_FALSE:
        return condition("Ready", "False", "Creating")
    if composite_ready == fnv1.READY_UNSPECIFIED and unready:
        return condition(
            "Ready", "False", "Creating", f"Unready resources: {first_n_and_more(unready)}"
        )
    return condition("Ready", "True", "Available")


def _same(a: Mapping, b: Mapping) -> bool:
    keys = ("type", "status", "reason", "message", "observedGeneration")
    return all(a.get(k) == b.get(k) for k in keys)


def set_conditions(conditions: list[dict], *new: dict) -> list[dict]:
    """Merge like crossplane-runtime: replace a condition of the same type unless unchanged."""
    out = list(conditions)
    for cond in new:
        for index, existing in enumerate(out):
            if existing.get("type") == cond["type"]:
                if not _same(existing, cond):
                    out[index] = cond
                break
        else:
            out.append(cond)
    return out


def render_xr(
    desired: Mapping,
    source: Mapping,
    *,
    composite_ready: int,
    unready: Sequence[str],
    conditions: Sequence[dict],
    include_full_xr: bool = False,
) -> dict:
    """The XR document: the final desired composite, identified by the input XR."""
    xr = copy.deepcopy(dict(desired))
    src_meta = source.get("metadata") or {}
    meta = dict(xr.get("metadata") or {})
    xr["apiVersion"] = source.get("apiVersion", "")
    xr["kind"] = source.get("kind", "")
    for key in ("name", "namespace"):
        if src_meta.get(key):
            meta[key] = src_meta[key]
        else:
            meta.pop(key, None)
    xr["metadata"] = meta
    status = dict(xr.get("status") or {})
    current = list(status.get("conditions") or [])
    current = set_conditions(current, ready_condition(composite_ready, unready))
    current = set_conditions(
        current, *(c for c in conditions if c["type"] not in SYSTEM_CONDITIONS)
    )
    status["conditions"] = current
    xr["status"] = status
    if include_full_xr:
        if "spec" in source:
            xr["spec"] = copy.deepcopy(source["spec"])
        xr["metadata"] = copy.deepcopy(dict(src_meta))
    return xr
