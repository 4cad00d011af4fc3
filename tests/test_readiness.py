"""Readiness of composed resources and the XR (the one rule), and the response TTL.

Readiness and TTL per lifecycle phase are part of the whole responses in test_fn_phases.py.
"""

from __future__ import annotations

from typing import Any

import fnreq as f
import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

DETAILS = {"kubeconfig": f.KUBECONFIG, "kubeAdminPassword": f.PASSWORD}
NOT_READY = [f.cond("ClusterReady", "False", "Provisioning")]


def _ec(phase: str, conditions: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    return f.ec_object(f.ec_manifest(phase=phase, conditions=conditions, secret_ref="s", **kwargs))


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
    usable = {
        "ec": _ec("Ready", f.READY_CONDITIONS),
        "credentials": (f.credentials_object("s"), DETAILS),
    }
    rsp = f.run(f.request(f.xr_v1(), usable, fn_input=fn_input))
    assert rsp.meta.ttl.seconds == 3600


def test_fatal_response_has_a_ttl() -> None:
    rsp = f.run(f.request(f.xr_v1(spec={})))
    assert f.fatal_messages(rsp)
    assert rsp.meta.ttl.seconds == 30


# The one rule (issue 9, point 1) ---------------------------------------------------------------

PHASES = [None, "", "Provisioning", "Ready", "Deprovisioning", "Deprovisioned", "Failed", "Other"]
CLUSTER_READY = {
    "true": [f.cond("ClusterReady", "True", "KubeconfigFetched")],
    "false": [f.cond("ClusterReady", "False", "SecretsFetchFailure")],
    "absent": [],
}
CREDENTIALS = ["none", "status", "secretRef-unread", "secretRef-details", "secretRef-atProvider"]


def _observed(
    phase: str | None, ready: str, creds: str, tear_down: bool | None, v2: bool
) -> dict[str, Any]:
    manifest = f.ec_manifest(
        phase=phase,
        conditions=CLUSTER_READY[ready],
        kubeconfig=f.KUBECONFIG if creds == "status" else None,
        secret_ref="s" if creds.startswith("secretRef") else None,
        tear_down=tear_down,
    )
    observed: dict[str, Any] = {"ec": f.ec_object(manifest, v2=v2)}
    if creds == "secretRef-unread":
        observed["credentials"] = f.credentials_object("s")
    elif creds == "secretRef-details":
        observed["credentials"] = (f.credentials_object("s"), DETAILS)
    elif creds == "secretRef-atProvider":
        observed["credentials"] = f.credentials_object("s", data=True)
    return observed


def _tells_claim_cluster_ready(rsp: fnv1.RunFunctionResponse) -> bool:
    return any(
        c.type == "ClusterReady"
        and c.status == fnv1.STATUS_CONDITION_TRUE
        and c.target == fnv1.TARGET_COMPOSITE_AND_CLAIM
        for c in rsp.conditions
    )


def _xr_ready(rsp: fnv1.RunFunctionResponse) -> bool:
    """What Crossplane makes of the response: an explicit composite readiness wins, else
    Ready only when every composed resource is READY_TRUE."""
    if rsp.desired.composite.ready != fnv1.READY_UNSPECIFIED:
        return rsp.desired.composite.ready == fnv1.READY_TRUE
    return all(r.ready == fnv1.READY_TRUE for r in rsp.desired.resources.values())


def _kubeconfig_delivered(rsp: fnv1.RunFunctionResponse, v2: bool) -> bool:
    if v2:
        if "connection-secret" not in rsp.desired.resources:
            return False
        secret = f.desired(rsp, "connection-secret")
        return bool((secret.get("data") or {}).get("kubeconfig"))
    return bool(rsp.desired.composite.connection_details.get("kubeconfig"))


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
@pytest.mark.parametrize("tear_down", [None, True], ids=["no-teardown", "teardown"])
@pytest.mark.parametrize("creds", CREDENTIALS)
@pytest.mark.parametrize("ready", list(CLUSTER_READY))
@pytest.mark.parametrize("phase", PHASES, ids=str)
def test_cluster_ready_on_the_claim_implies_a_ready_xr(
    phase: str | None, ready: str, creds: str, tear_down: bool | None, v2: bool
) -> None:
    """Every response that tells the claim ClusterReady=True makes the XR Ready (so Crossplane
    copies the connection Secret to the claim) and carries the kubeconfig; and an EC that is
    usable by the rule does get ClusterReady=True."""
    xr = f.xr_v2() if v2 else f.xr_v1()
    rsp = f.run(f.request(xr, _observed(phase, ready, creds, tear_down, v2)))
    assert f.fatal_messages(rsp) == []
    if _tells_claim_cluster_ready(rsp):
        assert _xr_ready(rsp)
        assert _kubeconfig_delivered(rsp, v2)
    usable = (
        phase == "Ready"
        and ready == "true"
        and not tear_down
        and creds not in ("none", "secretRef-unread")
    )
    assert _tells_claim_cluster_ready(rsp) is usable
    assert _xr_ready(rsp) is usable


@pytest.mark.parametrize(
    ("earlier", "reason"),
    [
        ("unready-resource", "WaitingForComposedResources"),
        ("xr-not-ready", "WaitingForComposite"),
    ],
)
def test_an_earlier_steps_unready_state_withholds_cluster_ready(earlier: str, reason: str) -> None:
    """Crossplane derives the XR's readiness from every step's resources; if another step keeps
    it from Ready, the claim must not be told ClusterReady=True either."""
    observed = {
        "ec": _ec("Ready", f.READY_CONDITIONS),
        "credentials": (f.credentials_object("s"), DETAILS),
    }
    req = f.request(f.xr_v1(), observed)
    if earlier == "unready-resource":
        req.desired.resources["other"].resource.update({"apiVersion": "v1", "kind": "ConfigMap"})
    else:
        req.desired.composite.ready = fnv1.READY_FALSE
    rsp = f.run(req)
    assert not _xr_ready(rsp)
    assert not _tells_claim_cluster_ready(rsp)
    cond = f.conditions(rsp)["ClusterReady"]
    assert cond.reason == reason
