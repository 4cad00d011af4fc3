"""The step input as the function uses it on every call, without pydantic on the serving path.

`function.input` (the pydantic model) is the contract: it validates, names the field at fault
and generates the input CRD. Building it costs ~30 ms and ~5 MiB at start-up, so the server
only imports it for an input that differs from the defaults. The shipped Compositions spell
out every field at its default; such an input (or none) is recognised here by plain equality
with the defaults, which the model accepts by construction, and gets `DEFAULT` at once.
Validation runs once per distinct serialized input.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import TYPE_CHECKING, Any, Final, Literal

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import structs

if TYPE_CHECKING:
    from function.input import Input

API_VERSION: Final = "ephemeralcluster.fn.ci.openshift.org/v1beta1"
KIND: Final = "Input"
# The closed choices, declared once for this view and the model (function.input).
ProviderConfigKind = Literal["ClusterProviderConfig", "ProviderConfig"]
CredentialsMode = Literal["secretRef", "status", "auto"]

#: The longest response TTL the input accepts: 24h. Crossplane caches a function's response
#: for at most its `--xfn-cache-max-ttl`, default 24h (crossplane/crossplane v2.2.4,
#: cmd/crossplane/core/core.go `XfnCacheMaxTTL`; internal/xfn/cached/cached_runner.go
#: `FileBackedRunner.CacheFunction` clamps longer TTLs), and with realtime compositions it
#: requeues the XR after the pipeline's shortest TTL (internal/controller/apiextensions/
#: composite/reconciler.go `Reconciler.Reconcile`, `RequeueAfter: jitter(res.TTL)`): a longer
#: TTL buys nothing and only delays the next look at a cluster. It is also far inside what a
#: protobuf Duration (±10,000 years) and Go's time.Duration (~292 years, which `AsDuration`
#: would silently saturate to) hold.
TTL_MAX_SECONDS = 24 * 3600

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


@functools.lru_cache(maxsize=64)
def seconds(duration: str) -> float:
    """Seconds in a Go-style duration string already checked by the model's pattern."""
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(duration))


@dataclasses.dataclass(frozen=True)
class TTLConfig:
    """Response TTLs (validated Go durations)."""

    transitioning: str = "30s"
    steady: str = "5m"

    def transitioning_seconds(self) -> float:
        """The short TTL in seconds."""
        return seconds(self.transitioning)

    def steady_seconds(self) -> float:
        """The long TTL in seconds."""
        return seconds(self.steady)


@dataclasses.dataclass(frozen=True)
class Config:
    """A validated input: what every call reads. Defaults are upstream's hard-coded values."""

    provider_config_name: str = "testplatform-kubernetes-provider-config"
    provider_config_kind: ProviderConfigKind = "ClusterProviderConfig"
    target_namespace: str = "ephemeral-cluster"
    environment_config_name: str = "envcfg"
    environment_config_key: str = "clusterName"
    konflux_cluster_name: str | None = None
    credentials_mode: CredentialsMode = "auto"
    connection_secret_namespace: str = "crossplane-connections"  # noqa: S105 - a namespace
    ttl: TTLConfig = dataclasses.field(default_factory=TTLConfig)

    @classmethod
    def from_model(cls, model: Input) -> Config:
        """The run-time view of a validated pydantic `Input`."""
        return cls(
            provider_config_name=model.provider_config_name,
            provider_config_kind=model.provider_config_kind,
            target_namespace=model.target_namespace,
            environment_config_name=model.environment_config_name,
            environment_config_key=model.environment_config_key,
            konflux_cluster_name=model.konflux_cluster_name,
            credentials_mode=model.credentials_mode,
            connection_secret_namespace=model.connection_secret_namespace,
            ttl=TTLConfig(model.ttl.transitioning, model.ttl.steady),
        )


DEFAULT = Config()

# The defaults as the input spells them (camelCase); `ttl` is checked key by key.
DEFAULT_DOC: dict[str, Any] = {
    "apiVersion": API_VERSION,
    "kind": KIND,
    "providerConfigName": DEFAULT.provider_config_name,
    "providerConfigKind": DEFAULT.provider_config_kind,
    "targetNamespace": DEFAULT.target_namespace,
    "environmentConfigName": DEFAULT.environment_config_name,
    "environmentConfigKey": DEFAULT.environment_config_key,
    "konfluxClusterName": DEFAULT.konflux_cluster_name,
    "credentialsMode": DEFAULT.credentials_mode,
    "connectionSecretNamespace": DEFAULT.connection_secret_namespace,
}
DEFAULT_TTL_DOC = {"transitioning": DEFAULT.ttl.transitioning, "steady": DEFAULT.ttl.steady}

_CACHE_MAX = 64
_cache: dict[bytes, Config] = {}


def _same(value: Any, default: Any) -> bool:
    """Equal and of the same type (True == 1 in Python; not here)."""
    return type(value) is type(default) and value == default


def is_default(data: dict[str, Any]) -> bool:
    """Every field given is spelled as the model's alias and holds its default value.

    Such an input is valid by construction (the defaults are) and validates to the defaults;
    anything else, including snake_case names the model also accepts, goes to the model.
    """
    for key, value in data.items():
        if key == "metadata":  # ignored by the function; the model takes any object or null
            if value is not None and not isinstance(value, dict):
                return False
        elif key == "ttl":
            if not isinstance(value, dict):
                return False
            for name, duration in value.items():
                if name not in DEFAULT_TTL_DOC or not _same(duration, DEFAULT_TTL_DOC[name]):
                    return False
        elif key not in DEFAULT_DOC or not _same(value, DEFAULT_DOC[key]):
            return False
    return True


def parse(data: dict[str, Any]) -> Config:
    """Validate a plain input dict; the first error is a FatalError naming its field."""
    if is_default(data):
        return DEFAULT
    from function import input as fninput  # noqa: PLC0415 - pydantic only when needed

    return Config.from_model(fninput.parse(data))


def from_request(req: fnv1.RunFunctionRequest) -> Config:
    """The step input of `req`, validated once per distinct serialized input."""
    if not req.HasField("input"):
        return DEFAULT
    key = req.input.SerializeToString(deterministic=True)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    cfg = parse(structs.struct_to_dict(req.input))
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[key] = cfg
    return cfg
