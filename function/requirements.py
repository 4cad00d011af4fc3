"""The EnvironmentConfig that names the Konflux cluster, requested as a required resource.

Crossplane 2.x answers `requirements.resources` in `required_resources`; Crossplane 1.x only
answers `requirements.extra_resources` in `extra_resources`. The function asks through both
and reads whichever came back, so one build works on either.
"""

from __future__ import annotations

import dataclasses
import enum

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import structs
from function.config import Config

REQUIREMENT = "envcfg"
ENVCFG_API_VERSION = "apiextensions.crossplane.io/v1beta1"
ENVCFG_KIND = "EnvironmentConfig"


class Source(enum.Enum):
    """Where the Konflux cluster name came from, or why there is none."""

    LITERAL = "literal"  # input.konfluxClusterName
    ENVCFG = "envcfg"  # the EnvironmentConfig's data
    PENDING = "pending"  # Crossplane has not answered the requirement yet (first call)
    MISSING = "missing"  # answered: no such EnvironmentConfig
    NO_KEY = "no-key"  # the EnvironmentConfig exists but lacks the key (or it is empty)


@dataclasses.dataclass(frozen=True)
class ClusterName:
    """The Konflux cluster name (empty unless found) and its source."""

    value: str
    source: Source

    @property
    def found(self) -> bool:
        """A usable name was found."""
        return bool(self.value)


def request(rsp: fnv1.RunFunctionResponse, cfg: Config) -> None:
    """Ask for the EnvironmentConfig on every call (requirements must be stable)."""
    if cfg.konflux_cluster_name:
        return
    selector = fnv1.ResourceSelector(
        api_version=ENVCFG_API_VERSION, kind=ENVCFG_KIND, match_name=cfg.environment_config_name
    )
    rsp.requirements.resources[REQUIREMENT].CopyFrom(selector)
    rsp.requirements.extra_resources[REQUIREMENT].CopyFrom(selector)


def _answer(req: fnv1.RunFunctionRequest) -> fnv1.Resources | None:
    answer = req.required_resources.get(REQUIREMENT)
    if answer is None:
        answer = req.extra_resources.get(REQUIREMENT)
    return answer


def cluster_name(req: fnv1.RunFunctionRequest, cfg: Config) -> ClusterName:
    """The Konflux cluster name from the input literal or the EnvironmentConfig."""
    if cfg.konflux_cluster_name:
        return ClusterName(cfg.konflux_cluster_name, Source.LITERAL)
    answer = _answer(req)
    if answer is None:
        return ClusterName("", Source.PENDING)
    for item in answer.items:
        name = structs.string(item.resource, "metadata", "name")
        if name and name != cfg.environment_config_name:
            continue
        value = structs.string(item.resource, "data", cfg.environment_config_key)
        if value:
            return ClusterName(value, Source.ENVCFG)
        return ClusterName("", Source.NO_KEY)
    return ClusterName("", Source.MISSING)
