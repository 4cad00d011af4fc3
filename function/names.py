"""Names of everything the function composes, checked against Kubernetes limits.

A name the API server would reject becomes a FATAL result naming the XR field it came from,
instead of a composed resource that fails to apply on every reconcile.
"""

from __future__ import annotations

import base64
import hashlib
import re

from function.errors import FatalError

LABEL_MAX = 63  # DNS-1123 label: namespaces, label values, names used as label values
SUBDOMAIN_MAX = 253  # DNS-1123 subdomain: most object names

_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
#: Length of the digest that ends a v2 EphemeralCluster name (base32: 5 bits each, 130 bits).
DIGEST_CHARS = 26


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


def digest(text: str) -> str:
    """`DIGEST_CHARS` lowercase base32 characters of sha256(`text`): 130 bits, label-safe."""
    raw = hashlib.sha256(text.encode()).digest()
    return base64.b32encode(raw).decode("ascii")[:DIGEST_CHARS].lower()


def ec_name(xr_name: str, xr_namespace: str | None) -> str:
    """Name of a new EphemeralCluster for an XR (an existing one keeps its name: mapping).

    A v1 (claim) XR name is cluster-unique (`<claim>-<random>`), so it is used as is. A v2 XR
    name is only unique inside its namespace, and every tenant's EphemeralCluster lands in the
    same app.ci namespace, so the name is `<readable prefix>-<digest>`:

    - the digest is the last `DIGEST_CHARS` characters, always, and is the hash of
      `namespace/name` (unambiguous: '/' is in neither), so equal names mean equal digests,
      i.e. a 130-bit sha256 collision; 130 bits keep a search hopeless even against every
      live EphemeralCluster at once (a search for any of T targets costs 2^130 / T hashes);
    - the readable prefix (`namespace-name`, lowercased, cut to fit 63 characters) is for
      people only and IS ambiguous (`team-a` + `dev-x` and `team-a-dev` + `x` read the same,
      and everything past the cut is invisible): nothing may rely on it. The tenant is in the
      EphemeralCluster's konflux-tenant annotation.

    A claim XR name ends in a 5-character random segment, so no v1 name has the 26-character
    final segment of a v2 name: the two schemes never produce the same name.
    """
    if not xr_namespace:
        return check_label(xr_name, "metadata.name", "EphemeralCluster name (the XR name)")
    suffix = digest(f"{xr_namespace}/{xr_name}")
    readable = re.sub(r"[^a-z0-9-]", "-", f"{xr_namespace}-{xr_name}".lower())
    prefix = readable[: LABEL_MAX - DIGEST_CHARS - 1].strip("-")
    return f"{prefix}-{suffix}"


def object_name(prefix: str, xr_name: str) -> str:
    """`<prefix>-<XR name>` for a composed Object, checked as an object name."""
    return check_subdomain(f"{prefix}-{xr_name}", "metadata.name", f"{prefix} Object name")
