"""Checks that hold at every tick of a lifecycle, whatever happens.

They raise `InvariantError` (an AssertionError) naming the tick and the place, never the
secret itself: a failing run must not print a credential either.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1

from scripts.sim import appci
from scripts.sim.conditions import SYSTEM

if TYPE_CHECKING:
    from scripts.sim.world import World


class InvariantError(AssertionError):
    """A lifecycle rule was broken."""


def ec_outlives_request(world: World) -> None:
    """No EphemeralCluster is asked to go before the tenant deleted its claim (or v2 XR)."""
    asked = world.control.requested_deletion(world.request_key)
    for event in world.appci.events:
        if event.key[1] != appci.KIND or event.verb not in ("delete-requested", "removed"):
            continue
        if asked is None or event.tick < asked:
            raise InvariantError(
                f"tick {world.tick}: EphemeralCluster {event.key[3]} was deleted at tick "
                f"{event.tick}, before the claim was (deletion requested: {asked})"
            )


def one_cluster(world: World) -> None:
    """A request never produces a second EphemeralCluster."""
    count = len(world.ecs())
    if count > 1:
        raise InvariantError(f"tick {world.tick}: {count} EphemeralClusters for one request")


class NoSecretLeaks:
    """Issued credentials appear nowhere but in Secrets (and app.ci's own EC status).

    Looked at: every non-Secret object on the control plane (Objects: metadata and spec, what
    Crossplane applied; their status.atProvider copies app.ci by design), every result and
    condition message the function returned, every reconcile error, and the function's log.
    """

    def __init__(self, logs: Callable[[], str] = lambda: "") -> None:
        self.logs = logs

    def __call__(self, world: World) -> None:
        fragments = [f for c in world.reconciler.issued.values() for f in c.fragments()]
        if not fragments:
            return
        places: dict[str, str] = {}
        for obj in world.control.list():
            kind, name = obj.get("kind"), obj["metadata"].get("name")
            if kind == "Secret":
                continue
            shown = (
                {"metadata": obj["metadata"], "spec": obj.get("spec")} if kind == "Object" else obj
            )
            places[f"{kind} {name}"] = json.dumps(shown)
        places["function results"] = "\n".join(world.composite.results)
        places["function condition messages"] = "\n".join(world.composite.condition_messages)
        places["reconcile errors"] = "\n".join(world.composite.errors)
        places["function log"] = self.logs()
        for where, text in places.items():
            for index, fragment in enumerate(fragments):
                if fragment in text:
                    raise InvariantError(
                        f"tick {world.tick}: credential fragment #{index} leaked into {where}"
                    )


class KubeconfigStable:
    """Once delivered, the tenant's kubeconfig never changes or vanishes until deletion."""

    def __init__(self) -> None:
        self.delivered: bytes | None = None

    def __call__(self, world: World) -> None:
        if world.control.requested_deletion(world.request_key) is not None:
            return
        current = world.connection_secret().get("kubeconfig")
        if self.delivered is None:
            self.delivered = current or None
        elif current != self.delivered:
            raise InvariantError(f"tick {world.tick}: the tenant's kubeconfig changed or vanished")


def secret_matches_issued(world: World) -> None:
    """`ClusterReady=True` on what the tenant watches ⇒ its Secret holds exactly what app.ci
    issued: the kubeconfig, the kubeAdminPassword (empty or absent when none) and nothing else.

    The provision task reads the Secret as soon as it sees `ClusterReady=True`. Crossplane fills
    the claim's Secret only once the XR is Ready, and merge-patches the XR's Secret, so a key a
    function sent once stays there (see scripts/sim/connection.py).
    """
    cond = world.request_conditions().get("ClusterReady")
    if not cond or cond["status"] != "True":
        return
    secret = world.connection_secret()
    ec = world.ec()
    issued = world.reconciler.issued.get(ec["metadata"]["name"]) if ec else None
    if issued is None or not secret.get("kubeconfig"):
        raise InvariantError(f"tick {world.tick}: ClusterReady=True but no kubeconfig yet")
    wrong = sorted(
        key
        for key, value in {
            "kubeconfig": issued.kubeconfig,
            "kubeAdminPassword": issued.password,
        }.items()
        if secret.get(key, b"") != value
    )
    wrong += sorted(set(secret) - {"kubeconfig", "kubeAdminPassword"})
    if wrong:
        raise InvariantError(
            f"tick {world.tick}: ClusterReady=True but the tenant's Secret does not hold exactly "
            f"what app.ci issued ({', '.join(wrong)})"
        )


def conditions_current(world: World) -> None:
    """After a successful reconcile, every custom condition on the XR was in that response.

    Crossplane never removes a condition a function stops sending (scripts/sim/conditions.py),
    so one the function stopped sending is stale: a `False` would stay `False` forever.
    """
    for xr in world.xrs():
        last = world.composite.last.get(xr["metadata"]["uid"])
        if last is None or last.tick != world.tick or not last.applied or last.response is None:
            continue
        sent = {c.type for c in last.response.conditions}
        for cond in (xr.get("status") or {}).get("conditions") or []:
            if cond["type"] not in SYSTEM and cond["type"] not in sent:
                raise InvariantError(
                    f"tick {world.tick}: condition {cond['type']}={cond['status']} on the XR was "
                    "not sent by the last response; Crossplane never removes it (stale)"
                )


class TeardownStays:
    """Teardown, once sent, stays sent: an `ec` Object whose spec said `tearDownCluster: true`
    (Crossplane applied it) never says otherwise again, nor does the EphemeralCluster on app.ci
    once it got it; whatever the tenant does with the flag afterwards."""

    def __init__(self) -> None:
        self.sent: set[tuple[str, str]] = set()  # (store, name) that said true

    def __call__(self, world: World) -> None:
        said = [
            ("Object", obj["metadata"]["name"], obj["spec"]["forProvider"]["manifest"])
            for obj in world.objects()
            if obj["spec"].get("forProvider", {}).get("manifest", {}).get("kind") == appci.KIND
        ]
        said += [("EphemeralCluster", ec["metadata"]["name"], ec) for ec in world.ecs()]
        for kind, name, body in said:
            told = (body.get("spec") or {}).get("tearDownCluster") is True
            if told:
                self.sent.add((kind, name))
            elif (kind, name) in self.sent:
                raise InvariantError(
                    f"tick {world.tick}: teardown was withdrawn from {kind} {name} after it "
                    "had been sent"
                )


def _fatal(rsp: fnv1.RunFunctionResponse | None) -> str:
    for result in rsp.results if rsp is not None else ():
        if result.severity == fnv1.SEVERITY_FATAL:
            return result.message
    return ""


class FatalExplained:
    """A FATAL reaches the tenant as a False condition whose message names the field.

    Crossplane records no event on the claim for a FATAL; only the response's claim-targeted
    conditions get there (copied by the claim reconciler on its next pass, so a claim is checked
    one tick after the FATAL; a v2 XR at once).
    """

    def __init__(self) -> None:
        self.pending: dict[str, str] = {}  # XR uid -> FATAL message of the previous tick

    def _check(self, world: World, message: str) -> None:
        field = message.split(":", 1)[0]
        shown = [
            c
            for c in world.request_conditions().values()
            if c.get("status") == "False" and (c.get("message") or "").startswith(field)
        ]
        if not shown:
            raise InvariantError(
                f"tick {world.tick}: a FATAL result ({field}) did not reach the tenant: no False "
                "condition names the field"
            )

    def __call__(self, world: World) -> None:
        if world.request() is None:
            self.pending = {}
            return
        if not world.v2:
            for message in self.pending.values():
                self._check(world, message)
        self.pending = {}
        for xr in world.xrs():
            last = world.composite.last.get(xr["metadata"]["uid"])
            if last is None or last.tick != world.tick:
                continue
            message = _fatal(last.response)
            if not message:
                continue
            if world.v2:
                self._check(world, message)
            else:
                self.pending[xr["metadata"]["uid"]] = message


def connection_secrets_uncontested(world: World) -> None:
    """No two objects fight over one connection Secret (each writer refuses a Secret another
    object controls, so such a fight means a tenant never gets its credentials)."""
    errors = list(world.composite.errors)
    if world.claims is not None:
        errors += world.claims.errors
    for obj in world.objects():
        errors += [
            c.get("message", "")
            for c in (obj.get("status") or {}).get("conditions") or []
            if c["type"] == "Synced" and c["status"] == "False"
        ]
    for error in errors:
        if "cannot establish control" in error or "controlled by another" in error:
            raise InvariantError(f"tick {world.tick}: {error}")


class PhaseLag:
    """Every phase change of the EC reaches what the tenant watches within `max_seconds` (or
    is overtaken by a later one that does).

    Opt-in: the bound only holds with provider-kubernetes' `--enable-watches` (scripts/sim/
    provider.py); without it progress waits for the 10-minute poll.
    """

    def __init__(self, max_seconds: int) -> None:
        self.max_seconds = max_seconds
        self.phase = ""
        self.pending: list[tuple[str, int]] = []  # (phase, when the EC entered it), unshown

    def __call__(self, world: World) -> None:
        ec = world.ec()
        request: dict[str, Any] = world.request() or {}
        if ec is None or not request or "deletionTimestamp" in request["metadata"]:
            return
        phase = (ec.get("status") or {}).get("phase", "")
        if phase != self.phase:
            self.phase = phase
            self.pending.append((phase, world.now))
        shown = (request.get("status") or {}).get("phase", "")
        seen = [i for i, (p, _) in enumerate(self.pending) if p == shown]
        if seen:
            del self.pending[: seen[-1] + 1]
        if self.pending and world.now - self.pending[0][1] > self.max_seconds:
            waiting, since = self.pending[0]
            raise InvariantError(
                f"tick {world.tick}: the tenant sees phase {shown or 'none'!r}; the "
                f"EphemeralCluster went {waiting!r} {world.now - since} s ago"
            )


def standard(logs: Callable[[], str] = lambda: "") -> list[Callable[[World], None]]:
    """Every invariant that holds whatever the installation, ready for `World.checks`."""
    return [
        ec_outlives_request,
        one_cluster,
        NoSecretLeaks(logs),
        KubeconfigStable(),
        secret_matches_issued,
        conditions_current,
        FatalExplained(),
        connection_secrets_uncontested,
        TeardownStays(),
    ]
