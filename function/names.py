"""Names of everything the function composes, checked against Kubernetes limits.

A name the API server would reject becomes a FATAL result naming the XR field it came from,
instead of a composed resource that fails to apply on every reconcile.
"""

from __future__ import annotations

import hashlib
import re

from function.errors import FatalError

LABEL_MAX = 63  # DNS-1123 label: namespaces, label values, names used as label values
SUBDOMAIN_MAX = 253  # DNS-1123 subdomain: most object names

_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_HASH_LEN = 8


def check_label(value: str, field: str, what: str) -> str:
    """`value` if it is a valid DNS-1123 label, else a FatalError naming `field`."""
    if len(value) > LABEL_MAX:
        raise FatalError(
            field, f"{what} {value[:80]!r} is {len(value)} characters; the limit is {LABEL_MAX}"
        )
    if not _LABEL_RE.match(value):
        raise FatalError(field, f"{what} {value!r} is not a valid DNS-1123 label")
    return value


def check_subdomain(value: str, field: str, what: str) -> str:
    """`value` if it is a valid DNS-1123 subdomain (object name), else a FatalError."""
    if len(value) > SUBDOMAIN_MAX:
        raise FatalError(
            field,
            f"{what} {value[:80]!r}... is {len(value)} characters; the limit is {SUBDOMAIN_MAX}",
        )
    if not _SUBDOMAIN_RE.match(value):
        raise FatalError(field, f"{what} {value!r} is not a valid Kubernetes object name")
    return value


def ec_name(xr_name: str, xr_namespace: str | None) -> str:
    """Name of the EphemeralCluster for an XR.

    A v1 (claim) XR name is cluster-unique (`<claim>-<random>`), so it is used as is. A v2 XR
    name is only unique inside its namespace, and every tenant's EphemeralCluster lands in the
    same app.ci namespace: the name gets the tenant namespace and a hash of `namespace/name`
    so two tenants can never address (and take over) the same EphemeralCluster.
    """
    if not xr_namespace:
        return check_label(xr_name, "metadata.name", "EphemeralCluster name (the XR name)")
    digest = hashlib.sha256(f"{xr_namespace}/{xr_name}".encode()).hexdigest()[:_HASH_LEN]
    readable = re.sub(r"[^a-z0-9-]", "-", f"{xr_namespace}-{xr_name}".lower())
    prefix = readable[: LABEL_MAX - _HASH_LEN - 1].strip("-")
    return f"{prefix}-{digest}"


def object_name(prefix: str, xr_name: str) -> str:
    """`<prefix>-<XR name>` for a composed Object, checked as an object name."""
    return check_subdomain(f"{prefix}-{xr_name}", "metadata.name", f"{prefix} Object name")
