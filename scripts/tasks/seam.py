"""The seam between the task logic and Kubernetes: the few calls the tasks need.

Objects cross it as plain dicts in the API server's JSON shape (a Secret's `data` stays
base64), so the real adapter passes them through unchanged and the simulation's store already
holds them that way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, Literal, Protocol

CLAIM_GROUP = "ci.openshift.org"
CLAIM_VERSION = "v1alpha1"
CLAIM_API_VERSION = f"{CLAIM_GROUP}/{CLAIM_VERSION}"
CLAIM_KIND = "TestPlatformCluster"
CLAIM_PLURAL = "testplatformclusters"

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Ref:
    """One namespaced object the tasks look at: the claim or its connection Secret."""

    kind: Literal["claim", "secret"]
    namespace: str
    name: str

    def __str__(self) -> str:
        what = CLAIM_KIND if self.kind == "claim" else "Secret"
        return f"{what} {self.namespace}/{self.name}"


class KubeError(Exception):
    """The API server refused a request; the message is one line and names the object."""


class AlreadyExistsError(KubeError):
    """Create found an object of that name (HTTP 409)."""


class NotFoundError(KubeError):
    """The object does not exist (HTTP 404)."""


class Kube(Protocol):
    """What provision and deprovision need from Kubernetes, and a clock to time out by."""

    def now(self) -> float:
        """Seconds on a monotonic clock (the simulation's advances with its ticks)."""
        ...

    def create(self, obj: Obj) -> Obj:
        """Create a claim; AlreadyExistsError when the name is taken."""
        ...

    def get(self, ref: Ref) -> Obj | None:
        """The object as stored now, or None."""
        ...

    def merge_patch(self, ref: Ref, patch: Obj) -> Obj:
        """A JSON merge patch (RFC 7386) of the object; NotFoundError when it is gone."""
        ...

    def watch(self, ref: Ref, deadline: float) -> Iterator[Obj | None]:
        """The object now, then every change until `deadline` (by `now()`); None = absent.

        The first item is the current state (None when the object does not exist); after that
        an item comes only when the object changed, appeared or disappeared. The iterator ends
        at the deadline; a caller that got what it waited for simply stops iterating.
        """
        ...
