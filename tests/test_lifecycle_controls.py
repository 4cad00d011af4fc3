"""Negative controls: deliberately broken functions, served in-process, that the simulation
must catch. Each one relies on something Crossplane or provider-kubernetes does not do (or does
differently), so each shows that scripts/sim models that behaviour (docs/lifecycle.md cites the
upstream code for every one)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import pytest
from lifecycle_helpers import (
    flip_teardown_back,
    make_world,
    provision,
    real_function,
    status_of,
    teardown_and_delete,
)

from function import structs
from scripts.render.fakes import serve_fake
from scripts.sim import invariants
from scripts.sim.invariants import InvariantError
from scripts.sim.world import World

Broken = Callable[[fnv1.RunFunctionRequest], fnv1.RunFunctionResponse]


_real = real_function


# Broken functions ------------------------------------------------------------------------------


def drops_ec_without_envcfg(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Upstream's behaviour: no EnvironmentConfig, no Object."""
    rsp = _real(req)
    answer = req.required_resources.get("envcfg")
    if answer is None or not answer.items:
        for key in ("ec", "credentials"):
            if key in rsp.desired.resources:
                del rsp.desired.resources[key]
    return rsp


def leaks_kubeconfig(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Puts the delivered kubeconfig into the XR status."""
    rsp = _real(req)
    details = rsp.desired.composite.connection_details
    if "kubeconfig" in details:
        status = rsp.desired.composite.resource.get_or_create_struct("status")
        status.update({"debug": base64.b64encode(details["kubeconfig"]).decode()})
    return rsp


def ready_too_early(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Copies app.ci's ClusterReady=True before the kubeconfig arrived."""
    rsp = _real(req)
    for cond in rsp.conditions:
        if cond.type == "ClusterReady" and cond.reason == "WaitingForKubeconfig":
            cond.status = fnv1.STATUS_CONDITION_TRUE
            cond.reason = "CredentialsReady"
    return rsp


def ready_while_xr_unready(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """The old rule: ClusterReady=True once the kubeconfig is in, whatever the phase, while the
    XR stays READY_FALSE. Relies on Crossplane filling the claim's Secret before the XR is
    Ready; it does so only after (claim/reconciler.go)."""
    rsp = _real(req)
    if "kubeconfig" in rsp.desired.composite.connection_details:
        for cond in rsp.conditions:
            if cond.type == "ClusterReady" and cond.reason == "WaitingForPhaseReady":
                cond.status = fnv1.STATUS_CONDITION_TRUE
                cond.reason = "CredentialsReady"
    return rsp


def placeholder_password(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Sends `kubeAdminPassword: pending` until the credentials arrive, then only what app.ci
    has. Relies on Crossplane replacing the XR's connection Secret; it merge-patches it, so the
    placeholder stays (composite/api.go, APIFilteredSecretPublisher)."""
    rsp = _real(req)
    details = rsp.desired.composite.connection_details
    if "kubeconfig" not in details:
        details["kubeAdminPassword"] = b"pending"
    return rsp


def writes_the_xr_secret_directly(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Has provider-kubernetes write the credentials straight into the XR's connection Secret
    (`<XR UID>` in the Composition's writeConnectionSecretsToNamespace). Relies on that name
    being free; it is the XR's own (composite/api.go, APIConfigurator), so the two writers
    fight over it."""
    rsp = _real(req)
    creds = rsp.desired.resources.get("credentials")
    if creds is not None:
        xr = req.observed.composite.resource
        uid = structs.string(xr, "metadata", "uid") or ""
        namespace = structs.string(xr, "spec", "writeConnectionSecretToRef", "namespace") or ""
        ref = creds.resource.fields["spec"].struct_value.fields["writeConnectionSecretToRef"]
        ref.struct_value.update({"name": uid, "namespace": namespace})
    return rsp


def forgets_resolved_conditions(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Reports EnvironmentConfigReady only while it is False. Relies on Crossplane removing a
    condition a function stops sending; it never does (composite/reconciler.go)."""
    rsp = _real(req)
    kept = [
        c
        for c in rsp.conditions
        if not (c.type == "EnvironmentConfigReady" and c.status == fnv1.STATUS_CONDITION_TRUE)
    ]
    del rsp.conditions[:]
    rsp.conditions.extend(kept)
    return rsp


def fatal_without_condition(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """The old FATAL: a result targeted at the claim and nothing else. Relies on Crossplane
    turning it into a claim event; it never does (composition_functions.go, reconciler.go)."""
    rsp = _real(req)
    if any(r.severity == fnv1.SEVERITY_FATAL for r in rsp.results):
        del rsp.conditions[:]
    return rsp


def drops_watch(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Composes its Objects without `watch: true`. Relies on provider-kubernetes refreshing
    them promptly anyway; it polls a Ready Object every 10 minutes (object.go, Setup)."""
    rsp = _real(req)
    for res in rsp.desired.resources.values():
        spec = res.resource.fields.get("spec")
        if spec is not None and "watch" in spec.struct_value.fields:
            del spec.struct_value.fields["watch"]
    return rsp


def asks_only_through_resources(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Asks for the EnvironmentConfig through `requirements.resources` whatever Crossplane
    advertises (the SDK's `require_resources`). Crossplane 1.x reads only
    `requirements.extra_resources` (composite/extra_resources.go), so it never answers."""
    rsp = _real(req)
    for name, selector in rsp.requirements.extra_resources.items():
        rsp.requirements.resources[name].CopyFrom(selector)
    rsp.requirements.ClearField("extra_resources")
    return rsp


def withdraws_teardown(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Forwards only the XR's current `tearDownCluster` (the old rule consulted app.ci's copy
    alone): a flag dropped before provider-kubernetes synced it is withdrawn."""
    rsp = _real(req)
    ec = rsp.desired.resources.get("ec")
    if ec is not None:
        spec = ec.resource.get_or_create_struct("spec").get_or_create_struct("forProvider")
        spec = spec.get_or_create_struct("manifest").get_or_create_struct("spec")
        wanted = structs.field(req.observed.composite.resource, "spec", "tearDownCluster")
        if wanted is None:
            if "tearDownCluster" in spec:
                del spec["tearDownCluster"]
        else:
            spec["tearDownCluster"] = wanted.bool_value
    return rsp


# Scenarios -------------------------------------------------------------------------------------


def _lifecycle(world: World) -> None:
    """Provision, lose and get back the EnvironmentConfig, tear down, delete."""
    provision(world)
    world.remove_environment_config()
    for _ in range(4):
        world.step()
    world.restore_environment_config()
    for _ in range(2):
        world.step()
    teardown_and_delete(world)


def _long_claim_name(world: World) -> None:
    """A claim whose XR name (`<claim>-<random>`) is too long for an EphemeralCluster: FATAL."""
    world.create_request()
    for _ in range(4):
        world.step()


CASES: list[tuple[Broken, dict[str, Any], Callable[[World], None], str]] = [
    (drops_ec_without_envcfg, {}, _lifecycle, r"EphemeralCluster \S+ was deleted at tick \d+"),
    (leaks_kubeconfig, {}, _lifecycle, r"credential fragment #\d+ leaked into XTestPlatform"),
    (ready_too_early, {}, _lifecycle, r"ClusterReady=True but no kubeconfig yet"),
    (
        ready_while_xr_unready,
        {"ready_phase_lag": 2},
        _lifecycle,
        r"ClusterReady=True but no kubeconfig yet",
    ),
    (
        placeholder_password,
        {"design": "status"},
        _lifecycle,
        r"does not hold exactly what app.ci issued \(kubeAdminPassword\)",
    ),
    (
        writes_the_xr_secret_directly,
        {},
        _lifecycle,
        r"cannot (establish control|publish)",
    ),
    (
        forgets_resolved_conditions,
        {},
        _lifecycle,
        r"condition EnvironmentConfigReady=False on the XR was not sent by the last response",
    ),
    (
        fatal_without_condition,
        {"request_name": "e2e-" + "x" * 56},
        _long_claim_name,
        r"a FATAL result \(metadata.name\) did not reach the tenant",
    ),
    (
        withdraws_teardown,
        {},
        flip_teardown_back,
        r"teardown was withdrawn from Object managed-",
    ),
    (
        drops_watch,
        {"phase_lag": 120},
        _lifecycle,
        r"sees phase 'Ready'; the EphemeralCluster went 'Deprovisioning' \d+ s ago",
    ),
]


@pytest.mark.parametrize(
    ("broken", "options", "scenario", "violation"),
    CASES,
    ids=[case[0].__name__ for case in CASES],
)
def test_broken_functions_are_caught(
    broken: Broken, options: dict[str, Any], scenario: Callable[[World], None], violation: str
) -> None:
    options = dict(options)
    lag = options.pop("phase_lag", None)
    with serve_fake(broken) as fake:
        world = make_world(fake.target, **options)
        if lag is not None:
            world.checks.append(invariants.PhaseLag(lag))
        try:
            with pytest.raises(InvariantError, match=violation) as err:
                scenario(world)
        finally:
            world.close()
    assert "FAKE-sim" not in str(err.value)  # a violation never prints the secret


# _long_claim_name is a FATAL by design, for the real function too; covered in test_lifecycle.
PASSING = [case for case in CASES if case[2] is not _long_claim_name]


@pytest.mark.parametrize(
    ("options", "scenario"),
    [(case[1], case[2]) for case in PASSING],
    ids=[case[0].__name__ for case in PASSING],
)
def test_the_real_function_passes_every_control_scenario(
    options: dict[str, Any], scenario: Callable[[World], None]
) -> None:
    """The same scenarios and options with the unbroken function raise nothing."""
    options = dict(options)
    lag = options.pop("phase_lag", None)
    with serve_fake(_real) as fake:
        world = make_world(fake.target, **options)
        if lag is not None:
            world.checks.append(invariants.PhaseLag(lag))
        try:
            scenario(world)
        finally:
            world.close()


def test_crossplane_1_never_answers_requirements_resources() -> None:
    """A function asking only through `requirements.resources` never gets the EnvironmentConfig
    from Crossplane 1.20, so the EphemeralCluster is never requested."""
    with serve_fake(asks_only_through_resources) as fake:
        world = make_world(fake.target, crossplane="1.20")
        try:
            with pytest.raises(TimeoutError, match="ClusterReady: not reached"):
                provision(world)
            assert world.ec() is None
            assert status_of(world, "EnvironmentConfigReady") == "False"
        finally:
            world.close()
