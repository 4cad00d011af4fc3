"""Crossplane's composite (XR) reconciler with a function pipeline, one pass per tick.

Per XR: observed state from `resourceRefs` (composed resources keyed by their
composition-resource-name annotation, with the connection details from their connection
Secrets), the requirements loop against the cluster's EnvironmentConfigs, one real gRPC call per
iteration, then - unless the call failed or returned FATAL, in which case nothing is applied -
apply every desired composed resource, DELETE every observed one the response left out, write
the XR's status and conditions (claim-targeted ones listed in `claimConditionTypes`), and
replace the XR's connection Secret with the desired connection details (legacy XRs).
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Callable
from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1

from scripts.render import requirements
from scripts.render.composed import compose_metadata, resource_name
from scripts.render.engine import CAPABILITIES
from scripts.render.errors import RenderError
from scripts.render.output import from_struct, to_struct
from scripts.render.xr import condition, ready_condition, set_conditions
from scripts.sim.store import Store, key_of

FINALIZER = "composite.apiextensions.crossplane.io"
LABEL_COMPOSITE = "crossplane.io/composite"
SYSTEM = frozenset({"Ready", "Synced", "Healthy"})
Call = Callable[[fnv1.RunFunctionRequest], fnv1.RunFunctionResponse]


def _refs_path(xr: dict[str, Any]) -> dict[str, Any]:
    """Where Crossplane keeps its machinery: `spec` (legacy) or `spec.crossplane` (v2)."""
    spec = xr.setdefault("spec", {})
    return spec.setdefault("crossplane", {}) if xr["metadata"].get("namespace") else spec


class CompositeReconciler:
    """Runs the Composition's pipeline for every XR of its type."""

    def __init__(self, store: Store, composition: dict[str, Any], call: Call) -> None:
        self.store = store
        self.composition = composition
        self.call = call
        ref = composition["spec"]["compositeTypeRef"]
        self.api_version, self.kind = ref["apiVersion"], ref["kind"]
        self.results: list[str] = []  # every non-FATAL and FATAL result message
        self.condition_messages: list[str] = []  # every condition message the function sent
        self.errors: list[str] = []  # reconcile errors (failed calls, FATAL results)
        self.calls = 0

    def reconcile(self, tick: int) -> None:
        """One pass over every XR of the Composition's type."""
        for xr in self.store.list(self.api_version, self.kind):
            self._one(xr, tick)

    # One XR -------------------------------------------------------------------------------

    def _one(self, xr: dict[str, Any], tick: int) -> None:
        meta = xr["metadata"]
        if "deletionTimestamp" in meta:
            # Composed resources go through garbage collection (they are owned by the XR).
            self.store.remove_finalizer(xr, FINALIZER)
            return
        labels = meta.setdefault("labels", {})
        if FINALIZER not in (meta.get("finalizers") or []) or LABEL_COMPOSITE not in labels:
            meta.setdefault("finalizers", [])
            if FINALIZER not in meta["finalizers"]:
                meta["finalizers"].append(FINALIZER)
            labels.setdefault(LABEL_COMPOSITE, meta["name"])
            status = xr.get("status")
            xr = self.store.update(xr)
            if status is not None:
                xr["status"] = status
        observed = self._observed(xr)
        try:
            rsp = self._run(xr, observed)
        except RenderError as err:
            self._failed(xr, f"cannot compose resources: {err}")
            return
        fatal = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]
        if fatal:
            step = self.composition["spec"]["pipeline"][0]["step"]
            self._failed(xr, f'pipeline step "{step}" returned a fatal result: {fatal[0]}')
            return
        self._apply(xr, observed, rsp, tick)

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
        req.meta.capabilities.extend(CAPABILITIES)
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
            requirements.fill(req.required_resources, wanted.resources, everything)
            requirements.fill(req.extra_resources, wanted.extra_resources, everything)
            if rsp.HasField("context"):
                req.context.CopyFrom(rsp.context)
        raise RenderError("requirements didn't stabilize")

    # Applying a response ------------------------------------------------------------------

    def _apply(
        self,
        xr: dict[str, Any],
        observed: dict[str, dict],
        rsp: fnv1.RunFunctionResponse,
        tick: int,
    ) -> None:
        refs = []
        unready = []
        for name in sorted(rsp.desired.resources):
            res = rsp.desired.resources[name]
            if res.ready != fnv1.READY_TRUE:
                unready.append(name)
            body = compose_metadata(from_struct(res.resource), name, xr, observed.get(name))
            meta = body["metadata"]
            if not meta.get("name"):
                meta["name"] = f"{meta.pop('generateName')}{tick:05d}"
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
        self._status(xr, rsp, unready)
        self._publish(xr, dict(rsp.desired.composite.connection_details))

    def _apply_one(self, body: dict[str, Any]) -> dict[str, Any]:
        api, kind, namespace, name = key_of(body)
        current = self.store.get(api, kind, name, namespace)
        if current is None:
            return self.store.create(body)
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
        conditions = set_conditions(
            list(old.get("conditions") or []),
            ready_condition(rsp.desired.composite.ready, unready),
            condition("Synced", "True", "ReconcileSuccess"),
        )
        claim_types = set(old.get("claimConditionTypes") or [])
        for cond in rsp.conditions:
            if cond.type in SYSTEM:
                continue
            status_text = {fnv1.STATUS_CONDITION_TRUE: "True", fnv1.STATUS_CONDITION_FALSE: "False"}
            conditions = set_conditions(
                conditions,
                condition(
                    cond.type, status_text.get(cond.status, "Unknown"), cond.reason, cond.message
                ),
            )
            if cond.target == fnv1.TARGET_COMPOSITE_AND_CLAIM:
                claim_types.add(cond.type)
        status["conditions"] = conditions
        if claim_types and not xr["metadata"].get("namespace"):  # only legacy XRs have claims
            status["claimConditionTypes"] = sorted(claim_types)
        xr["status"] = status
        self.store.update_status(xr)

    def _failed(self, xr: dict[str, Any], message: str) -> None:
        """A failed reconcile applies nothing: only the XR's Synced condition changes."""
        self.errors.append(message)
        status = dict(xr.get("status") or {})
        status["conditions"] = set_conditions(
            list(status.get("conditions") or []),
            condition("Synced", "False", "ReconcileError", message),
        )
        xr["status"] = status
        self.store.update_status(xr)

    def _publish(self, xr: dict[str, Any], details: dict[str, bytes]) -> None:
        """The XR's connection Secret gets exactly the desired connection details."""
        ref = (xr.get("spec") or {}).get("writeConnectionSecretToRef")
        if xr["metadata"].get("namespace") or not ref or not ref.get("namespace"):
            return  # v2 XRs have no connection details
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": ref["name"],
                "namespace": ref["namespace"],
                "ownerReferences": [
                    {
                        "apiVersion": xr["apiVersion"],
                        "kind": xr["kind"],
                        "name": xr["metadata"]["name"],
                        "uid": xr["metadata"]["uid"],
                        "controller": True,
                    }
                ],
            },
            "type": "connection.crossplane.io/v1alpha1",
            "data": {k: base64.b64encode(v).decode() for k, v in sorted(details.items())},
        }
        if self.store.get("v1", "Secret", ref["name"], ref["namespace"]) is None:
            self.store.create(secret)
        else:
            self.store.update(secret)
