"""What the function reads from a request: the XR's facts and the observed EphemeralCluster.

Reading goes field by field on the protobuf Structs (no conversion of whole resources), and
only the few fields the function uses are ever looked at: whatever else a tenant puts in the
XR spec is never forwarded.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import structs
from function.errors import FatalError

EC = "ec"
CREDENTIALS = "credentials"
CONNECTION_SECRET = "connection-secret"  # noqa: S105 - a resource name, not a secret
OWNED = (EC, CREDENTIALS, CONNECTION_SECRET)

ANNOTATION_PREFIX = "ephemeralcluster.ci.openshift.io/"
TENANT = ANNOTATION_PREFIX + "konflux-tenant"
CLUSTER = ANNOTATION_PREFIX + "konflux-cluster"
PIPELINE_RUN = ANNOTATION_PREFIX + "pipeline-run-name"
TASK_RUN = ANNOTATION_PREFIX + "task-run-name"
CLAIM_NAMESPACE_LABEL = "crossplane.io/claim-namespace"

CLUSTER_READY = "ClusterReady"  # the EC condition app.ci sets once the cluster is usable
FINISHED = frozenset({"Deprovisioned", "Failed"})  # phases after which nothing moves
_TEARING_DOWN = frozenset({"Deprovisioning", "Deprovisioned"})


@dataclasses.dataclass(frozen=True)
class Composite:
    """The XR facts the function acts on."""

    name: str
    namespace: str  # empty for a v1 (cluster-scoped, claim) XR
    tenant: str | None
    tenant_field: str
    run_annotations: dict[str, str]
    ci_operator: structs.Value
    tear_down: bool | None
    connection_secret_name: str | None

    @property
    def v2(self) -> bool:
        """A Crossplane v2 namespaced XR (no claim, no XR connection details)."""
        return bool(self.namespace)


@dataclasses.dataclass(frozen=True)
class EphemeralCluster:
    """The EphemeralCluster as provider-kubernetes last observed it on app.ci."""

    phase: str
    conditions: tuple[dict[str, str], ...]
    prow_job_id: str
    prow_job_url: str
    secret_ref: str
    cluster_name: str
    tenant: str
    tear_down: bool
    # repr=False: old-style ECs carry the kubeconfig in their status.
    manifest: structs.Struct = dataclasses.field(repr=False, compare=False)

    def condition(self, typ: str) -> dict[str, str] | None:
        """The EC condition of type `typ`, if reported."""
        return next((c for c in self.conditions if c.get("type") == typ), None)

    @property
    def cluster_ready(self) -> bool:
        """The reconciler reports a usable cluster."""
        cond = self.condition(CLUSTER_READY)
        return cond is not None and cond.get("status") == "True"

    @property
    def tearing_down(self) -> bool:
        """app.ci has the teardown (its spec says so) or is tearing down, or is done."""
        return self.tear_down or self.phase in _TEARING_DOWN

    @property
    def failed(self) -> bool:
        """The EphemeralCluster failed (phase `Failed`)."""
        return self.phase == "Failed"

    @property
    def finished(self) -> bool:
        """Nothing moves any more: torn down or failed."""
        return self.phase in FINISHED


_KINDS = {
    "struct_value": "an object",
    "string_value": "a string",
    "number_value": "a number",
    "bool_value": "a boolean",
    "list_value": "an array",
    "null_value": "null",
}


def _typed(struct: structs.Struct, key: str, field: str, kind: str) -> structs.Value | None:
    """The Value at `key` if it has the `kind` the function reads; None when absent or null;
    any other type is a FatalError naming `field` and both types."""
    value = struct.fields.get(key)
    if value is None:
        return None
    got = value.WhichOneof("kind")
    if got == kind:
        return value
    if got is None or got == "null_value":
        return None
    raise FatalError(field, f"must be {_KINDS[kind]}, not {_KINDS[got]}")


def _required(struct: structs.Struct, key: str, field: str, kind: str) -> structs.Value:
    """Like `_typed`, but absent is "required ... is missing" and null is the wrong type."""
    value = struct.fields.get(key)
    if value is not None and value.WhichOneof("kind") == "null_value":
        raise FatalError(field, f"must be {_KINDS[kind]}, not null")
    found = _typed(struct, key, field, kind)
    if found is None:
        raise FatalError(field, f"required {_KINDS[kind].split()[-1]} is missing")
    return found


def _object(struct: structs.Struct, key: str, field: str) -> structs.Struct:
    """The object at `key` (empty when absent or null); another type is a FatalError.

    Hot path: a non-empty object needs no type check (only an object has fields).
    """
    value = struct.fields.get(key)
    if value is None:
        return structs.EMPTY
    obj = value.struct_value  # an empty default unless the value is an object
    if obj.fields:
        return obj
    found = _typed(struct, key, field, "struct_value")
    return found.struct_value if found is not None else structs.EMPTY


def _string(struct: structs.Struct, key: str, field: str) -> str:
    """The string at `key` ("" when absent or null); another type is a FatalError.

    Hot path: a non-empty string needs no type check.
    """
    value = struct.fields.get(key)
    if value is None:
        return ""
    text = value.string_value  # "" unless the value is a string
    if text:
        return text
    _typed(struct, key, field, "string_value")
    return ""


_LABEL_FIELD = f"metadata.labels[{CLAIM_NAMESPACE_LABEL}]"
_RUN_FIELDS = tuple((key, f"metadata.annotations[{key}]") for key in (PIPELINE_RUN, TASK_RUN))


def composite(req: fnv1.RunFunctionRequest) -> Composite:
    """The XR facts, or a FatalError naming the XR field that is missing or of the wrong type.

    Only the fields below are read; each must have its schema's type when present (a
    `ciOperator: "x"` is "must be an object, not a string", not "missing").
    """
    xr = req.observed.composite.resource
    meta = _object(xr, "metadata", "metadata")
    name = _string(meta, "name", "metadata.name")
    if not name:
        raise FatalError("metadata.name", "the XR has no name")
    namespace = _string(meta, "namespace", "metadata.namespace")
    spec = _object(xr, "spec", "spec")
    ci_operator = _required(spec, "ciOperator", "spec.ciOperator", "struct_value")
    tear_value = _typed(spec, "tearDownCluster", "spec.tearDownCluster", "bool_value")
    tear_down = tear_value.bool_value if tear_value is not None else None
    if namespace:
        tenant, tenant_field = namespace, "metadata.namespace"
    else:
        claim_ref = _object(spec, "claimRef", "spec.claimRef")
        tenant = _string(claim_ref, "namespace", "spec.claimRef.namespace")
        tenant_field = "spec.claimRef.namespace"
        if not tenant:
            tenant_field = _LABEL_FIELD
            labels = _object(meta, "labels", "metadata.labels")
            tenant = _string(labels, CLAIM_NAMESPACE_LABEL, tenant_field)
    annotations = _object(meta, "annotations", "metadata.annotations")
    runs = {}
    for key, field in _RUN_FIELDS:
        value = _string(annotations, key, field)
        if value:
            runs[key] = value
    secret_ref = _object(spec, "writeConnectionSecretToRef", "spec.writeConnectionSecretToRef")
    secret_name = _string(secret_ref, "name", "spec.writeConnectionSecretToRef.name")
    return Composite(
        name=name,
        namespace=namespace,
        tenant=tenant or None,
        tenant_field=tenant_field if tenant else "spec.claimRef.namespace",
        run_annotations=runs,
        ci_operator=ci_operator,
        tear_down=tear_down,
        connection_secret_name=secret_name or None,
    )


def resource(req: fnv1.RunFunctionRequest, key: str) -> fnv1.Resource | None:
    """The observed composed resource `key` (never auto-creates a map entry)."""
    return req.observed.resources.get(key)


_CONDITION_KEYS = ("type", "status", "reason", "message", "lastTransitionTime")


def _condition(cond: structs.Struct) -> dict[str, str]:
    """One EC condition's string fields (non-strings read as empty)."""
    fields = cond.fields
    out = {}
    for key in _CONDITION_KEYS:
        value = fields.get(key)
        if value is not None:
            out[key] = value.string_value
    return out


