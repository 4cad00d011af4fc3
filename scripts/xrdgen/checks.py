"""Crossplane's rules for XRD names, scopes, injected fields and printer columns.

Each rule here is one Crossplane (or Kubernetes) would enforce later, at apply time or worse
at reconcile time: an XRD that never becomes Established, or a user field silently replaced by
Crossplane's own. Failing at generation time, naming the field, is cheaper for everyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scripts.xrdgen.options import GenError, PrinterColumn, XRDOptions

API_VERSIONS = {"v1": "apiextensions.crossplane.io/v1", "v2": "apiextensions.crossplane.io/v2"}
SCOPES = {"v1": ("LegacyCluster", "Namespaced", "Cluster"), "v2": ("Namespaced", "Cluster")}
LEGACY = "LegacyCluster"

# Fields Crossplane injects AFTER the user schema, replacing same-named user fields.
_COMPOSITION = (
    "compositionRef",
    "compositionSelector",
    "compositionRevisionRef",
    "compositionRevisionSelector",
    "compositionUpdatePolicy",
)
LEGACY_XR_SPEC = (
    *_COMPOSITION,
    "resourceRefs",
    "claimRef",
    "writeConnectionSecretToRef",
    "publishConnectionDetailsTo",  # older Crossplane versions
)
CLAIM_SPEC = (
    *_COMPOSITION,
    "compositeDeletePolicy",
    "resourceRef",
    "writeConnectionSecretToRef",
    "publishConnectionDetailsTo",
)
MODERN_SPEC = ("crossplane",)
LEGACY_STATUS = ("conditions", "connectionDetails", "claimConditionTypes")
MODERN_STATUS = ("conditions", "crossplane")
# Columns Crossplane appends to every XR / claim CRD.
XR_COLUMNS = ("SYNCED", "READY", "COMPOSITION", "COMPOSITIONREVISION", "AGE")
CLAIM_COLUMNS = ("SYNCED", "READY", "CONNECTION-SECRET", "AGE")

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_SIMPLE_PATH = re.compile(r"^\.(spec|status)\.([A-Za-z_][A-Za-z0-9_]*)")
MAX_LABEL = 63
MAX_SUBDOMAIN = 253


@dataclass(frozen=True)
class Names:
    """The resolved identity of the XRD: every default filled in and checked."""

    api: str
    group: str
    kind: str
    plural: str
    version: str
    scope: str
    claim_kind: str | None
    claim_plural: str | None

    @property
    def xrd_name(self) -> str:
        return f"{self.plural}.{self.group}"

    @property
    def api_version(self) -> str:
        return API_VERSIONS[self.api]

    @property
    def claims(self) -> bool:
        return self.claim_kind is not None


def _label(value: str, what: str) -> None:
    if len(value) > MAX_LABEL:
        raise GenError(f"{what} {value!r}: longer than {MAX_LABEL} characters")
    if value.lower() == value and not _DNS_LABEL.match(value):
        raise GenError(f"{what} {value!r}: must be a DNS label (a-z, 0-9, '-')")
    if not _DNS_LABEL.match(value):
        raise GenError(f"{what} {value!r}: must be lowercase")


def _kind(value: str, what: str) -> None:
    if not _KIND.match(value) or len(value) > MAX_LABEL:
        raise GenError(
            f"{what} {value!r}: must be CamelCase letters and digits, starting with an "
            f"uppercase letter, at most {MAX_LABEL} characters"
        )


def _claim_kind(opts: XRDOptions, scope: str) -> str | None:
    if scope != LEGACY:
        for flag, value in (
            ("--claim-kind", opts.claim_kind),
            ("--claim-plural", opts.claim_plural),
        ):
            if value:
                where = "apiextensions.crossplane.io/v2" if opts.api == "v2" else f"scope {scope}"
                raise GenError(f"{flag}: claims are not supported with {where}")
        return None
    if opts.claim_kind:
        return opts.claim_kind
    if re.match(r"^X[A-Z]", opts.kind):
        return opts.kind[1:]  # Crossplane's convention: XFoo is claimed as Foo
    raise GenError(
        f"--claim-kind: required with scope {LEGACY} when the kind ({opts.kind}) does not follow "
        "the XKind convention"
    )


def resolve(opts: XRDOptions, crd_version: str) -> Names:
    """Fill in the defaults (plural, claim names, version, scope) and check every name."""
    scope = opts.scope or SCOPES[opts.api][0]
    if scope not in SCOPES[opts.api]:
        raise GenError(
            f"--scope {scope}: not allowed with --api {opts.api} "
            f"(allowed: {', '.join(SCOPES[opts.api])})"
        )
    if opts.connection_secret_keys and scope != LEGACY:
        where = "apiextensions.crossplane.io/v2" if opts.api == "v2" else f"scope {scope}"
        raise GenError(
            f"--connection-secret-key: XR connection secrets are not supported with {where}; "
            "compose a Secret instead (see --write-connection-secret-ref)"
        )
    if opts.write_connection_secret_to_ref and scope == LEGACY:
        raise GenError(
            f"--write-connection-secret-ref: Crossplane injects spec.writeConnectionSecretToRef "
            f"itself with scope {LEGACY}"
        )
    _kind(opts.kind, "--kind")  # before deriving the claim kind from it
    claim_kind = _claim_kind(opts, scope)
    names = Names(
        api=opts.api,
        group=opts.group,
        kind=opts.kind,
        plural=opts.plural or f"{opts.kind.lower()}s",
        version=opts.version or crd_version,
        scope=scope,
        claim_kind=claim_kind,
        claim_plural=(opts.claim_plural or f"{claim_kind.lower()}s") if claim_kind else None,
    )
    check_names(names)
    _secret_keys(opts.connection_secret_keys)
    return names


def check_names(names: Names) -> None:
    """Kubernetes' and Crossplane's rules for the names an XRD declares."""
    if (
        len(names.group) > MAX_SUBDOMAIN
        or not _DNS_SUBDOMAIN.match(names.group)
        or "." not in names.group
    ):
        raise GenError(
            f"--group {names.group!r}: must be a lowercase DNS subdomain with at least one dot"
        )
    _kind(names.kind, "--kind")
    _label(names.plural, "--plural")
    _label(names.version, "--version")
    if len(names.xrd_name) > MAX_SUBDOMAIN:
        raise GenError(f"metadata.name {names.xrd_name!r}: longer than {MAX_SUBDOMAIN} characters")
    if names.claim_kind is None or names.claim_plural is None:
        return
    _kind(names.claim_kind, "--claim-kind")
    _label(names.claim_plural, "--claim-plural")
    if names.claim_kind.lower() == names.kind.lower():
        raise GenError(f"--claim-kind {names.claim_kind}: must differ from the XR kind")
    if names.claim_plural == names.plural:
        raise GenError(f"--claim-plural {names.claim_plural}: must differ from the XR plural")


def _secret_keys(keys: tuple[str, ...]) -> None:
    for key in keys:
        if not _SECRET_KEY.match(key) or len(key) > MAX_SUBDOMAIN:
            raise GenError(f"--connection-secret-key {key!r}: not a valid Secret data key")
    if len(set(keys)) != len(keys):
        raise GenError(f"--connection-secret-key: listed twice: {', '.join(keys)}")


def injected(names: Names) -> tuple[set[str], set[str]]:
    """(spec, status) top-level field names Crossplane injects for this XRD."""
    if names.scope != LEGACY:
        return set(MODERN_SPEC), set(MODERN_STATUS)
    spec = set(LEGACY_XR_SPEC) | (set(CLAIM_SPEC) if names.claims else set())
    return spec, set(LEGACY_STATUS)


def collisions(names: Names, spec_fields: set[str], status_fields: set[str]) -> None:
    """Refuse fields Crossplane would silently replace, naming every offending path at once."""
    spec_taken, status_taken = injected(names)
    clashes = [f"spec.{n}" for n in sorted(spec_fields & spec_taken)]
    clashes += [f"status.{n}" for n in sorted(status_fields & status_taken)]
    if clashes:
        one = len(clashes) == 1
        raise GenError(
            f"{', '.join(clashes)}: Crossplane injects {'this field' if one else 'these fields'} "
            f"into a {names.scope} XR and would replace the CRD's; rename "
            f"{'it' if one else 'them'} in the CRD or leave {'it' if one else 'them'} out "
            "(--spec-field / status fields)"
        )


def columns(
    names: Names,
    cols: tuple[PrinterColumn, ...],
    spec_fields: set[str],
    status_fields: set[str],
) -> None:
    """Printer columns must be unique, not shadow Crossplane's own, and show declared fields."""
    reserved = set(XR_COLUMNS) | (set(CLAIM_COLUMNS) if names.claims else set())
    seen: set[str] = set()
    spec_taken, status_taken = injected(names)
    for col in cols:
        upper = col.name.upper()
        if upper in reserved:
            raise GenError(f"printer column {col.name}: Crossplane already adds a {upper} column")
        if upper in seen:
            raise GenError(f"printer column {col.name}: listed twice")
        seen.add(upper)
        if not col.json_path.startswith("."):
            raise GenError(f"printer column {col.name}: jsonPath must start with '.'")
        match = _SIMPLE_PATH.match(col.json_path)
        if match:
            part, name = match.groups()
            declared = (
                (spec_fields | spec_taken) if part == "spec" else (status_fields | status_taken)
            )
            if name not in declared:
                raise GenError(
                    f"printer column {col.name}: {part}.{name} is not declared by the XRD "
                    f"({'a status field' if part == 'status' else '--spec-field'} is missing)"
                )
