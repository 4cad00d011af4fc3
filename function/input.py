"""The step's typed input (`ephemeralcluster.fn.ci.openshift.org/v1beta1` `Input`).

Crossplane never validates a function's input, so the model does: unknown fields and bad
values are FATAL results that name the field. Every field is optional; defaults are the values
upstream's five-step Composition hard-codes (declared once, in `function.config`).

The server imports this module only for an input that differs from the defaults
(`function.config` recognises the default input without it), and validates each distinct
input once, so neither pydantic's start-up cost nor validation sits on the hot path.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from function import config
from function.config import API_VERSION, KIND, seconds
from function.errors import FatalError

_DURATION_RE = re.compile(r"^(?:\d+(?:\.\d+)?(?:h|m|s|ms))+$")
_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"

Duration = Annotated[
    str,
    Field(
        pattern=_DURATION_RE.pattern,
        description="A Go-style duration such as 30s, 5m or 1h30m; from 1s to 24h.",
    ),
]
DNSLabel = Annotated[str, Field(min_length=1, max_length=63, pattern=_DNS_LABEL)]
DNSSubdomain = Annotated[str, Field(min_length=1, max_length=253, pattern=_DNS_SUBDOMAIN)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=False,
    )


class TTL(_Model):
    """How long Crossplane may cache a response before calling the function again."""

    transitioning: Duration = Field(
        default=config.DEFAULT.ttl.transitioning,
        description=("TTL while the cluster is being requested, provisioned or torn down; 1s-24h."),
    )
    steady: Duration = Field(
        default=config.DEFAULT.ttl.steady,
        description="TTL once the cluster is usable or finished (Deprovisioned, Failed); 1s-24h.",
    )

    @pydantic.field_validator("transitioning", "steady")
    @classmethod
    def _in_range(cls, value: str) -> str:
        if seconds(value) < 1:
            raise ValueError("must be at least 1s")
        if seconds(value) > config.TTL_MAX_SECONDS:
            raise ValueError(f"{value[:80]!r} is longer than the maximum, 24h")
        return value


class Input(_Model):
    """Everything a platform team may tune; a Composition with no input gets upstream's setup."""

    api_version: Literal["ephemeralcluster.fn.ci.openshift.org/v1beta1"] = Field(
        default=API_VERSION, description="Must be ephemeralcluster.fn.ci.openshift.org/v1beta1."
    )
    kind: Literal["Input"] = Field(default=KIND, description="Must be Input.")
    metadata: dict[str, Any] | None = Field(default=None, description="Ignored.")
    provider_config_name: DNSSubdomain = Field(
        default=config.DEFAULT.provider_config_name,
        description="provider-kubernetes (Cluster)ProviderConfig that reaches app.ci.",
    )
    provider_config_kind: config.ProviderConfigKind = Field(
        default=config.DEFAULT.provider_config_kind,
        description="Kind of providerConfigRef for namespaced (v2) Objects only.",
    )
    target_namespace: DNSLabel = Field(
        default=config.DEFAULT.target_namespace,
        description="Namespace on app.ci where EphemeralClusters are reconciled.",
    )
    environment_config_name: DNSSubdomain = Field(
        default=config.DEFAULT.environment_config_name,
        description="EnvironmentConfig holding the Konflux cluster name.",
    )
    environment_config_key: str = Field(
        default=config.DEFAULT.environment_config_key,
        min_length=1,
        pattern=r"^[-._a-zA-Z0-9]+$",
        description="Key under the EnvironmentConfig's data holding the Konflux cluster name.",
    )
    konflux_cluster_name: str | None = Field(
        default=config.DEFAULT.konflux_cluster_name,
        min_length=1,
        max_length=253,
        description="Literal Konflux cluster name; when set no EnvironmentConfig is requested.",
    )
    credentials_mode: config.CredentialsMode = Field(
        default=config.DEFAULT.credentials_mode,
        description=(
            "Where the kubeconfig comes from: secretRef (the Secret named by the EC's "
            "status.secretRef), status (old controllers: status.kubeconfig), auto (secretRef "
            "when the EC has one, else status)."
        ),
    )
    connection_secret_namespace: DNSLabel = Field(
        default=config.DEFAULT.connection_secret_namespace,
        description="Namespace where the credentials Object writes its connection Secret (v1).",
    )
    ttl: TTL = Field(default_factory=TTL, description="Response TTLs.")


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts = [f"[{item}]" if isinstance(item, int) else f".{item}" for item in loc]
    return "input" + "".join(parts)


_PATTERN_HINTS = {
    "transitioning": "a Go duration such as 30s, 5m or 1h30m",
    "steady": "a Go duration such as 30s, 5m or 1h30m",
    "environmentConfigKey": "a data key (letters, digits, '-', '_', '.')",
}


def _problem(error: Any) -> str:
    """A short explanation of one pydantic error (input values are not secret)."""
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "value_error":  # our validators: the message without pydantic's prefix
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if error["type"] == "string_pattern_mismatch":
        last = str(error["loc"][-1]) if error["loc"] else ""
        hint = _PATTERN_HINTS.get(last, "a valid Kubernetes name (lowercase, digits, '-')")
        return f"{str(error['input'])[:80]!r} is not {hint}"
    return str(error["msg"])


def parse(data: dict[str, Any]) -> Input:
    """Validate a plain input dict; the first error becomes a FatalError naming its field."""
    try:
        return Input.model_validate(data)
    except pydantic.ValidationError as err:
        first = err.errors(include_url=False)[0]
        raise FatalError(_field_path(first["loc"]), _problem(first)) from None