def ephemeral_cluster(req: fnv1.RunFunctionRequest) -> EphemeralCluster | None:
    """The EC inside the observed `ec` Object's status.atProvider.manifest, if any."""
    obj = resource(req, EC)
    if obj is None:
        return None
    manifest = structs.sub(obj.resource, "status", "atProvider", "manifest")
    if manifest is None:
        return None
    status = structs.child(manifest, "status")
    conditions = tuple(_condition(c) for c in structs.objects(status, "conditions"))
    annotations = structs.child(structs.child(manifest, "metadata"), "annotations")
    tear = structs.child(manifest, "spec").fields.get("tearDownCluster")
    return EphemeralCluster(
        manifest=manifest,
        phase=structs.text(status, "phase"),
        conditions=conditions,
        prow_job_id=structs.text(status, "prowJobId"),
        prow_job_url=structs.text(status, "prowJobURL"),
        secret_ref=structs.text(status, "secretRef"),
        cluster_name=structs.text(annotations, CLUSTER),
        tenant=structs.text(annotations, TENANT),
        tear_down=tear is not None and tear.WhichOneof("kind") == "bool_value" and tear.bool_value,
    )


class Applied(NamedTuple):
    """What the observed `ec` Object tells provider-kubernetes to apply: its spec, i.e. what
    Crossplane last applied from this function's desired state, synced to app.ci or not."""

    name: str  # spec.forProvider.manifest.metadata.name: the EphemeralCluster's name
    tear_down: bool  # spec.forProvider.manifest.spec.tearDownCluster is true


def applied(req: fnv1.RunFunctionRequest) -> Applied | None:
    """The observed `ec` Object's manifest (its spec, not its status), if observed."""
    obj = resource(req, EC)
    if obj is None:
        return None
    # child/text/bool_value read another type as empty or false: no type checks needed here.
    spec = structs.child(structs.child(obj.resource, "spec"), "forProvider")
    manifest = structs.child(spec, "manifest")
    tear = structs.child(manifest, "spec").fields.get("tearDownCluster")
    return Applied(
        name=structs.text(structs.child(manifest, "metadata"), "name"),
        tear_down=tear is not None and tear.bool_value,
    )


def teardown(xr: Composite, ec: EphemeralCluster | None, sent: Applied | None) -> bool:
    """Teardown is requested now or was sent before: once sent it stays sent.

    Sent means the observed Object's spec says so (Crossplane applied it; provider-kubernetes
    may not have synced it yet) or app.ci's EphemeralCluster does (status.atProvider).
    """
    if xr.tear_down or (sent is not None and sent.tear_down):
        return True
    return ec is not None and ec.tear_down


def composite_condition_types(req: fnv1.RunFunctionRequest) -> frozenset[str]:
    """Types of the conditions the observed XR shows (set by earlier calls, or by Crossplane)."""
    status = structs.child(req.observed.composite.resource, "status")
    types = set()
    for cond in structs.objects(status, "conditions"):
        typ = cond.fields.get("type")
        if typ is not None:
            types.add(typ.string_value)
    return frozenset(types)


def name(res: fnv1.Resource | None) -> str:
    """metadata.name of an observed composed resource ('' when not observed)."""
    if res is None:
        return ""
    return structs.text(structs.child(res.resource, "metadata"), "name")
