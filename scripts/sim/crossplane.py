"""Which Crossplane the simulation imitates: the capabilities it advertises to functions and
the requirement fields it answers.

- v2.2 (default): crossplane/crossplane v2.2.4, internal/xfn/capabilities.go,
  `SupportedCapabilities` (sent in every request's meta by composite/composition_functions.go
  `FunctionComposer.Compose`); internal/xfn/required_resources.go,
  `FetchingFunctionRunner.RunFunction` answers `requirements.resources` in
  `required_resources` and `requirements.extra_resources` in `extra_resources`.
- v2.1: the same loop (v2.1.0 internal/xfn/required_resources.go), but no capabilities are
  advertised (capability advertisement arrived in v2.2).
- v1.20: crossplane/crossplane v1.20.11, internal/controller/apiextensions/composite/
  extra_resources.go, `FetchingFunctionRunner.RunFunction` reads only
  `requirements.extra_resources`; the request carries no capabilities (composition_functions.go
  sets only the tag).
"""

from __future__ import annotations

import dataclasses

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from scripts.render.engine import CAPABILITIES


@dataclasses.dataclass(frozen=True)
class Version:
    """What one Crossplane release does with a function's requirements."""

    name: str
    capabilities: tuple[fnv1.Capability, ...]
    answers_resources: bool  # requirements.resources → required_resources
    answers_extra_resources: bool  # requirements.extra_resources → extra_resources


VERSIONS = {
    "2.2": Version("2.2", CAPABILITIES, answers_resources=True, answers_extra_resources=True),
    "2.1": Version("2.1", (), answers_resources=True, answers_extra_resources=True),
    "1.20": Version("1.20", (), answers_resources=False, answers_extra_resources=True),
}


def version(name: str) -> Version:
    """The named Crossplane version, or a ValueError listing the known ones."""
    try:
        return VERSIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown Crossplane version {name!r}; known: {sorted(VERSIONS)}"
        ) from None
