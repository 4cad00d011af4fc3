"""What the function reads from a request: the XR's facts and the observed EphemeralCluster.

Reading goes field by field on the protobuf Structs (no conversion of whole resources), and
only the few fields the function uses are ever looked at: whatever else a tenant puts in the
XR spec is never forwarded.
"""

from __future__ import annotations

import dataclasses

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
        cond = self.condition("ClusterReady")
        return cond is not None and cond.get("status") == "True"


def composite(req: fnv1.RunFunctionRequest) -> Composite:
    """The XR facts, or a FatalError naming the XR field that is missing or wrong."""
    xr = req.observed.composite.resource
    meta = structs.child(xr, "metadata")
    name = structs.text(meta, "name")
    if not name:
        raise FatalError("metadata.name", "the XR has no name")
    namespace = structs.text(meta, "namespace")
    spec = structs.child(xr, "spec")
    ci_operator = spec.fields.get("ciOperator")
    if ci_operator is None or ci_operator.WhichOneof("kind") != "struct_value":
        raise FatalError("spec.ciOperator", "required object is missing")
    tear_value = spec.fields.get("tearDownCluster")
    tear_down: bool | None = None
    if tear_value is not None and tear_value.WhichOneof("kind") != "null_value":
        if tear_value.WhichOneof("kind") != "bool_value":
            raise FatalError("spec.tearDownCluster", "must be a boolean")
        tear_down = tear_value.bool_value
    if namespace:
        tenant, tenant_field = namespace, "metadata.namespace"
    else:
        tenant = structs.text(structs.child(spec, "claimRef"), "namespace")
        tenant_field = "spec.claimRef.namespace"
        if not tenant:
            tenant = structs.text(structs.child(meta, "labels"), CLAIM_NAMESPACE_LABEL)
            tenant_field = f"metadata.labels[{CLAIM_NAMESPACE_LABEL}]"
    annotations = structs.child(meta, "annotations")
    runs = {}
    for key in (PIPELINE_RUN, TASK_RUN):
        value = structs.text(annotations, key)
        if value:
            runs[key] = value
    secret_name = structs.text(structs.child(spec, "writeConnectionSecretToRef"), "name")
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
        tear_down=tear is not None and tear.bool_value,
    )


def composite_condition_types(req: fnv1.RunFunctionRequest) -> frozenset[str]:
    """Types of the conditions the observed XR shows (set by earlier calls, or by Crossplane)."""
    status = structs.child(req.observed.composite.resource, "status")
    types = set()
    for cond in structs.objects(status, "conditions"):
        typ = cond.fields.get("type")
        if typ is not None:
            types.add(typ.string_value)
    return frozenset(types)


def resource_name(req: fnv1.RunFunctionRequest, key: str) -> str:
    """metadata.name of the observed composed resource `key` ('' when not observed)."""
    res = resource(req, key)
    if res is None:
        return ""
    return structs.text(structs.child(res.resource, "metadata"), "name")


def with_tenant(xr: Composite, tenant: str) -> Composite:
    """The XR facts with the tenant taken from the already-created EphemeralCluster."""
    return dataclasses.replace(xr, tenant=tenant)
