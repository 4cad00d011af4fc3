"""Readiness of each composed resource and of the XR, and the response TTL.

Crossplane treats an unspecified readiness as not ready, so every composed resource gets an
explicit READY_TRUE or READY_FALSE. The XR is Ready only when the cluster is usable: the EC
reports `ClusterReady=True`, it is not being torn down, and the kubeconfig has arrived.
"""

from __future__ import annotations

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import observed
from function.config import Config
from function.status import FINISHED, TRANSITIONING

UNUSABLE_PHASES = (TRANSITIONING - {""}) | FINISHED


def flag(ready: bool) -> fnv1.Ready.ValueType:
    """READY_TRUE or READY_FALSE, never unspecified."""
    return fnv1.READY_TRUE if ready else fnv1.READY_FALSE


def usable(ec: observed.EphemeralCluster | None, has_kubeconfig: bool) -> bool:
    """The tenant can use the cluster now."""
    return (
        ec is not None
        and ec.cluster_ready
        and has_kubeconfig
        and ec.phase not in UNUSABLE_PHASES
        and not ec.tear_down
    )


def ttl(cfg: Config, ec: observed.EphemeralCluster | None, is_usable: bool) -> float:
    """Seconds: short while anything is moving; long when usable or finished."""
    if is_usable or (ec is not None and ec.phase in FINISHED):
        return cfg.ttl.steady_seconds()
    return cfg.ttl.transitioning_seconds()


def set_ttl(rsp: fnv1.RunFunctionResponse, seconds: float) -> None:
    """meta.ttl without building a timedelta."""
    rsp.meta.ttl.seconds = int(seconds)
    rsp.meta.ttl.nanos = round((seconds - int(seconds)) * 1e9)


def set_composed(rsp: fnv1.RunFunctionResponse, key: str, ready: bool) -> None:
    """Explicit readiness of a composed resource already in the desired state."""
    res = rsp.desired.resources.get(key)
    if res is not None:
        res.ready = flag(ready)
