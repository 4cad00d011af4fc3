"""XR status fields and the conditions reported on the XR and claim."""

from __future__ import annotations

import copy
from typing import Any

import fnreq as f
import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from function import status
from scripts.sim import conditions as sim_conditions


def _run(manifest: dict[str, Any], **kwargs: Any) -> fnv1.RunFunctionResponse:
    return f.run(f.request(f.xr_v1(), {"ec": f.ec_object(manifest)}, **kwargs))


def test_ec_conditions_copied_to_xr_and_claim() -> None:
    conds = [
        f.cond("ProwJobCreating", "False", "ProwJobCreated", "created"),
        f.cond("ClusterReady", "True", "", "ready"),  # no reason upstream: must get one
        f.cond("TestCompleted", "Unknown", "NotYet"),
        f.cond("Ready", "True", "Available"),  # Crossplane's own types are skipped
        f.cond("Synced", "True", "ReconcileSuccess"),
        f.cond("Healthy", "True", "x"),
        f.cond("UpToDate", "True", "x"),
        f.cond("Responsive", "True", "x"),
        f.cond("Weird Reason", "True", "has spaces"),
    ]
    rsp = _run(f.ec_manifest(phase="Ready", conditions=conds, kubeconfig=f.KUBECONFIG))
    got = f.conditions(rsp)
    for typ in status.RESERVED:
        assert typ not in got
    assert got["ProwJobCreating"].status == fnv1.STATUS_CONDITION_FALSE
    assert got["ProwJobCreating"].reason == "ProwJobCreated"
    assert got["ProwJobCreating"].message == "created"
    assert got["ClusterReady"].status == fnv1.STATUS_CONDITION_TRUE
    assert got["ClusterReady"].reason == "Observed"
    assert got["TestCompleted"].status == fnv1.STATUS_CONDITION_UNKNOWN
    assert got["Weird Reason"].reason == "Observed"  # "has spaces" is not a valid reason
    for cond in rsp.conditions:
        assert cond.reason, cond
        assert cond.target == fnv1.TARGET_COMPOSITE_AND_CLAIM


@pytest.mark.parametrize(
    ("phase", "kubeconfig", "expected"),
    [
        ("Ready", None, ("False", "WaitingForKubeconfig")),
        ("Ready", f.KUBECONFIG, ("True", "KubeconfigFetched")),
        ("Provisioning", None, ("False", "WaitingForPhaseReady")),
        # Issue 9: these three used to tell the claim ClusterReady=True while the XR was
        # READY_FALSE, so Crossplane never copied the kubeconfig to the claim's Secret.
        ("Provisioning", f.KUBECONFIG, ("False", "WaitingForPhaseReady")),
        ("Deprovisioning", None, ("False", "TearingDown")),
        ("Deprovisioned", None, ("False", "TearingDown")),
        ("Failed", f.KUBECONFIG, ("False", "ClusterFailed")),
    ],
)
def test_cluster_ready_reaches_the_claim_only_with_a_ready_xr(
    phase: str, kubeconfig: bytes | None, expected: tuple[str, str]
) -> None:
    # The provision task reads the claim Secret as soon as it sees ClusterReady=True, and
    # Crossplane fills that Secret only once the XR is Ready.
    manifest = f.ec_manifest(phase=phase, conditions=f.READY_CONDITIONS, kubeconfig=kubeconfig)
    rsp = _run(manifest)
    got = f.conditions(rsp)["ClusterReady"]
    names = {fnv1.STATUS_CONDITION_TRUE: "True", fnv1.STATUS_CONDITION_FALSE: "False"}
    assert (names[got.status], got.reason) == expected
    if expected[1] == "WaitingForKubeconfig":
        assert got.message == status.WAITING_MESSAGE
    if expected[0] == "True":
        assert rsp.desired.composite.ready == fnv1.READY_UNSPECIFIED
        assert {r.ready for r in rsp.desired.resources.values()} == {fnv1.READY_TRUE}
    else:
        assert rsp.desired.composite.ready == fnv1.READY_FALSE


def test_no_compatibility_conditions_without_phase_or_url() -> None:
    rsp = _run(f.ec_manifest(phase=None))
    assert "_EphemeralClusterPhase" not in f.conditions(rsp)
    assert "_ProwJobURL" not in f.conditions(rsp)


