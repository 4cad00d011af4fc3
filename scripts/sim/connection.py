"""Connection Secrets: who writes them, how, and who may.

Followed:

- XR connection Secret (legacy XRs): crossplane/crossplane v2.2.4 (same in v1.20.11),
  internal/controller/apiextensions/composite/api.go: `APIConfigurator.Configure` names it after
  the XR's own UID in the Composition's `writeConnectionSecretsToNamespace` (only when the XR
  has no `writeConnectionSecretToRef` and the Composition names a namespace);
  `APIFilteredSecretPublisher.PublishConnection` writes it through crossplane-runtime's
  `APIPatchingApplicator` (pkg/resource/api.go, `APIPatchingApplicator.Apply`: a JSON merge
  patch), so keys a function stops sending keep their last value.
- Claim Secret: internal/controller/apiextensions/claim/connection.go,
  `APIConnectionPropagator.PropagateConnection`: only from a Secret the XR controls, written
  with `APIUpdatingApplicator` (the claim's Secret gets exactly the XR Secret's data).
- provider-kubernetes Object connection Secret: crossplane-runtime v2.2.0,
  pkg/reconciler/managed/api.go, `APISecretPublisher.PublishConnection`: merge patch too.
- All three refuse a Secret another object controls (crossplane-runtime
  pkg/resource/resource.go, `ConnectionSecretMustBeControllableBy`).
"""

from __future__ import annotations

import base64
from typing import Any

from scripts.sim.store import Store

TYPE = "connection.crossplane.io/v1alpha1"


class NotControllableError(RuntimeError):
    """The Secret exists and is controlled by another object."""


def controller_uid(obj: dict[str, Any]) -> str | None:
    """The uid of the object's controller owner reference, if any."""
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid", ""))
    return None


def owner_ref(owner: dict[str, Any]) -> dict[str, Any]:
    """A controller reference to `owner`."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }


def publish(
    store: Store,
    owner: dict[str, Any],
    name: str,
    namespace: str,
    details: dict[str, bytes],
    *,
    merge: bool,
) -> bool:
    """Write `details` to the owner's connection Secret; True when anything changed.

    `merge`: a JSON merge patch (keys not sent persist) instead of replacing the data.
    """
    data = {k: base64.b64encode(v).decode() for k, v in sorted(details.items())}
    current = store.get("v1", "Secret", name, namespace)
    if current is None:
        store.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "ownerReferences": [owner_ref(owner)],
                },
                "type": TYPE,
                "data": data,
            }
        )
        return True
    uid = controller_uid(current)
    if (uid is None and current.get("type") != TYPE) or (
        uid is not None and uid != owner["metadata"]["uid"]
    ):
        raise NotControllableError(
            f"cannot establish control of existing connection secret {namespace}/{name}"
        )
    new = {**(current.get("data") or {}), **data} if merge else data
    if new == (current.get("data") or {}) and uid is not None:
        return False
    current["data"] = new
    current["metadata"]["ownerReferences"] = [owner_ref(owner)]
    store.update(current)
    return True
