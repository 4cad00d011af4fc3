"""The EnvironmentConfig that names the Konflux cluster, requested as a required resource.

Which field to ask through depends on the Crossplane that calls:

- Crossplane 1.x reads only `requirements.extra_resources` and answers in `extra_resources`
  (crossplane/crossplane v1.20.11, internal/controller/apiextensions/composite/
  extra_resources.go, `FetchingFunctionRunner.RunFunction`), and sends no capabilities.
- Crossplane 2.0 and 2.1 read both fields but advertise no capabilities; from 2.2 the request
  advertises `CAPABILITY_REQUIRED_RESOURCES` (crossplane/crossplane v2.2.4,
  internal/xfn/capabilities.go, `SupportedCapabilities`, sent by composite/
  composition_functions.go `FunctionComposer.Compose`; the SDK's `request.has_capability`).
- Asking through both fields makes Crossplane HEAD's required-resources loop call the function
  twice per reconcile: it seeds last reconcile's resources into `required_resources` only, so
  the first call's `extra_resources` never match and its one-call shortcut is skipped
  (crossplane/crossplane 2d040d2, internal/xfn/required_resources.go,
  `FetchingFunctionRunner.RunFunction`).

So the function asks through `requirements.resources` only when the request advertises
`CAPABILITY_REQUIRED_RESOURCES`, and through `requirements.extra_resources` otherwise; it reads
the answer from whichever field came back.
"""

from __future__ import annotations

import dataclasses
import enum

from crossplane.function import request as sdk_request
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


def request(rsp: fnv1.RunFunctionResponse, cfg: Config, req: fnv1.RunFunctionRequest) -> None:
    """Ask for the EnvironmentConfig on every call (requirements must be stable), through the
    one field the calling Crossplane reads."""
    if cfg.konflux_cluster_name:
        return
    selector = fnv1.ResourceSelector(
        api_version=ENVCFG_API_VERSION, kind=ENVCFG_KIND, match_name=cfg.environment_config_name
    )
    if sdk_request.has_capability(req, fnv1.CAPABILITY_REQUIRED_RESOURCES):
        rsp.requirements.resources[REQUIREMENT].CopyFrom(selector)
    else:
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
