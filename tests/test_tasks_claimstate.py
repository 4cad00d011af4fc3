"""scripts/tasks/claimstate.py: reading what a claim says, with and without status fields."""

from __future__ import annotations

import base64
from typing import Any

from scripts.tasks.claimstate import Claim, has_kubeconfig


def claim(status: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "c", "namespace": "ns", **meta},
        "spec": {"writeConnectionSecretToRef": {"name": "c-secret"}},
        "status": status or {},
    }


def cond(typ: str, status: str, reason: str = "", message: str = "") -> dict[str, str]:
    out = {"type": typ, "status": status}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def test_status_fields_win_over_the_compatibility_conditions() -> None:
    c = Claim.of(
        claim(
            {
                "phase": "Ready",
                "prowJobURL": "https://prow/1",
                "conditions": [
                    cond("_EphemeralClusterPhase", "True", "Provisioning", "Provisioning"),
                    cond("_ProwJobURL", "True", "ProwJobCreated", "https://prow/old"),
                ],
            }
        )
    )
    assert (c.phase, c.prow_job_url, c.secret_name) == ("Ready", "https://prow/1", "c-secret")


def test_a_claim_composed_by_upstream_templates_is_read_from_its_conditions() -> None:
    c = Claim.of(
        claim(
            {
                "conditions": [
                    cond("_EphemeralClusterPhase", "True", "Failed", "Failed"),
                    cond("_ProwJobURL", "True", "ProwJobCreated", "https://prow/2"),
                    cond("ProwJobCompleted", "True", "ProwJobFailure", "prowjob state: error"),
                ]
            }
        )
    )
    assert (c.phase, c.prow_job_url) == ("Failed", "https://prow/2")
    assert c.failure() == "prowjob state: error (ProwJobFailure)"
    assert c.prow_job_state() == "error"


def test_failure_prefers_the_function_s_condition() -> None:
    c = Claim.of(
        claim(
            {
                "phase": "Failed",
                "conditions": [
                    cond("EphemeralClusterFailed", "True", "ProwJobFailure", "the EC failed: x"),
                    cond("ProwJobCompleted", "True", "ProwJobFailure", "prowjob state: failure"),
                ],
            }
        )
    )
    assert c.failure() == "the EC failed: x (ProwJobFailure)"
    assert Claim.of(claim({"phase": "Failed"})).failure() == (
        "the EphemeralCluster reports phase Failed"
    )


def test_prow_job_state() -> None:
    assert Claim.of(claim({"phase": "Deprovisioned"})).prow_job_state() == "success"
    assert Claim.of(claim({"phase": "Failed"})).prow_job_state() == "failure"
    assert Claim.of(claim({"phase": "Deprovisioning"})).prow_job_state() == ""


def test_describe_shows_reasons_of_what_is_not_true() -> None:
    c = Claim.of(
        claim(
            {
                "phase": "Provisioning",
                "conditions": [
                    cond("Ready", "False", "Creating"),
                    cond("ClusterReady", "False", "SecretsFetchFailure", "kubeconfig not ready"),
                    cond("Synced", "True", "ReconcileSuccess"),
                ],
            }
        )
    )
    assert c.describe() == (
        "phase Provisioning, Ready=False (Creating), "
        "ClusterReady=False (SecretsFetchFailure: kubeconfig not ready), Synced=True"
    )
    assert Claim.of(claim()).describe() == "phase (none yet)"
    assert Claim.of(claim(deletionTimestamp="2026-05-04T09:30:00Z")).deleting


def test_has_kubeconfig() -> None:
    good = base64.b64encode(b"apiVersion: v1\nkind: Config\n").decode()
    assert has_kubeconfig({"data": {"kubeconfig": good}})
    assert not has_kubeconfig(None)
    assert not has_kubeconfig({"data": {"kubeconfig": ""}})
    assert not has_kubeconfig({"data": {"kubeAdminPassword": good}})
    assert not has_kubeconfig({"data": {"kubeconfig": "not base64!"}})
