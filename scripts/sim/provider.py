"""provider-kubernetes, one pass per tick: Objects on the control plane, manifests on app.ci.

What the lifecycle depends on, after provider-kubernetes' Object controller
(crossplane-contrib/provider-kubernetes v1.2.1, internal/controller/cluster/object/object.go
and internal/controller/namespaced/object/object.go): create or update the manifest on the
remote cluster (unless Observe-only), copy the observed object into `status.atProvider.manifest`
(`external.setAtProvider`; Secret data replaced by a `redacted` key when secrets are sanitized),
derive readiness (the Object's CEL query, evaluated with cel-python), read `connectionDetails`
from the remote cluster (Secret `data.*` base64-decoded, so values are the exact bytes) into the
Object's connection Secret (merge patch, see connection.py), and on delete remove the remote
object and wait until it is gone before releasing the Object's finalizer.

When an Object is reconciled, which is the only time its `status.atProvider` changes:

- at once when it is new, deleted, or its spec changed (`Setup`: the controller's event
  filter `resource.DesiredStateChanged()`);
- on its poll interval: the provider's `--poll` (default 10m, cmd/provider/main.go), or 30 s
  while the Object is not Ready (`Setup`, `managed.WithPollIntervalHook`); jitter left out;
- when the remote object changes, only if the provider runs with `--enable-watches` (default
  false; cmd/provider/main.go enables `features.EnableAlphaWatches`) AND the Object has
  `spec.watch: true` (`external.shouldWatch`: `c.kindObserver != nil && cr.Spec.Watch`, the
  kindObserver existing only with the feature). `watch: true` alone does nothing.
"""

from __future__ import annotations

import base64
import binascii
import functools
from typing import Any

from scripts.sim import connection
from scripts.sim.store import Store, key_of, seconds, timestamp

OBJECT_APIS = ("kubernetes.crossplane.io/v1alpha2", "kubernetes.m.crossplane.io/v1alpha1")
FINALIZER = "finalizer.managedresource.crossplane.io"
POLL_INTERVAL = 600  # seconds: provider-kubernetes --poll default
NOT_READY_POLL = 30  # seconds: the poll interval hook while the Object is not Ready


@functools.lru_cache(maxsize=16)
def _cel_program(query: str) -> Any:
    import celpy  # noqa: PLC0415 - a test-time dependency

    env = celpy.Environment()
    return env.program(env.compile(query))


def cel_ready(query: str, observed: dict[str, Any]) -> bool:
    """Evaluate a DeriveFromCelQuery readiness query against the observed object."""
    import celpy  # noqa: PLC0415

    result = _cel_program(query).evaluate({"object": celpy.json_to_cel(observed)})
    return not isinstance(result, Exception) and bool(result)


def _condition(typ: str, ok: bool, reason: str, tick: int, message: str = "") -> dict[str, str]:
    cond = {
        "type": typ,
        "status": "True" if ok else "False",
        "reason": reason,
        "lastTransitionTime": timestamp(tick),
    }
    if message:
        cond["message"] = message
    return cond


