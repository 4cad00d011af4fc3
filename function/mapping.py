"""XR → composed resources: the `ec` Object (wrapping the EphemeralCluster), the Observe-only
`credentials` Object and, for a v2 XR, the `connection-secret` Secret.

Only `spec.ciOperator` and `spec.tearDownCluster` travel from the XR into the EphemeralCluster;
name, namespace, annotations and the ProviderConfig come from the function and its input, so
a claim cannot choose them. `ciOperator` is copied Struct to Struct (no dict round trip), so
integers stay integers and large specs cost little.
"""

from __future__ import annotations

import base64
from typing import Any

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


def _object_doc(v2: bool, cfg: Config) -> dict[str, Any]:
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
    """Everything in the `ec` Object that depends only on the input: built once, then copied.

    Building Structs from dicts runs in Python; copying a finished Struct runs in C.
    """
    key = ("ec", str(v2), cfg.provider_config_name, cfg.provider_config_kind, cfg.target_namespace)
    template = _templates.get(key)
    if template is None:
        doc = _object_doc(v2, cfg)
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
        if len(_templates) >= _TEMPLATE_MAX:
            _templates.clear()
        template = _templates[key] = structs.dict_to_struct(doc)
    return template


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


def _credentials_template(v2: bool, cfg: Config) -> structs.Struct:
    """The `credentials` Object minus its four names: built once per input, then copied."""
    key = (
        "credentials",
        str(v2),
        cfg.provider_config_name,
        cfg.provider_config_kind,
        cfg.target_namespace,
        cfg.connection_secret_namespace,
    )
    template = _templates.get(key)
    if template is None:
        doc = _object_doc(v2, cfg)
        ref = {"apiVersion": "v1", "kind": "Secret", "name": "", "namespace": cfg.target_namespace}
        write_to: dict[str, str] = {"name": ""}
        if not v2:
            write_to["namespace"] = cfg.connection_secret_namespace
        doc["spec"].update(
            {
                "managementPolicies": ["Observe"],
                "forProvider": {
                    "manifest": {
                        "apiVersion": "v1",
                        "kind": "Secret",
                        "metadata": {"name": "", "namespace": cfg.target_namespace},
                    }
                },
                "connectionDetails": [
                    {**ref, "fieldPath": f"data.{item}", "toConnectionSecretKey": item}
                    for item in CONNECTION_KEYS
                ],
                "writeConnectionSecretToRef": write_to,
                "watch": True,
            }
        )
        if len(_templates) >= _TEMPLATE_MAX:
            _templates.clear()
        template = _templates[key] = structs.dict_to_struct(doc)
    return template


def credentials_object(
    xr: observed.Composite,
    cfg: Config,
    secret_ref: str,
    existing: structs.Struct | None = None,
) -> structs.Struct:
    """Observe-only Object on the EC's credentials Secret, publishing its two keys.

    A copy of the input's template (C-level) with the Object and Secret names filled in: a
    fleet of XRs costs the same as one. An `existing` (observed) v1 Object keeps the connection
    Secret it was created with, even after the input's connectionSecretNamespace changed (or
    when upstream's pipeline created it): Crossplane reads a composed resource's connection
    details from the Secret its spec names, and a moved one stays empty until
    provider-kubernetes writes it again, so a running cluster's claim would lose ClusterReady
    and Ready in between.
    """
    secret = names.check_subdomain(secret_ref, "status.secretRef", "EphemeralCluster secretRef")
    name = names.object_name("credentials", xr.name)
    obj = structs.Struct()
    obj.CopyFrom(_credentials_template(xr.v2, cfg))
    metadata = obj.fields["metadata"].struct_value
    metadata.fields["name"].string_value = name
    if xr.v2:
        metadata.fields["namespace"].string_value = xr.namespace
    spec = obj.fields["spec"].struct_value.fields
    manifest = spec["forProvider"].struct_value.fields["manifest"].struct_value
    manifest.fields["metadata"].struct_value.fields["name"].string_value = secret
    for detail in spec["connectionDetails"].list_value.values:
        detail.struct_value.fields["name"].string_value = secret
    write_to = spec["writeConnectionSecretToRef"].struct_value
    write_to.fields["name"].string_value = name
    kept_ref = None if xr.v2 else structs.sub(existing, "spec", "writeConnectionSecretToRef")
    if kept_ref is not None and structs.text(kept_ref, "name"):
        write_to.CopyFrom(kept_ref)
    return obj


def connection_secret_name(xr: observed.Composite) -> str:
    """The v2 Secret name: `spec.writeConnectionSecretToRef.name`, else `<XR>-kubeconfig`.

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
        return name
    return names.check_subdomain(f"{xr.name}-kubeconfig", "metadata.name", "Secret name")


def connection_secret(
    xr: observed.Composite, details: dict[str, bytes], name: str = ""
) -> structs.Struct:
    """The v2 `connection-secret`: the exact credential bytes, base64-encoded once.

    `name` is the name the Secret was created with, when it exists: Crossplane keeps a composed
    resource's name whatever the function asks for (crossplane/crossplane v2.2.4,
    composite/composition_functions.go, `FunctionComposer.Compose`: "If this desired resource
    state pertains to an existing composed resource we want to maintain its name"), so a
    later change of `spec.writeConnectionSecretToRef.name` does not move the Secret.
    """
    data = {
        key: base64.b64encode(details[key]).decode("ascii")
        for key in CONNECTION_KEYS
        if key in details
    }
    return structs.dict_to_struct(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": name or connection_secret_name(xr),
                "namespace": xr.namespace,
            },
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
