"""Where the cluster's kubeconfig and kubeAdminPassword come from, and the `credentials` Object.

`resolve` settles, once per call, the credentials the XR gets (none while they are withheld
from it: `function.tenant`), whether the kubeconfig is among them, and the Object to compose.

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
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import mapping, names, observed, structs
from function.config import Config
from function.errors import FatalError

KUBECONFIG, PASSWORD = mapping.CONNECTION_KEYS


@dataclasses.dataclass(frozen=True)
class Credentials:
    """What this call delivers: the XR's credentials and the `credentials` Object to compose."""

    # The keys the XR gets: empty while withheld from this tenant (function.tenant).
    details: dict[str, bytes] = dataclasses.field(default_factory=dict, repr=False)
    # Every credential fragment found, withheld or not: what messages must never echo.
    secrets: tuple[str, ...] = dataclasses.field(default=(), repr=False)
    obj: structs.Struct | None = dataclasses.field(default=None, repr=False)
    problem: str = ""  # why no Object could be composed (bad data from app.ci)

    @property
    def has_kubeconfig(self) -> bool:
        """The XR gets a non-empty kubeconfig this call."""
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


def _credentials_template(v2: bool, cfg: Config) -> structs.Struct:
    """The `credentials` Object minus its four names: built once per input, then copied."""

    def build() -> dict[str, Any]:
        doc = mapping.object_doc(v2, cfg)
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
                    for item in mapping.CONNECTION_KEYS
                ],
                "writeConnectionSecretToRef": write_to,
                "watch": True,
            }
        )
        return doc

    key = (
        "credentials",
        str(v2),
        cfg.provider_config_name,
        cfg.provider_config_kind,
        cfg.target_namespace,
        cfg.connection_secret_namespace,
    )
    return mapping.template(key, build)


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


def resolve(
    req: fnv1.RunFunctionRequest,
    xr: observed.Composite,
    cfg: Config,
    ec: observed.EphemeralCluster | None,
    *,
    withheld: bool = False,
) -> Credentials:
    """The credentials per the input's mode, and the Observe-only Object when secretRef applies.

    No Object is composed before the EC names its Secret: observing a placeholder Secret only
    produces errors until provisioning ends. Whatever the mode, a kubeconfig not found this
    way is taken from an observed `credentials` Object (it is kept: keep-when-observed). While
    credentials are `withheld` none is delivered and no Object is composed; the Secret name
    app.ci reports is still checked, so `problem` says when it is unusable.
    """
    existing = observed.resource(req, observed.CREDENTIALS)
    obj = None
    problem = ""
    if _wants_secret_ref(cfg, ec):
        if ec is not None and ec.secret_ref:
            try:
                obj = credentials_object(
                    xr, cfg, ec.secret_ref, existing.resource if existing is not None else None
                )
            except FatalError as err:
                # Data written by app.ci, not by the tenant: do not block teardown with a FATAL.
                problem = str(err)
        details = observed_details(existing)
    else:
        details = _status_details(ec)
        if not details.get(KUBECONFIG):
            details = observed_details(existing)
    secrets = fragments(details)
    if withheld:
        return Credentials(secrets=secrets, problem=problem)
    return Credentials(details=details, secrets=secrets, obj=obj, problem=problem)


def secret_has_kubeconfig(res: fnv1.Resource | None) -> bool:
    """The observed v2 `connection-secret` `res` holds a kubeconfig."""
    return res is not None and bool(structs.string(res.resource, "data", KUBECONFIG))
