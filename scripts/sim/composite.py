"""Crossplane's composite (XR) reconciler with a function pipeline, one pass per tick.

Followed: crossplane/crossplane v2.2.4 (v1.20.11 where `version="1.20"`),
internal/controller/apiextensions/composite/reconciler.go `Reconciler.Reconcile` and
composition_functions.go `FunctionComposer.Compose`. Per XR: name the legacy XR's connection
Secret after the XR's UID (`APIConfigurator.Configure`, see connection.py); observed state from
`resourceRefs` (composed resources keyed by their composition-resource-name annotation, with
their connection details; the XR's own connection details from its Secret); the requirements
loop against the cluster (crossplane.py says which fields this Crossplane answers); a failed
call or a FATAL result applies nothing but conditions (conditions.py); otherwise: apply every
desired composed resource keeping the name it was created with, DELETE every observed one the
response left out, write the XR's status and conditions, merge-patch the desired connection
details into the XR's connection Secret.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple

import crossplane.function.proto.v1.run_function_pb2 as fnv1

from scripts.render import requirements
from scripts.render.composed import compose_metadata, resource_name
from scripts.render.errors import RenderError
from scripts.render.output import from_struct, to_struct
from scripts.render.xr import condition, ready_condition, set_conditions
from scripts.sim import conditions, connection
from scripts.sim.crossplane import Version, version
from scripts.sim.store import Key, Store, key_of

FINALIZER = "composite.apiextensions.crossplane.io"
LABEL_COMPOSITE = "crossplane.io/composite"
Call = Callable[[fnv1.RunFunctionRequest], fnv1.RunFunctionResponse]


class LastRun(NamedTuple):
    """An XR's latest pipeline run, for the invariants to judge."""

    tick: int
    response: fnv1.RunFunctionResponse | None  # None: the call itself failed
    applied: bool  # applied in full (no failed call, no FATAL, no refused publish)


def _refs_path(xr: dict[str, Any]) -> dict[str, Any]:
    """Where Crossplane keeps its machinery: `spec` (legacy) or `spec.crossplane` (v2)."""
    spec = xr.setdefault("spec", {})
    return spec.setdefault("crossplane", {}) if xr["metadata"].get("namespace") else spec


def claim_key(xr: dict[str, Any]) -> Key | None:
    """The XR's claim, from `spec.claimRef` (legacy XRs bound to a claim)."""
    ref = (xr.get("spec") or {}).get("claimRef")
    if not ref:
        return None
    return (ref["apiVersion"], ref["kind"], ref.get("namespace", ""), ref["name"])