class ProviderKubernetes:
    """Reconciles every Object in `control` against `remote` (app.ci)."""

    def __init__(
        self,
        control: Store,
        remote: Store,
        *,
        sanitize_secrets: bool = True,
        enable_watches: bool = False,
        poll_interval: int = POLL_INTERVAL,
    ) -> None:
        self.control = control
        self.remote = remote
        self.sanitize_secrets = sanitize_secrets
        self.enable_watches = enable_watches
        self.poll_interval = poll_interval
        self.tick = 0
        #: Per Object uid: (next poll in seconds, generation seen, remote resourceVersion seen).
        self._seen: dict[str, tuple[int, int, str]] = {}
        self.reconciles = 0

    def reconcile(self, tick: int) -> None:
        """One pass over all Objects; each is reconciled only when the provider would."""
        self.tick = tick
        for api in OBJECT_APIS:
            for obj in self.control.list(api, "Object"):
                if self._due(obj):
                    self.reconciles += 1
                    self._one(obj)

    def _remote_version(self, obj: dict[str, Any]) -> str:
        api, kind, namespace, name = key_of(self._target(obj))
        remote = self.remote.get(api, kind, name, namespace)
        return "" if remote is None else remote["metadata"]["resourceVersion"]

    def _due(self, obj: dict[str, Any]) -> bool:
        meta = obj["metadata"]
        seen = self._seen.get(meta["uid"])
        if seen is None or "deletionTimestamp" in meta:
            return True
        next_poll, generation, remote_version = seen
        if meta.get("generation", 1) != generation or seconds(self.tick) >= next_poll:
            return True
        watched = self.enable_watches and bool(obj["spec"].get("watch"))
        return watched and self._remote_version(obj) != remote_version

    def _remember(self, obj: dict[str, Any], ready: bool) -> None:
        interval = self.poll_interval if ready else NOT_READY_POLL
        self._seen[obj["metadata"]["uid"]] = (
            seconds(self.tick) + interval,
            obj["metadata"].get("generation", 1),
            self._remote_version(obj),
        )

    @staticmethod
    def _target(obj: dict[str, Any]) -> dict[str, Any]:
        manifest = dict(obj["spec"]["forProvider"]["manifest"])
        meta = dict(manifest.get("metadata") or {})
        meta.setdefault("name", obj["metadata"]["name"])
        manifest["metadata"] = meta
        return manifest

    def _one(self, obj: dict[str, Any]) -> None:
        spec = obj["spec"]
        policies = set(spec.get("managementPolicies") or ["*"])
        allowed = {a for a in ("Create", "Update", "Delete") if "*" in policies or a in policies}
        target = self._target(obj)
        if "deletionTimestamp" in obj["metadata"]:
            self._delete(obj, target, "Delete" in allowed)
            return
        if FINALIZER not in (obj["metadata"].get("finalizers") or []):
            obj["metadata"].setdefault("finalizers", []).append(FINALIZER)
            status = obj.get("status")
            obj = self.control.update(obj)
            if status is not None:
                obj["status"] = status
        remote = self._sync(target, allowed)
        if remote is None:
            self._status(obj, None, synced=False, message="external resource does not exist")
            return
        try:
            details = self._connection_details(spec.get("connectionDetails") or [])
        except LookupError as err:
            self._status(obj, remote, synced=False, message=str(err))
            return
        if spec.get("writeConnectionSecretToRef") and details:
            try:
                self._publish(obj, details)
            except connection.NotControllableError as err:
                self._status(obj, remote, synced=False, message=f"cannot publish: {err}")
                return
        self._status(obj, remote, synced=True)

    def _delete(self, obj: dict[str, Any], target: dict[str, Any], allowed: bool) -> None:
        """Delete the remote object (unless orphaned) and wait until it is really gone."""
        api, kind, namespace, name = key_of(target)
        if allowed and obj["spec"].get("deletionPolicy", "Delete") == "Delete":
            self.remote.delete(api, kind, name, namespace)
            if self.remote.get(api, kind, name, namespace) is not None:
                return
        self.control.remove_finalizer(obj, FINALIZER)

    def _sync(self, target: dict[str, Any], allowed: set[str]) -> dict[str, Any] | None:
        """Create or update the remote object as the policies allow; return what is there."""
        api, kind, namespace, name = key_of(target)
        remote = self.remote.get(api, kind, name, namespace)
        if remote is None:
            return self.remote.create(target) if "Create" in allowed else None
        if "Update" not in allowed:
            return remote
        meta = dict(remote["metadata"])
        for field in ("labels", "annotations"):
            merged = {**(meta.get(field) or {}), **(target["metadata"].get(field) or {})}
            if merged:
                meta[field] = merged
        desired = {
            **remote,
            **{k: v for k, v in target.items() if k not in ("apiVersion", "kind", "metadata")},
            "metadata": meta,
        }
        return self.remote.update(desired)

    def _connection_details(self, entries: list[dict[str, Any]]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for entry in entries:
            ref = self.remote.get(
                entry["apiVersion"], entry["kind"], entry["name"], entry.get("namespace", "")
            )
            if ref is None:
                raise LookupError(f"cannot get {entry['kind']} {entry['name']}: not found")
            value: Any = ref
            for part in entry["fieldPath"].split("."):
                if not isinstance(value, dict) or part not in value:
                    raise LookupError(f"cannot get value at {entry['fieldPath']}")
                value = value[part]
            raw = str(value).encode()
            if entry["kind"] == "Secret" and entry["apiVersion"] == "v1":
                try:
                    raw = base64.b64decode(raw, validate=True)
                except (binascii.Error, ValueError):
                    raise LookupError("cannot decode secret data") from None
            out[entry["toConnectionSecretKey"]] = raw
        return out

    def _publish(self, obj: dict[str, Any], details: dict[str, bytes]) -> None:
        ref = obj["spec"]["writeConnectionSecretToRef"]
        namespace = ref.get("namespace") or obj["metadata"].get("namespace", "")
        connection.publish(self.control, obj, ref["name"], namespace, details, merge=True)

    def _status(
        self, obj: dict[str, Any], remote: dict[str, Any] | None, *, synced: bool, message: str = ""
    ) -> None:
        status = dict(obj.get("status") or {})
        ready = False
        if remote is not None:
            observed = dict(remote)
            if self.sanitize_secrets and observed.get("kind") == "Secret":
                observed["data"] = {"redacted": None}
            status["atProvider"] = {"manifest": observed}
            readiness = obj["spec"].get("readiness") or {}
            if readiness.get("policy") == "DeriveFromCelQuery":
                ready = cel_ready(readiness.get("celQuery", "false"), remote)
            else:
                ready = True
        status["conditions"] = [
            _condition("Ready", ready, "Available" if ready else "Unavailable", self.tick),
            _condition(
                "Synced",
                synced,
                "ReconcileSuccess" if synced else "ReconcileError",
                self.tick,
                message,
            ),
        ]
        obj["status"] = status
        self.control.update_status(obj)
        self._remember(obj, ready)
