"""Where the cluster's kubeconfig and kubeAdminPassword come from, and the `credentials` Object.

Two designs exist on app.ci. New controllers put the credentials in a Secret named by the EC's
`status.secretRef`; the function observes that Secret with an Observe-only Object whose
connection details carry the two keys (provider-kubernetes decodes `data.*`, so they arrive as
the exact bytes). Old controllers wrote `status.kubeconfig` / `status.kubeAdminPassword` into
the EC itself. Credential values are bytes end to end and are never logged or put in status.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import re
from collections.abc import Mapping

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import mapping, observed, structs
from function.config import Config
from function.errors import FatalError

KUBECONFIG, PASSWORD = mapping.CONNECTION_KEYS


@dataclasses.dataclass(frozen=True)
class Credentials:
    """The credentials found this call (possibly none) and the `credentials` Object to compose."""

    details: dict[str, bytes] = dataclasses.field(default_factory=dict, repr=False)
    source: str = "none"  # "secretRef", "status" or "none"
    obj: structs.Struct | None = dataclasses.field(default=None, repr=False)
    problem: str = ""  # why no Object could be composed (bad data from app.ci)

    @property
    def available(self) -> bool:
        """A non-empty kubeconfig is known."""
        return bool(self.details.get(KUBECONFIG))


_SECRET_KEYS = re.compile(
    r"^\s*-?\s*(?:token|password|client-key-data|client-certificate-data)\s*:\s*(\S+)\s*$",
    re.MULTILINE,
)
_MIN_FRAGMENT = 6


def fragments(details: dict[str, bytes]) -> tuple[str, ...]:
    """Strings that must never be echoed: the password, the kubeconfig and its key material.

    Used to scrub messages copied from app.ci, in case a controller ever quotes a credential.
    """
    return _fragments(details.get(KUBECONFIG, b""), details.get(PASSWORD, b""))


@functools.lru_cache(maxsize=64)
def _fragments(kubeconfig_bytes: bytes, password: bytes) -> tuple[str, ...]:
    out: list[str] = []
    for value in (kubeconfig_bytes, password):
        text = value.decode("utf-8", "replace").strip()
        if len(text) >= _MIN_FRAGMENT:
            out.append(text)
    kubeconfig = kubeconfig_bytes.decode("utf-8", "replace")
    out.extend(v for v in _SECRET_KEYS.findall(kubeconfig) if len(v) >= _MIN_FRAGMENT)
    return tuple(sorted(set(out), key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret fragment replaced."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


def _wants_secret_ref(cfg: Config, ec: observed.EphemeralCluster | None) -> bool:
    if cfg.credentials_mode == "secretRef":
        return True
    if cfg.credentials_mode == "status":
        return False
    return ec is not None and bool(ec.secret_ref)


def observed_details(res: fnv1.Resource | None) -> dict[str, bytes]:
    """The two keys from an observed `credentials` Object.

    Connection details first (the normal path); else the Secret data in
    status.atProvider.manifest, which provider-kubernetes also reports unless it runs with
    secret sanitization (then only a `redacted` key is there and nothing is taken).
    """
    if res is None:
        return {}
    details = {
        key: bytes(res.connection_details[key])
        for key in mapping.CONNECTION_KEYS
        if key in res.connection_details
    }
    if details.get(KUBECONFIG):
        return details
    data = structs.strings(res.resource, "status", "atProvider", "manifest", "data")
    decoded: dict[str, bytes] = {}
    for key in mapping.CONNECTION_KEYS:
        if key in data:
            try:
                decoded[key] = base64.b64decode(data[key], validate=True)
            except (binascii.Error, ValueError):
                return {}
    return decoded if decoded.get(KUBECONFIG) else details


def _status_details(ec: observed.EphemeralCluster | None) -> dict[str, bytes]:
    if ec is None:
        return {}
    status = structs.sub(ec.manifest, "status")
    details: dict[str, bytes] = {}
    for key in mapping.CONNECTION_KEYS:
        value = structs.string(status, key)
        if value is not None:
            details[key] = value.encode("utf-8")
    return details


def resolve(
    req: fnv1.RunFunctionRequest,
    xr: observed.Composite,
    cfg: Config,
    ec: observed.EphemeralCluster | None,
) -> Credentials:
    """The credentials per the input's mode, and the Observe-only Object when secretRef applies.

    No Object is composed before the EC names its Secret: observing a placeholder Secret only
    produces errors until provisioning ends.
    """
    if _wants_secret_ref(cfg, ec):
        if ec is None or not ec.secret_ref:
            return Credentials()
        try:
            existing = observed.resource(req, observed.CREDENTIALS)
            obj = mapping.credentials_object(
                xr, cfg, ec.secret_ref, existing.resource if existing is not None else None
            )
        except FatalError as err:
            # Data written by app.ci, not by the tenant: do not block teardown with a FATAL.
            return Credentials(problem=str(err))
        details = observed_details(observed.resource(req, observed.CREDENTIALS))
        return Credentials(details=details, source="secretRef", obj=obj)
    details = _status_details(ec)
    return Credentials(details=details, source="status" if details else "none")


def secret_has_kubeconfig(resources: Mapping[str, fnv1.Resource]) -> bool:
    """The (kept) v2 `connection-secret` among `resources` holds a kubeconfig."""
    res = resources.get(observed.CONNECTION_SECRET)
    return res is not None and bool(structs.string(res.resource, "data", KUBECONFIG))
