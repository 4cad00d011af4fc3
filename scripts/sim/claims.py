"""Crossplane's claim reconciler (legacy XRs), one pass per tick.

Followed: crossplane/crossplane v2.2.4 (same in v1.20.11),
internal/controller/apiextensions/claim/reconciler.go `Reconciler.Reconcile` and
syncer_ssa.go `ServerSideCompositeSyncer.Sync`. A claim gets an XR named
`<claim>-<random suffix>` with `spec.claimRef`, the claim labels and annotations and the
claim's spec (minus the claim-only fields); from then on the claim's spec is copied to the XR
and the XR's status fields back to the claim. Then, in this order: the claim's `Synced` is
ReconcileSuccess; every condition type in the XR's `claimConditionTypes` is copied to the
claim; if the XR's `Ready` is not True the claim's `Ready` is False/`Waiting` and the pass
ends; only otherwise is the XR's connection Secret copied to the claim's Secret
(`APIConnectionPropagator.PropagateConnection`, see connection.py) and the claim's `Ready`
True/`Available`. Deleting the claim deletes the XR (background policy) and, through
ownership, the claim's Secret.
"""

from __future__ import annotations

import base64
import random
from typing import Any

from scripts.render.xr import condition, set_conditions
from scripts.sim import connection
from scripts.sim.store import Store

FINALIZER = "finalizer.apiextensions.crossplane.io"
CLAIM_NAME = "crossplane.io/claim-name"
CLAIM_NAMESPACE = "crossplane.io/claim-namespace"
#: Claim spec fields that configure Crossplane rather than the XR.
CLAIM_ONLY = frozenset({"writeConnectionSecretToRef", "resourceRef", "compositeDeletePolicy"})
XR_ONLY = frozenset(
    {"claimRef", "writeConnectionSecretToRef", "resourceRefs", "compositionRevisionRef"}
)
_SUFFIX = "abcdefghijklmnopqrstuvwxyz0123456789"


