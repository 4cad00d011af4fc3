"""What upstream's five-step pipeline left on a cluster: the composed Objects as they are
observed when the Composition switches to this function.

A model, written from the real templates (konflux-ci/crossplane-control-plane @ a413b9a11e02,
config/xtestplatformcluster/templates/create-ephemeral-cluster.yaml and
observe-credentials-secret.yaml) and from what the machinery between template and cluster does:

- function-go-templating keys each desired resource by its
  `gotemplating.fn.crossplane.io/composition-resource-name` annotation and removes that
  annotation from the resource (crossplane-contrib/function-go-templating fn.go, since v0.2.0:
  `meta.RemoveAnnotations(cd.Resource, annotationKeyCompositionResourceName)`);
- Crossplane then stamps `crossplane.io/composition-resource-name: <key>`, the composite and
  claim labels and a controller reference (crossplane v1.20.11
  internal/controller/apiextensions/composite/composition_functions.go,
  RenderComposedResourceMetadata), and observes composed resources by that annotation;
- the API server fills the Object CRD's defaults (deletionPolicy, managementPolicies, ...).

Values the templates print from a missing map key come out as Go's `<no value>`.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from scripts import crdschema

GOTEMPLATING_KEY = "gotemplating.fn.crossplane.io/composition-resource-name"
CROSSPLANE_KEY = "crossplane.io/composition-resource-name"
PROVIDER_CONFIG = "testplatform-kubernetes-provider-config"
#: Upstream's readiness query, as its template writes it (a YAML block: trailing newline).
CEL_QUERY = (
    "has(object.status) && has(object.status.conditions) &&\n"
    "object.status.conditions.exists(c, c.type == 'ClusterReady' && c.status == 'True')\n"
)
GO_NO_VALUE = "<no value>"
PENDING = "pending"
ANNOTATIONS = "ephemeralcluster.ci.openshift.io/"


def ec_template(xr: dict[str, Any], cluster: str) -> dict[str, Any]:
    """create-ephemeral-cluster.yaml rendered for `xr` (only when envcfg has items)."""
    meta, spec = xr["metadata"], xr["spec"]
    annotations = {
        ANNOTATIONS + "konflux-tenant": spec["claimRef"]["namespace"],
        ANNOTATIONS + "konflux-cluster": cluster,
    }
    xr_annotations = meta.get("annotations")
    if xr_annotations is not None:
        # task-run-name is printed whenever the XR has annotations at all.
        annotations[ANNOTATIONS + "task-run-name"] = xr_annotations.get(
            ANNOTATIONS + "task-run-name", GO_NO_VALUE
        )
        if ANNOTATIONS + "pipeline-run-name" in xr_annotations:
            annotations[ANNOTATIONS + "pipeline-run-name"] = xr_annotations[
                ANNOTATIONS + "pipeline-run-name"
            ]
    ec_spec: dict[str, Any] = {"ciOperator": copy.deepcopy(spec["ciOperator"])}
    if "tearDownCluster" in spec:
        ec_spec["tearDownCluster"] = spec["tearDownCluster"]
    return {
        "apiVersion": "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": {
            "annotations": {GOTEMPLATING_KEY: "ec"},
            "name": f"managed-{meta['name']}",
        },
        "spec": {
            "forProvider": {
                "manifest": {
                    "apiVersion": "ci.openshift.io/v1",
                    "kind": "EphemeralCluster",
                    "metadata": {
                        "name": meta["name"],
                        "namespace": "ephemeral-cluster",
                        "annotations": annotations,
                    },
                    "spec": ec_spec,
                }
            },
            "readiness": {"policy": "DeriveFromCelQuery", "celQuery": CEL_QUERY},
            "watch": True,
            "providerConfigRef": {"name": PROVIDER_CONFIG},
        },
    }


def credentials_template(xr: dict[str, Any], secret_ref: str | None) -> dict[str, Any]:
    """observe-credentials-secret.yaml rendered for `xr`: emitted on every reconcile, on the
    placeholder Secret `pending` until the EC reports status.secretRef."""
    name = f"credentials-{xr['metadata']['name']}"
    secret = secret_ref or PENDING
    return {
        "apiVersion": "kubernetes.crossplane.io/v1alpha2",
        "kind": "Object",
        "metadata": {"annotations": {GOTEMPLATING_KEY: "credentials"}, "name": name},
        "spec": {
            "managementPolicies": ["Observe"],
            "forProvider": {
                "manifest": {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": secret, "namespace": "ephemeral-cluster"},
                }
            },
            "connectionDetails": [
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "namespace": "ephemeral-cluster",
                    "name": secret,
                    "fieldPath": f"data.{key}",
                    "toConnectionSecretKey": key,
                }
                for key in ("kubeconfig", "kubeAdminPassword")
            ],
            "writeConnectionSecretToRef": {"namespace": "crossplane-connections", "name": name},
            "watch": True,
            "providerConfigRef": {"name": PROVIDER_CONFIG},
        },
    }


def as_composed(
    template: dict[str, Any], xr: dict[str, Any], object_crd: dict[str, Any]
) -> dict[str, Any]:
    """The template as it exists on the cluster: go-templating's key annotation traded for
    Crossplane's, Crossplane's labels and controller reference, the CRD's defaults."""
    obj = copy.deepcopy(template)
    meta = obj["metadata"]
    key = meta["annotations"].pop(GOTEMPLATING_KEY)
    meta["annotations"][CROSSPLANE_KEY] = key
    xr_meta = xr["metadata"]
    meta["labels"] = {
        "crossplane.io/composite": xr_meta["name"],
        "crossplane.io/claim-name": xr["spec"]["claimRef"]["name"],
        "crossplane.io/claim-namespace": xr["spec"]["claimRef"]["namespace"],
    }
    meta["ownerReferences"] = [
        {
            "apiVersion": xr["apiVersion"],
            "kind": xr["kind"],
            "name": xr_meta["name"],
            "uid": xr_meta["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    meta["uid"] = f"uid-{meta['name']}"
    meta["finalizers"] = ["finalizer.managedresource.crossplane.io"]
    schema = crdschema.version_schema(object_crd, "v1alpha2")
    return crdschema.apply_defaults(obj, schema)


def observed_ec(
    xr: dict[str, Any], cluster: str, example: dict[str, Any], object_crd: dict[str, Any]
) -> dict[str, Any]:
    """Upstream's `ec` Object with the status provider-kubernetes reported (from `example`)."""
    obj = as_composed(ec_template(xr, cluster), xr, object_crd)
    obj["status"] = copy.deepcopy(example["status"])
    return obj


def observed_credentials(
    xr: dict[str, Any],
    secret_ref: str | None,
    example: dict[str, Any] | None,
    object_crd: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Upstream's `credentials` Object and the connection details Crossplane reads for it.

    On `pending` the provider cannot get the Secret: no atProvider, Synced=False, no details.
    """
    obj = as_composed(credentials_template(xr, secret_ref), xr, object_crd)
    if secret_ref is None or example is None:
        obj["status"] = {
            "conditions": [
                {
                    "type": "Synced",
                    "status": "False",
                    "reason": "ReconcileError",
                    "message": "cannot get Secret ephemeral-cluster/pending: not found",
                    "lastTransitionTime": "2026-05-04T09:12:04Z",
                }
            ]
        }
        return obj, {}
    obj["status"] = copy.deepcopy(example["status"])
    data = example["status"]["atProvider"]["manifest"].get("data") or {}
    details = {key: base64.b64decode(value) for key, value in data.items()}
    return obj, details