def test_failed_phase_reports_the_ec_reason() -> None:
    conds = [
        f.cond("ProwJobCreating", "False", "ProwJobCreated", "created"),
        {
            **f.cond("ProwJobCompleted", "True", "ProwJobFailed", "install failed: quota"),
            "lastTransitionTime": "2026-05-01T12:00:00Z",
        },
    ]
    rsp = _run(f.ec_manifest(phase="Failed", conditions=conds))
    failed = f.conditions(rsp)[status.FAILED_CONDITION]
    assert failed.status == fnv1.STATUS_CONDITION_TRUE
    assert failed.reason == "ProwJobFailed"
    assert "install failed: quota" in failed.message
    assert rsp.desired.composite.ready == fnv1.READY_FALSE


def test_failed_without_conditions_still_has_a_reason() -> None:
    failed = f.conditions(_run(f.ec_manifest(phase="Failed")))[status.FAILED_CONDITION]
    assert failed.reason == "Failed"


@pytest.mark.parametrize(
    "manifest",
    [
        f.ec_manifest(phase="Provisioning"),
        f.ec_manifest(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="s"),
        f.ec_manifest(phase="Failed"),
        f.ec_manifest(phase="Deprovisioned"),
    ],
)
def test_no_results_on_normal_calls(manifest: dict[str, Any]) -> None:
    """Normal/Warning results become events on every reconcile: none in the steady flow."""
    assert list(_run(manifest).results) == []


def test_long_messages_are_truncated() -> None:
    conds = [f.cond("ProwJobCreating", "False", "X", "m" * 5000)]
    rsp = _run(f.ec_manifest(conditions=conds))
    assert len(f.conditions(rsp)["ProwJobCreating"].message) == 1024


# Conditions clear (issue 9, point 4) -------------------------------------------------------------
#
# Crossplane never removes a condition a function stops sending, so every condition the function
# sets False must be set True again once the problem is gone. Each case drives a problem, then
# its fix, through Crossplane's condition handling (scripts/sim/conditions.py: the previous
# response's conditions are on the XR the next request observes) and ends with the condition True.

READY_CREDS = (f.credentials_object("s"), {"kubeconfig": f.KUBECONFIG, "kubeAdminPassword": b""})


def _ec(**kwargs: Any) -> dict[str, Any]:
    return f.ec_object(f.ec_manifest(**kwargs))


Step = dict[str, Any]  # f.request keyword arguments, plus "xr"

PROBLEMS: dict[str, tuple[str, list[Step]]] = {
    "envcfg-pending": ("EnvironmentConfigReady", [{"env": "pending"}, {}]),
    "envcfg-missing": ("EnvironmentConfigReady", [{"env": None}, {}]),
    "envcfg-no-key": ("EnvironmentConfigReady", [{"env": f.envcfg(cluster=None)}, {}]),
    "envcfg-missing-then-literal": (
        "EnvironmentConfigReady",
        [{"env": None}, {"env": "pending", "fn_input": {"konfluxClusterName": "kflux-x"}}],
    ),
    "envcfg-missing-with-ec": (
        "EnvironmentConfigReady",
        [
            {"env": None, "observed": {"ec": _ec(phase="Provisioning")}},
            {"observed": {"ec": _ec(phase="Provisioning")}},
        ],
    ),
    "invalid-secret-ref": (
        "CredentialsAvailable",
        [
            {"observed": {"ec": _ec(phase="Ready", secret_ref="Bad_Name")}},
            {"observed": {"ec": _ec(phase="Ready", secret_ref="s")}},  # fixed, not read yet
            {
                "observed": {
                    "ec": _ec(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="s"),
                    "credentials": READY_CREDS,
                }
            },
        ],
    ),
    "waiting-for-kubeconfig": (
        "ClusterReady",
        [
            {"observed": {"ec": _ec(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="s")}},
            {
                "observed": {
                    "ec": _ec(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="s"),
                    "credentials": READY_CREDS,
                }
            },
        ],
    ),
    "fatal": (
        "RequestAccepted",
        [
            {"xr": f.xr_v1(spec={"ciOperator": "not an object"})},
            {"observed": {"ec": _ec(phase="Provisioning")}},
        ],
    ),
    # Issue 10, point 2: another tenant's EC (its annotation fixed), an XR that lost its tenant.
    "tenant-mismatch": (
        "TenantVerified",
        [
            {
                "observed": {
                    "ec": _ec(
                        phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="s", tenant="x"
                    ),
                    "credentials": READY_CREDS,  # dropped by this call
                }
            },
            {"observed": {"ec": _ec(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="s")}},
            {
                "observed": {
                    "ec": _ec(phase="Ready", conditions=f.READY_CONDITIONS, secret_ref="s"),
                    "credentials": READY_CREDS,  # composed again, read
                }
            },
        ],
    ),
    "tenant-unknown": (
        "TenantVerified",
        [
            {"xr": f.xr_v1(tenant=None), "observed": {"ec": _ec(phase="Provisioning")}},
            {"observed": {"ec": _ec(phase="Provisioning")}},
        ],
    ),
    "fatal-wrong-type": (
        "RequestAccepted",
        [{"xr": f.xr_v1(spec={"ciOperator": {}, "tearDownCluster": "yes"})}, {}],
    ),
    "fatal-v2-secret-name": (
        "RequestAccepted",
        [{"xr": f.xr_v2(secret_name="credentials-e2e-pr-abc12-provision")}, {"xr": f.xr_v2()}],
    ),
}


