"""Readiness of composed resources and the XR, and the response TTL."""

from __future__ import annotations

from typing import Any

import fnreq as f
import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

DETAILS = {"kubeconfig": f.KUBECONFIG, "kubeAdminPassword": f.PASSWORD}
NOT_READY = [f.cond("ClusterReady", "False", "Provisioning")]


def _ec(phase: str, conditions: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    return f.ec_object(f.ec_manifest(phase=phase, conditions=conditions, secret_ref="s", **kwargs))


CASES = [
    # observed, ec ready, credentials ready (None = not composed), XR ready, ttl seconds
    ({}, None, None, fnv1.READY_FALSE, 30),
    (
        {"ec": _ec("Provisioning", NOT_READY)},
        fnv1.READY_FALSE,
        fnv1.READY_FALSE,
        fnv1.READY_FALSE,
        30,
    ),
    (
        {"ec": _ec("Ready", f.READY_CONDITIONS)},
        fnv1.READY_TRUE,
        fnv1.READY_FALSE,
        fnv1.READY_FALSE,
        30,
    ),
    (
        {
            "ec": _ec("Ready", f.READY_CONDITIONS),
            "credentials": (f.credentials_object("s"), DETAILS),
        },
        fnv1.READY_TRUE,
        fnv1.READY_TRUE,
        fnv1.READY_UNSPECIFIED,  # usable: Crossplane derives Ready from the READY_TRUE resources
        300,
    ),
    (
        {
            "ec": _ec("Deprovisioning", f.READY_CONDITIONS),
            "credentials": (f.credentials_object("s"), DETAILS),
        },
        fnv1.READY_TRUE,
        fnv1.READY_TRUE,
        fnv1.READY_FALSE,
        30,
    ),
    (
        {
            "ec": _ec("Ready", f.READY_CONDITIONS, tear_down=True),
            "credentials": (f.credentials_object("s"), DETAILS),
        },
        fnv1.READY_TRUE,
        fnv1.READY_TRUE,
        fnv1.READY_FALSE,
        30,
    ),
    (
        {"ec": _ec("Deprovisioned", NOT_READY)},
        fnv1.READY_FALSE,
        fnv1.READY_FALSE,
        fnv1.READY_FALSE,
        300,
    ),
    ({"ec": _ec("Failed", NOT_READY)}, fnv1.READY_FALSE, fnv1.READY_FALSE, fnv1.READY_FALSE, 300),
]


@pytest.mark.parametrize(("observed", "ec_ready", "creds_ready", "xr_ready", "ttl"), CASES)
def test_readiness_and_ttl(
    observed: dict[str, Any], ec_ready: int | None, creds_ready: int | None, xr_ready: int, ttl: int
) -> None:
    rsp = f.run(f.request(f.xr_v1(), observed))
    assert f.fatal_messages(rsp) == []
    if ec_ready is None:
        assert "ec" not in rsp.desired.resources or not observed
    else:
        assert rsp.desired.resources["ec"].ready == ec_ready
    if creds_ready is None:
        assert "credentials" not in rsp.desired.resources
    else:
        assert rsp.desired.resources["credentials"].ready == creds_ready
    assert rsp.desired.composite.ready == xr_ready
    assert rsp.meta.ttl.seconds == ttl


def test_every_composed_resource_has_explicit_readiness() -> None:
    observed = {"ec": _ec("Provisioning", NOT_READY), "credentials": f.credentials_object("s")}
    rsp = f.run(f.request(f.xr_v2(), observed))
    for key, res in rsp.desired.resources.items():
        assert res.ready in (fnv1.READY_TRUE, fnv1.READY_FALSE), key


def test_status_mode_ready_needs_the_kubeconfig() -> None:
    manifest = f.ec_manifest(phase="Ready", conditions=f.READY_CONDITIONS)
    rsp = f.run(f.request(f.xr_v1(), {"ec": f.ec_object(manifest)}))
    assert rsp.desired.resources["ec"].ready == fnv1.READY_TRUE
    assert rsp.desired.composite.ready == fnv1.READY_FALSE  # no kubeconfig yet
    manifest = f.ec_manifest(phase="Ready", conditions=f.READY_CONDITIONS, kubeconfig=f.KUBECONFIG)
    rsp = f.run(f.request(f.xr_v1(), {"ec": f.ec_object(manifest)}))
    assert rsp.desired.composite.ready == fnv1.READY_UNSPECIFIED


def test_ttls_from_input() -> None:
    fn_input = {"ttl": {"transitioning": "1m30s", "steady": "1h"}}
    rsp = f.run(f.request(f.xr_v1(), fn_input=fn_input))
    assert rsp.meta.ttl.seconds == 90
    observed = CASES[3][0]
    rsp = f.run(f.request(f.xr_v1(), observed, fn_input=fn_input))
    assert rsp.meta.ttl.seconds == 3600


def test_fatal_response_has_a_ttl() -> None:
    rsp = f.run(f.request(f.xr_v1(spec={})))
    assert f.fatal_messages(rsp)
    assert rsp.meta.ttl.seconds == 30