class CompositeReconciler:
    """Runs the Composition's pipeline for every XR of its type."""

    def __init__(
        self, store: Store, composition: dict[str, Any], call: Call, *, crossplane: str = "2.2"
    ) -> None:
        self.store = store
        self.composition = composition
        self.call = call
        self.version: Version = version(crossplane)
        ref = composition["spec"]["compositeTypeRef"]
        self.api_version, self.kind = ref["apiVersion"], ref["kind"]
        self.results: list[str] = []  # every non-FATAL and FATAL result message
        self.condition_messages: list[str] = []  # every condition message the function sent
        self.errors: list[str] = []  # reconcile errors (failed calls, FATAL results)
        self.events: list[conditions.Event] = []
        self.last: dict[str, LastRun] = {}  # per XR uid
        self.calls = 0
        self.tick = 0

    def reconcile(self, tick: int) -> None:
        """One pass over every XR of the Composition's type."""
        self.tick = tick
        for xr in self.store.list(self.api_version, self.kind):
            self._one(xr)

    # One XR -------------------------------------------------------------------------------

    def _one(self, xr: dict[str, Any]) -> None:
        meta = xr["metadata"]
        if "deletionTimestamp" in meta:
            # Composed resources go through garbage collection (they are owned by the XR).
            self.store.remove_finalizer(xr, FINALIZER)
            return
        xr = self._configure(xr)
        observed = self._observed(xr)
        uid = meta["uid"]
        try:
            rsp = self._run(xr, observed)
        except RenderError as err:
            self.last[uid] = LastRun(self.tick, None, applied=False)
            self._failed(xr, f"cannot compose resources: {err}")
            return
        step = self.composition["spec"]["pipeline"][0]["step"]
        outcome = conditions.outcome(rsp, step)
        self._record(xr, outcome)
        if outcome.fatal is not None:
            self.last[uid] = LastRun(self.tick, rsp, applied=False)
            self._failed(xr, f"cannot compose resources: {outcome.fatal}", rsp)
            return
        try:
            self._apply(xr, observed, rsp)
        except connection.NotControllableError as err:
            self.last[uid] = LastRun(self.tick, rsp, applied=False)
            self._failed(xr, f"cannot publish connection details: {err}")
            return
        self.last[uid] = LastRun(self.tick, rsp, applied=True)

    def _configure(self, xr: dict[str, Any]) -> dict[str, Any]:
        """Finalizer and composite label; a legacy XR's connection Secret named after its UID."""
        meta = xr["metadata"]
        labels = meta.setdefault("labels", {})
        spec = xr.setdefault("spec", {})
        namespace = self.composition["spec"].get("writeConnectionSecretsToNamespace")
        wants_ref = (
            not meta.get("namespace") and namespace and not spec.get("writeConnectionSecretToRef")
        )
        if (
            FINALIZER in (meta.get("finalizers") or [])
            and LABEL_COMPOSITE in labels
            and not wants_ref
        ):
            return xr
        meta.setdefault("finalizers", [])
        if FINALIZER not in meta["finalizers"]:
            meta["finalizers"].append(FINALIZER)
        labels.setdefault(LABEL_COMPOSITE, meta["name"])
        if wants_ref:
            spec["writeConnectionSecretToRef"] = {"name": meta["uid"], "namespace": namespace}
        status = xr.get("status")
        xr = self.store.update(xr)
        if status is not None:
            xr["status"] = status
        return xr

    def _record(self, xr: dict[str, Any], outcome: conditions.Outcome) -> None:
        """Events of the results (claim-targeted ones on the claim too); a FATAL on the XR only."""
        claim = claim_key(xr)
        for to_claim, typ, reason, message in outcome.events:
            self.events.append(conditions.Event(self.tick, key_of(xr), typ, reason, message))
            if to_claim and claim is not None:
                self.events.append(conditions.Event(self.tick, claim, typ, reason, message))
        if outcome.fatal is not None:
            self.events.append(
                conditions.Event(
                    self.tick,
                    key_of(xr),
                    "Warning",
                    conditions.REASON_COMPOSE,
                    f"cannot compose resources: {outcome.fatal}",
                )
            )

    def _observed(self, xr: dict[str, Any]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for ref in _refs_path(copy.deepcopy(xr)).get("resourceRefs") or []:
            obj = self.store.get(
                ref["apiVersion"], ref["kind"], ref["name"], ref.get("namespace", "")
            )
            if obj is not None and resource_name(obj):
                out[resource_name(obj)] = obj
        return out

    def _details(self, obj: dict[str, Any]) -> dict[str, bytes]:
        ref = (obj.get("spec") or {}).get("writeConnectionSecretToRef")
        if not ref:
            return {}
        namespace = ref.get("namespace") or obj["metadata"].get("namespace", "")
        secret = self.store.get("v1", "Secret", ref["name"], namespace)
        data = (secret or {}).get("data") or {}
        return {k: base64.b64decode(v) for k, v in data.items()}

    def _request(self, xr: dict[str, Any], observed: dict[str, dict]) -> fnv1.RunFunctionRequest:
        step = self.composition["spec"]["pipeline"][0]
        req = fnv1.RunFunctionRequest()
        req.meta.capabilities.extend(self.version.capabilities)
        req.observed.composite.resource.CopyFrom(to_struct(xr))
        for key, value in self._details(xr).items():
            req.observed.composite.connection_details[key] = value
        for name, obj in observed.items():
            res = req.observed.resources[name]
            res.resource.CopyFrom(to_struct(obj))
            for key, value in self._details(obj).items():
                res.connection_details[key] = value
        if step.get("input") is not None:
            req.input.CopyFrom(to_struct(step["input"]))
        return req

    def _run(self, xr: dict[str, Any], observed: dict[str, dict]) -> fnv1.RunFunctionResponse:
        """Crossplane's requirements loop: call until the requirements stop changing."""
        req = self._request(xr, observed)
        previous: fnv1.Requirements | None = None
        for _ in range(requirements.MAX_CALLS):
            req.meta.tag = hashlib.sha256(req.SerializeToString(deterministic=True)).hexdigest()
            self.calls += 1
            rsp = self.call(req)
            self.results += [r.message for r in rsp.results]
            self.condition_messages += [c.message for c in rsp.conditions]
            if any(r.severity == fnv1.SEVERITY_FATAL for r in rsp.results):
                return rsp
            current = rsp.requirements if rsp.HasField("requirements") else None
            if current == previous:
                return rsp
            previous = current
            wanted = current or fnv1.Requirements()
            everything = self.store.list()
            if self.version.answers_resources:
                requirements.fill(req.required_resources, wanted.resources, everything)
            if self.version.answers_extra_resources:
                requirements.fill(req.extra_resources, wanted.extra_resources, everything)
            if rsp.HasField("context"):
                req.context.CopyFrom(rsp.context)
        raise RenderError("requirements didn't stabilize")

    # Applying a response ------------------------------------------------------------------

    def _apply(
        self, xr: dict[str, Any], observed: dict[str, dict], rsp: fnv1.RunFunctionResponse
    ) -> None:
        refs = []
        unready = []
        for name in sorted(rsp.desired.resources):
            res = rsp.desired.resources[name]
            if res.ready != fnv1.READY_TRUE:
                unready.append(name)
            # compose_metadata keeps the observed resource's name, namespace and generateName.
            body = compose_metadata(from_struct(res.resource), name, xr, observed.get(name))
            meta = body["metadata"]
            if not meta.get("name"):
                meta["name"] = f"{meta.pop('generateName')}{self.tick:05d}"
            applied = self._apply_one(body)
            ref = {"apiVersion": applied["apiVersion"], "kind": applied["kind"]}
            ref["name"] = applied["metadata"]["name"]
            if applied["metadata"].get("namespace"):
                ref["namespace"] = applied["metadata"]["namespace"]
            refs.append(ref)
        for name, obj in observed.items():
            if name not in rsp.desired.resources:
                api, kind, namespace, obj_name = key_of(obj)
                self.store.delete(api, kind, obj_name, namespace)  # what Crossplane does
        _refs_path(xr)["resourceRefs"] = refs
        status = xr.get("status")
        xr = self.store.update(xr)
        xr["status"] = status or {}
        self._publish(xr, dict(rsp.desired.composite.connection_details))
        self._status(xr, rsp, unready)

    def _apply_one(self, body: dict[str, Any]) -> dict[str, Any]:
        api, kind, namespace, name = key_of(body)
        current = self.store.get(api, kind, name, namespace)
        if current is None:
            return self.store.create(body)
        owner = connection.controller_uid(current)
        wanted = connection.controller_uid(body)
        if owner is not None and owner != wanted:
            # Server-side apply refuses a second controller reference.
            raise connection.NotControllableError(
                f"{kind} {namespace}/{name} is controlled by another object (uid {owner})"
            )
        meta = current["metadata"]
        for field in ("labels", "annotations"):
            meta[field] = {**(meta.get(field) or {}), **(body["metadata"].get(field) or {})}
        meta["ownerReferences"] = body["metadata"]["ownerReferences"]
        for field, value in body.items():
            if field not in ("apiVersion", "kind", "metadata", "status"):
                current[field] = value
        return self.store.update(current)

    def _status(
        self, xr: dict[str, Any], rsp: fnv1.RunFunctionResponse, unready: list[str]
    ) -> None:
        desired = from_struct(rsp.desired.composite.resource).get("status") or {}
        old = xr.get("status") or {}
        status = {k: v for k, v in desired.items() if k != "conditions"}
        status["conditions"] = set_conditions(
            list(old.get("conditions") or []),
            ready_condition(rsp.desired.composite.ready, unready),
            condition("Synced", "True", "ReconcileSuccess"),
        )
        if old.get("claimConditionTypes"):
            status["claimConditionTypes"] = old["claimConditionTypes"]
        conditions.apply(status, rsp)
        if xr["metadata"].get("namespace"):
            status.pop("claimConditionTypes", None)  # only legacy XRs have claims
        xr["status"] = status
        self.store.update_status(xr)

    def _failed(
        self, xr: dict[str, Any], message: str, rsp: fnv1.RunFunctionResponse | None = None
    ) -> None:
        """A failed reconcile applies nothing but Synced and, for a FATAL, the conditions."""
        self.errors.append(message)
        status = dict(xr.get("status") or {})
        if rsp is not None:
            conditions.fatal(status, rsp, message)
            if xr["metadata"].get("namespace"):
                status.pop("claimConditionTypes", None)
        else:
            status["conditions"] = set_conditions(
                list(status.get("conditions") or []),
                condition("Synced", "False", "ReconcileError", message),
            )
        xr["status"] = status
        self.store.update_status(xr)

    def _publish(self, xr: dict[str, Any], details: dict[str, bytes]) -> None:
        """Merge-patch the desired connection details into the XR's connection Secret."""
        ref = (xr.get("spec") or {}).get("writeConnectionSecretToRef")
        if xr["metadata"].get("namespace") or not ref or not ref.get("namespace"):
            return  # v2 XRs have no connection details
        connection.publish(self.store, xr, ref["name"], ref["namespace"], details, merge=True)
