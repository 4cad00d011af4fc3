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
from function.input import Input

OBJECT_API_V1 = "kubernetes.crossplane.io/v1alpha2"
OBJECT_API_V2 = "kubernetes.m.crossplane.io/v1alpha1"
EC_API_VERSION = "ci.openshift.io/v1"
EC_KIND = "EphemeralCluster"
READY_QUERY = (
    "has(object.status) && has(object.status.conditions) && "
    'object.status.conditions.exists(c, c.type == "ClusterReady" && c.status == "True")'
)
CONNECTION_KEYS = ("kubeconfig", "kubeAdminPassword")


def _object_header(xr: observed.Composite, cfg: Input, prefix: str) -> dict[str, Any]:
    """apiVersion/kind/metadata and providerConfigRef shared by both Objects."""
    metadata: dict[str, Any] = {"name": names.object_name(prefix, xr.name)}
    ref: dict[str, Any] = {"name": cfg.provider_config_name}
    if xr.v2:
        metadata["namespace"] = xr.namespace
        ref["kind"] = cfg.provider_config_kind
    return {
        "apiVersion": OBJECT_API_V2 if xr.v2 else OBJECT_API_V1,
        "kind": "Object",
        "metadata": metadata,
        "spec": {"providerConfigRef": ref},
    }


def ec_annotations(xr: observed.Composite, cluster: str) -> dict[str, str]:
    """The annotations the app.ci reconciler reads; run names only when the XR has them."""
    return {observed.TENANT: xr.tenant or "", observed.CLUSTER: cluster, **xr.run_annotations}


def ec_object(
    xr: observed.Composite,
    cfg: Input,
    cluster: str,
    ec: observed.EphemeralCluster | None,
) -> structs.Struct:
    """The `ec` Object: EphemeralCluster manifest, CEL readiness on ClusterReady, watched."""
    doc = _object_header(xr, cfg, "managed")
    manifest: dict[str, Any] = {
        "apiVersion": EC_API_VERSION,
        "kind": EC_KIND,
        "metadata": {
            "name": names.ec_name(xr.name, xr.namespace),
            "namespace": cfg.target_namespace,
            "annotations": ec_annotations(xr, cluster),
        },
        "spec": {},
    }
    # Teardown is one-way: once the EC was told, it stays told even if the XR loses the field.
    tear_down = xr.tear_down
    if ec is not None and ec.tear_down:
        tear_down = True
    if tear_down is not None:
        manifest["spec"]["tearDownCluster"] = tear_down
    doc["spec"].update(
        {
            "forProvider": {"manifest": manifest},
            "readiness": {"policy": "DeriveFromCelQuery", "celQuery": READY_QUERY},
            "watch": True,
        }
    )
    struct = structs.dict_to_struct(doc)
    structs.set_path(
        struct, ("spec", "forProvider", "manifest", "spec", "ciOperator"), xr.ci_operator
    )
    return struct


def credentials_object(xr: observed.Composite, cfg: Input, secret_ref: str) -> structs.Struct:
    """Observe-only Object on the EC's credentials Secret, publishing its two keys."""
    secret = names.check_subdomain(secret_ref, "status.secretRef", "EphemeralCluster secretRef")
    doc = _object_header(xr, cfg, "credentials")
    ref = {"apiVersion": "v1", "kind": "Secret", "name": secret, "namespace": cfg.target_namespace}
    write_to: dict[str, str] = {"name": doc["metadata"]["name"]}
    if not xr.v2:
        write_to["namespace"] = cfg.connection_secret_namespace
    doc["spec"].update(
        {
            "managementPolicies": ["Observe"],
            "forProvider": {
                "manifest": {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": secret, "namespace": cfg.target_namespace},
                }
            },
            "connectionDetails": [
                {**ref, "fieldPath": f"data.{key}", "toConnectionSecretKey": key}
                for key in CONNECTION_KEYS
            ],
            "writeConnectionSecretToRef": write_to,
            "watch": True,
        }
    )
    return structs.dict_to_struct(doc)


def connection_secret_name(xr: observed.Composite) -> str:
    """The v2 Secret name: `spec.writeConnectionSecretToRef.name`, else `<XR>-kubeconfig`."""
    if xr.connection_secret_name:
        return names.check_subdomain(
            xr.connection_secret_name, "spec.writeConnectionSecretToRef.name", "Secret name"
        )
    return names.check_subdomain(f"{xr.name}-kubeconfig", "metadata.name", "Secret name")


def connection_secret(xr: observed.Composite, details: dict[str, bytes]) -> structs.Struct:
    """The v2 `connection-secret`: the exact credential bytes, base64-encoded once."""
    data = {
        key: base64.b64encode(details[key]).decode("ascii")
        for key in CONNECTION_KEYS
        if key in details
    }
    return structs.dict_to_struct(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": connection_secret_name(xr), "namespace": xr.namespace},
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
