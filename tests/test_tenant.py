"""Credentials only from an EphemeralCluster of the XR's own tenant (issue 10, point 2).

An observed EC whose konflux-tenant annotation is not the XR's tenant (or an XR with no tenant
at all) gets no credentials: no XR connection details, no v2 Secret data, no `credentials`
Object; the `ec` Object is kept (dropping it would delete someone's cluster) and
`TenantVerified=False` says why, until the annotation matches again.
"""

from __future__ import annotations

import base64
from typing import Any

import fnreq as f
import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function.observed import TENANT

TENANT_CONDITION = "TenantVerified"  # the documented name (docs/function.md)
OTHER = "team-b-victim"
DETAILS = {"kubeconfig": f.KUBECONFIG, "kubeAdminPassword": f.PASSWORD}
READY = f.ec_manifest(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="s")
OLD = f.ec_manifest(
    phase="Ready", conditions=f.READY_CONDITIONS, kubeconfig=f.KUBECONFIG, password=f.PASSWORD
)
V2_SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "e2e-pr-abc12-provision-secret", "namespace": f.TENANT},
    "type": "Opaque",
    "data": {"kubeconfig": base64.b64encode(f.KUBECONFIG).decode()},
}


def _ec(manifest: dict[str, Any], tenant: str = OTHER, *, v2: bool = False) -> dict[str, Any]:
    """The observed `ec` Object; app.ci's EC (atProvider) annotated for `tenant`."""
    annotations = {**manifest["metadata"]["annotations"], TENANT: tenant}
    remote = {**manifest, "metadata": {**manifest["metadata"], "annotations": annotations}}
    obj = f.ec_object(manifest, v2=v2)
    return {**obj, "status": {"atProvider": {"manifest": remote}}}


def _creds() -> tuple[dict[str, Any], dict[str, bytes]]:
    return f.credentials_object("s", data=True), DETAILS


def _withheld(rsp: fnv1.RunFunctionResponse, reason: str = "TenantMismatch") -> None:
    """Nothing delivered, the EC kept, the reason on TenantVerified and ClusterReady."""
    assert f.fatal_messages(rsp) == []
    assert "ec" in rsp.desired.resources
    delivered = sorted(rsp.desired.composite.connection_details)  # key names only: no secret
    assert delivered == []
    tenant = f.conditions(rsp)[TENANT_CONDITION]
    assert (tenant.status, tenant.reason) == (fnv1.STATUS_CONDITION_FALSE, reason)
    assert tenant.target == fnv1.TARGET_COMPOSITE_AND_CLAIM
    assert OTHER not in tenant.message  # another tenant's namespace is not told to this one
    ready = f.conditions(rsp)["ClusterReady"]
    assert (ready.status, ready.reason) == (fnv1.STATUS_CONDITION_FALSE, reason)
    assert rsp.desired.composite.ready == fnv1.READY_FALSE
    blob = str(rsp.desired.composite) + "".join(str(c) for c in rsp.conditions)
    blob += "".join(str(r.resource) for r in rsp.desired.resources.values())
    assert base64.b64encode(f.KUBECONFIG).decode() not in blob
    assert "S3CR3T" not in blob


@pytest.mark.parametrize("kept_credentials", [False, True], ids=["first-call", "kept-object"])
def test_v1_no_credentials_from_another_tenants_ec(kept_credentials: bool) -> None:
    observed: dict[str, Any] = {"ec": _ec(READY)}
    if kept_credentials:
        observed["credentials"] = _creds()
    rsp = f.run(f.request(f.xr_v1(), observed))
    _withheld(rsp)
    # Never composed, and an observed Observe-only one is dropped: Crossplane deletes it and
    # its connection Secret (the copy of the credentials); app.ci's Secret is not touched.
    assert "credentials" not in rsp.desired.resources
    # The EC keeps being composed for this XR: teardown and spec changes still flow.
    ec = f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]
    assert ec["metadata"]["annotations"][TENANT] == f.TENANT