class ClaimReconciler:
    """Binds claims of one kind to XRs of another, and keeps them in sync."""

    def __init__(
        self,
        store: Store,
        *,
        claim: tuple[str, str],
        composite: tuple[str, str],
        composition: str,
        seed: int = 4,
    ) -> None:
        self.store = store
        self.claim_api, self.claim_kind = claim
        self.xr_api, self.xr_kind = composite
        self.composition = composition
        self.errors: list[str] = []  # reconcile errors (connection propagation)
        self._random = random.Random(seed)  # noqa: S311 - names, not secrets

    def reconcile(self, _tick: int) -> None:
        """One pass over every claim."""
        for claim in self.store.list(self.claim_api, self.claim_kind):
            self._one(claim)

    def xr_of(self, claim: dict[str, Any]) -> dict[str, Any] | None:
        """The claim's XR, if bound and present."""
        ref = (claim.get("spec") or {}).get("resourceRef")
        return self.store.get(self.xr_api, self.xr_kind, ref["name"]) if ref else None

    def _one(self, claim: dict[str, Any]) -> None:
        meta = claim["metadata"]
        if "deletionTimestamp" in meta:
            xr = self.xr_of(claim)
            if xr is not None:
                self.store.delete(self.xr_api, self.xr_kind, xr["metadata"]["name"])
            self.store.remove_finalizer(claim, FINALIZER)
            return
        if FINALIZER not in (meta.get("finalizers") or []):
            meta.setdefault("finalizers", []).append(FINALIZER)
            claim = self._update(claim)
        xr = self.xr_of(claim)
        if xr is None:
            xr = self._create_xr(claim)
            claim["spec"]["resourceRef"] = {
                "apiVersion": self.xr_api,
                "kind": self.xr_kind,
                "name": xr["metadata"]["name"],
            }
            claim = self._update(claim)
        else:
            xr = self._sync_xr(claim, xr)
        error = self._secret(claim, xr) if _ready(xr) else None
        self._status(claim, xr, ready=_ready(xr), error=error)

    def _update(self, claim: dict[str, Any]) -> dict[str, Any]:
        status = claim.get("status")
        claim = self.store.update(claim)
        if status is not None:
            claim["status"] = status
        return claim

    def _xr_spec(self, claim: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        spec = {k: v for k, v in current.items() if k in XR_ONLY or k.startswith("composition")}
        spec.update({k: v for k, v in (claim.get("spec") or {}).items() if k not in CLAIM_ONLY})
        return spec

    def _create_xr(self, claim: dict[str, Any]) -> dict[str, Any]:
        meta = claim["metadata"]
        suffix = "".join(self._random.choice(_SUFFIX) for _ in range(5))
        spec = self._xr_spec(claim, {})
        spec.setdefault("compositionRef", {"name": self.composition})
        spec.setdefault("compositionUpdatePolicy", "Automatic")
        spec["claimRef"] = {
            "apiVersion": self.claim_api,
            "kind": self.claim_kind,
            "name": meta["name"],
            "namespace": meta["namespace"],
        }
        # The XR's own connection Secret is named by the XR controller (composite.py).
        return self.store.create(
            {
                "apiVersion": self.xr_api,
                "kind": self.xr_kind,
                "metadata": {
                    "name": f"{meta['name']}-{suffix}",
                    "labels": {CLAIM_NAME: meta["name"], CLAIM_NAMESPACE: meta["namespace"]},
                    "annotations": dict(meta.get("annotations") or {}),
                },
                "spec": spec,
            }
        )

    def _sync_xr(self, claim: dict[str, Any], xr: dict[str, Any]) -> dict[str, Any]:
        xr["spec"] = self._xr_spec(claim, xr.get("spec") or {})
        annotations = {**(xr["metadata"].get("annotations") or {})}
        annotations.update(claim["metadata"].get("annotations") or {})
        xr["metadata"]["annotations"] = annotations
        status = xr.get("status")
        xr = self.store.update(xr)
        if status is not None:
            xr["status"] = status
        return xr

    def _status(
        self, claim: dict[str, Any], xr: dict[str, Any], *, ready: bool, error: str | None
    ) -> None:
        xr_status = xr.get("status") or {}
        status = {
            k: v
            for k, v in xr_status.items()
            if k not in ("conditions", "claimConditionTypes", "connectionDetails")
        }
        conditions = list((claim.get("status") or {}).get("conditions") or [])
        conditions = set_conditions(conditions, condition("Synced", "True", "ReconcileSuccess"))
        wanted = set(xr_status.get("claimConditionTypes") or [])
        for cond in xr_status.get("conditions") or []:
            if cond["type"] in wanted:
                conditions = set_conditions(conditions, cond)
        if error is not None:  # Ready stays as it was
            conditions = set_conditions(
                conditions, condition("Synced", "False", "ReconcileError", error)
            )
        elif ready:
            conditions = set_conditions(conditions, condition("Ready", "True", "Available"))
        else:
            conditions = set_conditions(
                conditions,
                condition(
                    "Ready",
                    "False",
                    "Waiting",
                    "Claim is waiting for composite resource to become Ready",
                ),
            )
        status["conditions"] = conditions
        claim["status"] = status
        self.store.update_status(claim)

    def _secret(self, claim: dict[str, Any], xr: dict[str, Any]) -> str | None:
        """Copy the XR's connection Secret to the claim's; the error, if that failed."""
        want = (claim.get("spec") or {}).get("writeConnectionSecretToRef")
        have = (xr.get("spec") or {}).get("writeConnectionSecretToRef")
        if not want or not have:
            return None
        source = self.store.get("v1", "Secret", have["name"], have.get("namespace", ""))
        error = None
        if source is None:
            error = "cannot get composite resource's connection secret: not found"
        elif connection.controller_uid(source) != xr["metadata"]["uid"]:
            error = "cannot establish control of existing connection secret"
        else:
            details = {k: base64.b64decode(v) for k, v in (source.get("data") or {}).items()}
            try:
                connection.publish(
                    self.store,
                    claim,
                    want["name"],
                    claim["metadata"]["namespace"],
                    details,
                    merge=False,
                )
            except connection.NotControllableError as err:
                error = str(err)
        if error is not None:
            error = f"cannot propagate connection details from composite: {error}"
            self.errors.append(error)
        return error


def _ready(xr: dict[str, Any]) -> bool:
    """The XR's own Ready condition is True."""
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (xr.get("status") or {}).get("conditions") or []
    )


def secret_bytes(store: Store, name: str, namespace: str) -> dict[str, bytes]:
    """A Secret's data, decoded (empty when the Secret does not exist)."""
    secret = store.get("v1", "Secret", name, namespace)
    return {k: base64.b64decode(v) for k, v in ((secret or {}).get("data") or {}).items()}