def _applied(xr: dict[str, Any], rsp: fnv1.RunFunctionResponse) -> dict[str, Any]:
    """The XR after Crossplane applied the response's conditions (a FATAL's included)."""
    out = copy.deepcopy(xr)
    state = out.setdefault("status", {})
    fatal = f.fatal_messages(rsp)
    if fatal:
        sim_conditions.fatal(state, rsp, fatal[0])
    else:
        sim_conditions.apply(state, rsp)
    return out


def _drive(steps: list[Step]) -> dict[str, dict[str, Any]]:
    """Run the steps in order, each observing the XR the previous one left; final conditions."""
    conditions_on_xr: list[dict[str, Any]] = []
    for step in steps:
        kwargs = dict(step)
        xr = kwargs.pop("xr", None) or f.xr_v1()
        xr = {**xr, "status": {"conditions": copy.deepcopy(conditions_on_xr)}}
        observed = kwargs.pop("observed", None)
        xr = _applied(xr, f.run(f.request(xr, observed, **kwargs)))
        conditions_on_xr = xr["status"]["conditions"]
    return {c["type"]: c for c in conditions_on_xr}


@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_every_false_condition_clears_once_the_problem_is_gone(problem: str) -> None:
    typ, steps = PROBLEMS[problem]
    first = _drive(steps[:1])[typ]
    assert first["status"] == "False", first
    final = _drive(steps)[typ]
    assert final["status"] == "True", final
    for cond in _drive(steps).values():  # nothing of the function's stays False or Unknown
        if cond["type"] not in EC_TYPES | sim_conditions.SYSTEM:
            assert cond["status"] == "True", cond


#: Condition types copied from app.ci's EphemeralCluster (their False is app.ci's to clear).
EC_TYPES = frozenset({"ProwJobCreating", "ProwJobCompleted", "TestCompleted"})


def test_the_problem_table_covers_every_false_the_function_sets() -> None:
    """Every condition type the function itself sets False (over the readiness corpus and the
    problems above) has a problem-then-fix case."""
    covered = {typ for typ, _ in PROBLEMS.values()}
    requests = [
        f.request(f.xr_v1(), {"ec": _ec(phase=phase, conditions=conds, secret_ref=ref)}, env=env)
        for phase in ("Provisioning", "Ready", "Deprovisioning", "Deprovisioned", "Failed")
        for conds in ([], f.READY_CONDITIONS)
        for ref in (None, "s", "Bad_Name")
        for env in ("default", None, "pending")
    ]
    requests += [f.request(f.xr_v1(spec={})), f.request(f.xr_v2(secret_name="Bad_Name"))]
    requests += [
        f.request(f.xr_v1(tenant=tenant), {"ec": _ec(phase="Ready", tenant="other")})
        for tenant in (f.TENANT, None)
    ]
    set_false = set()
    for req in requests:
        for cond in f.run(req).conditions:
            if cond.status == fnv1.STATUS_CONDITION_FALSE and cond.type not in EC_TYPES:
                set_false.add(cond.type)
    assert "ClusterReady" in set_false
    assert set_false <= covered, set_false - covered