def test_v1_old_design_status_kubeconfig_is_not_delivered() -> None:
    rsp = f.run(f.request(f.xr_v1(), {"ec": _ec(OLD)}))
    _withheld(rsp)


def test_v2_kept_secret_is_emptied_and_the_credentials_object_dropped() -> None:
    observed = {
        "ec": _ec(READY, v2=True),
        "credentials": _creds(),
        "connection-secret": V2_SECRET,
    }
    rsp = f.run(f.request(f.xr_v2(), observed))
    _withheld(rsp)
    secret = f.desired(rsp, "connection-secret")
    # Kept (Crossplane would delete a dropped one) but without data: Crossplane applies it with
    # server-side apply, so the kubeconfig key goes from the tenant's Secret.
    assert secret == {k: v for k, v in V2_SECRET.items() if k != "data"}
    assert rsp.desired.resources["connection-secret"].ready == fnv1.READY_FALSE
    assert "credentials" not in rsp.desired.resources


def test_a_credentials_object_that_is_not_observe_only_is_kept_but_not_read() -> None:
    """Dropping an Object that may delete would delete app.ci's Secret: it stays, unread."""
    obj, details = _creds()
    obj = {**obj, "spec": {**obj["spec"], "managementPolicies": ["*"]}}
    rsp = f.run(f.request(f.xr_v1(), {"ec": _ec(READY), "credentials": (obj, details)}))
    _withheld(rsp)
    assert f.desired(rsp, "credentials")["spec"]["managementPolicies"] == ["*"]
    assert rsp.desired.resources["credentials"].ready == fnv1.READY_FALSE


def test_an_xr_without_a_tenant_gets_no_credentials_and_keeps_the_ec_annotation() -> None:
    """Before, the XR took the tenant from the EC, which then always matched."""
    xr = f.xr_v1(tenant=None)
    rsp = f.run(f.request(xr, {"ec": _ec(READY), "credentials": _creds()}))
    _withheld(rsp, "TenantUnknown")
    ec = f.desired(rsp, "ec")["spec"]["forProvider"]["manifest"]
    assert ec["metadata"]["annotations"][TENANT] == OTHER  # not rewritten on app.ci


def test_no_tenant_and_no_ec_is_still_a_fatal() -> None:
    rsp = f.run(f.request(f.xr_v1(tenant=None)))
    [message] = f.fatal_messages(rsp)
    assert message.startswith("spec.claimRef.namespace: the XR has no tenant namespace")


def test_messages_copied_from_another_tenants_ec_are_still_redacted() -> None:
    token = "sha256~S3CR3T-T0KEN-do-not-leak"
    conds = [*f.READY_CONDITIONS, f.cond("ProwJobCompleted", "False", "X", f"bad {token}")]
    manifest = {**OLD, "status": {**OLD["status"], "conditions": conds}}
    rsp = f.run(f.request(f.xr_v1(), {"ec": _ec(manifest)}))
    _withheld(rsp)
    assert f.conditions(rsp)["ProwJobCompleted"].message == "bad [redacted]"


def test_own_tenant_gets_credentials_and_no_tenant_condition() -> None:
    rsp = f.run(f.request(f.xr_v1(), {"ec": _ec(READY, f.TENANT), "credentials": _creds()}))
    assert dict(rsp.desired.composite.connection_details) == DETAILS, "details differ"
    assert TENANT_CONDITION not in f.conditions(rsp)
    assert f.conditions(rsp)["ClusterReady"].status == fnv1.STATUS_CONDITION_TRUE


def test_the_condition_clears_once_the_annotation_matches() -> None:
    shown = f.xr_v1()
    shown["status"] = {"conditions": [{"type": TENANT_CONDITION, "status": "False"}]}
    rsp = f.run(f.request(shown, {"ec": _ec(READY, f.TENANT), "credentials": _creds()}))
    cond = f.conditions(rsp)[TENANT_CONDITION]
    assert (cond.status, cond.reason) == (fnv1.STATUS_CONDITION_TRUE, "TenantMatches")
    assert dict(rsp.desired.composite.connection_details) == DETAILS, "details differ"
