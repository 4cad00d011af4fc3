"""XR → composed resources: the `ec` Object (wrapping the EphemeralCluster) and, for a v2 XR,
the `connection-secret` Secret; what both Objects share (the `credentials` Object itself is
built in `function.credentials`); re-emitting what was observed (keep-when-observed).

Only `spec.ciOperator` and `spec.tearDownCluster` travel from the XR into the EphemeralCluster;
name, namespace, annotations and the ProviderConfig come from the function and its input, so
a claim cannot choose them. `ciOperator` is copied Struct to Struct (no dict round trip), so
integers stay integers and large specs cost little.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import names, observed, structs
from function.config import Config
from function.errors import FatalError

OBJECT_API_V1 = "kubernetes.crossplane.io/v1alpha2"
OBJECT_API_V2 = "kubernetes.m.crossplane.io/v1alpha1"
EC_API_VERSION = "ci.openshift.io/v1"
EC_KIND = "EphemeralCluster"
READY_QUERY = (
    "has(object.status) && has(object.status.conditions) && "
    'object.status.conditions.exists(c, c.type == "ClusterReady" && c.status == "True")'
)
CONNECTION_KEYS = ("kubeconfig", "kubeAdminPassword")


_TEMPLATE_MAX = 64
_templates: dict[tuple[str, ...], structs.Struct] = {}


def template(key: tuple[str, ...], build: Callable[[], dict[str, Any]]) -> structs.Struct:
    """The Struct for `key`, built from `build()` the first time, then shared (never mutate it:
    copy it). Building Structs from dicts runs in Python; copying a finished Struct runs in C."""
    found = _templates.get(key)
    if found is None:
        if len(_templates) >= _TEMPLATE_MAX:
            _templates.clear()
        found = _templates[key] = structs.dict_to_struct(build())
    return found


def object_doc(v2: bool, cfg: Config) -> dict[str, Any]:
    """apiVersion/kind and providerConfigRef shared by both Objects."""
    ref: dict[str, Any] = {"name": cfg.provider_config_name}
    if v2:
        ref["kind"] = cfg.provider_config_kind
    return {
        "apiVersion": OBJECT_API_V2 if v2 else OBJECT_API_V1,
        "kind": "Object",
        "metadata": {},
        "spec": {"providerConfigRef": ref},
    }


def _ec_template(v2: bool, cfg: Config) -> structs.Struct:
    """Everything in the `ec` Object that depends only on the input: built once, then copied."""

    def build() -> dict[str, Any]:
        doc = object_doc(v2, cfg)
        doc["spec"].update(
            {
                "forProvider": {
                    "manifest": {
                        "apiVersion": EC_API_VERSION,
                        "kind": EC_KIND,
                        "metadata": {"namespace": cfg.target_namespace, "annotations": {}},
                        "spec": {},
                    }
                },
                "readiness": {"policy": "DeriveFromCelQuery", "celQuery": READY_QUERY},
                "watch": True,
            }
        )
        return doc

    key = ("ec", str(v2), cfg.provider_config_name, cfg.provider_config_kind, cfg.target_namespace)
    return template(key, build)


def ec_annotations(xr: observed.Composite, cluster: str) -> dict[str, str]:
    """The annotations the app.ci reconciler reads; run names only when the XR has them."""
    return {observed.TENANT: xr.tenant or "", observed.CLUSTER: cluster, **xr.run_annotations}


def ec_object(
    xr: observed.Composite,
    cfg: Config,
    cluster: str,
    *,
    name: str = "",
    tear_down: bool = False,
    out: structs.Struct | None = None,
) -> structs.Struct:
    """The `ec` Object: EphemeralCluster manifest, CEL readiness on ClusterReady, watched.

    `name`: the name the EphemeralCluster was created with (the observed Object's manifest), so
    a live cluster is never renamed when the naming scheme changes; a new one gets
    `names.ec_name`. `tear_down`: teardown was sent before (observed.teardown), so the
    manifest says `true` whatever the XR says now; otherwise the XR's value, when set.
    Written into `out` when given (the response's own Struct: no extra copy).
    """
    object_name = names.object_name("managed", xr.name)
    ec_name = name or names.ec_name(xr.name, xr.namespace)

    obj = structs.Struct() if out is None else out
    obj.CopyFrom(_ec_template(xr.v2, cfg))
    metadata = obj.fields["metadata"].struct_value
    metadata.fields["name"].string_value = object_name
    if xr.v2:
        metadata.fields["namespace"].string_value = xr.namespace
    manifest = obj.fields["spec"].struct_value.fields["forProvider"].struct_value
    manifest = manifest.fields["manifest"].struct_value
    ec_meta = manifest.fields["metadata"].struct_value
    ec_meta.fields["name"].string_value = ec_name
    annotations = ec_meta.fields["annotations"].struct_value
    for key, value in ec_annotations(xr, cluster).items():
        annotations.fields[key].string_value = value
    spec = manifest.fields["spec"].struct_value
    spec.fields["ciOperator"].CopyFrom(xr.ci_operator)
    if tear_down:
        spec.fields["tearDownCluster"].bool_value = True
    elif xr.tear_down is not None:
        spec.fields["tearDownCluster"].bool_value = xr.tear_down
    return obj


def send_tear_down(obj: structs.Struct) -> None:
    """Make a kept `ec` Object's manifest say `tearDownCluster: true` (teardown stays sent)."""
    manifest = obj.get_or_create_struct("spec").get_or_create_struct("forProvider")
    spec = manifest.get_or_create_struct("manifest").get_or_create_struct("spec")
    spec.fields["tearDownCluster"].bool_value = True


def observe_only(obj: structs.Struct) -> bool:
    """The Object only observes (managementPolicies exactly [Observe]): deleting it never
    deletes what it observes (crossplane/crossplane-runtime v2.2.0, pkg/reconciler/managed/
    reconciler.go, `Reconciler.Reconcile`: the external Delete runs only when
    `policy.ShouldDelete()`, i.e. the policies hold Delete or *)."""
    value = structs.field(obj, "spec", "managementPolicies")
    if value is None or value.WhichOneof("kind") != "list_value":
        return False
    items = value.list_value.values
    return len(items) == 1 and items[0].string_value == "Observe"


def connection_secret_name(xr: observed.Composite, existing: str = "") -> str:
    """The v2 Secret's name: `existing` (the observed Secret's), else
    `spec.writeConnectionSecretToRef.name`, else `<XR>-kubeconfig`.

    The XR's field is checked even when the Secret exists, so a bad name is always a FATAL.
    An existing Secret keeps its name: Crossplane keeps a composed resource's name whatever the
    function asks for (crossplane/crossplane v2.2.4, composite/composition_functions.go,
    `FunctionComposer.Compose`: "If this desired resource state pertains to an existing
    composed resource we want to maintain its name"), so a later change of the field does not
    move the Secret.

    The name may not be the one the `credentials` Object writes its own connection Secret to
    (`credentials-<XR>` in the same namespace): provider-kubernetes and Crossplane would both
    claim that Secret as its controller and each refuse the other's (crossplane-runtime v2.2.0,
    pkg/resource/resource.go, `ConnectionSecretMustBeControllableBy`; crossplane/crossplane
    v2.2.4, composite/composition_functions.go, `FunctionComposer.Compose` applies composed
    resources with the XR as controller).
    """
    field = "spec.writeConnectionSecretToRef.name"
    if xr.connection_secret_name:
        name = names.check_subdomain(xr.connection_secret_name, field, "Secret name")
        if name == names.object_name("credentials", xr.name):
            raise FatalError(
                field,
                f"{name!r} is the connection Secret of the credentials Object "
                "(provider-kubernetes writes the EphemeralCluster's raw credentials there); "
                "choose another name",
            )
    else:
        name = names.check_subdomain(f"{xr.name}-kubeconfig", "metadata.name", "Secret name")
    return existing or name


def connection_secret(namespace: str, name: str, details: Mapping[str, bytes]) -> structs.Struct:
    """The v2 `connection-secret` `name` in `namespace`: the exact credential bytes,
    base64-encoded once."""
    data = {
        key: base64.b64encode(details[key]).decode("ascii")
        for key in CONNECTION_KEYS
        if key in details
    }
    return structs.dict_to_struct(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque",
            "data": data,
        }
    )


def kept(obj: structs.Struct) -> structs.Struct:
    """An observed composed resource re-emitted as desired, unchanged (keep-when-observed).

    Only identity and intent travel back (apiVersion, kind, name/namespace, spec, and a
    Secret's type/data); status and server-set metadata stay out of the desired state.
    """
    out = structs.Struct()
    for key in ("apiVersion", "kind", "spec", "type", "data"):
        value = obj.fields.get(key)
        if value is not None:
            out.fields[key].CopyFrom(value)
    metadata = out.get_or_create_struct("metadata")
    for key in ("name", "namespace"):
        value = structs.field(obj, "metadata", key)
        if value is not None:
            metadata.fields[key].CopyFrom(value)
    return out


def keep_observed(
    req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse, *, withheld: bool, tear_down: bool
) -> None:
    """Re-emit every owned resource that was observed but is not in the desired state.

    A kept `ec` says `tearDownCluster: true` once teardown was requested or sent. While
    credentials are withheld (`tenant.check`) a kept v2 `connection-secret` loses its data
    (Crossplane applies composed resources with server-side apply, so the keys go), and an
    Observe-only `credentials` Object is dropped: Crossplane deletes it and, by garbage
    collection, the connection Secret it filled; app.ci's Secret is untouched
    (observe_only).
    """
    for key in observed.OWNED:
        if key in rsp.desired.resources:
            continue
        res = observed.resource(req, key)
        if res is None:
            continue
        if withheld and key == observed.CREDENTIALS and observe_only(res.resource):
            continue
        out = rsp.desired.resources[key].resource
        out.CopyFrom(kept(res.resource))
        if key == observed.EC and tear_down:
            send_tear_down(out)
        elif key == observed.CONNECTION_SECRET and withheld and "data" in out.fields:
            del out.fields["data"]
