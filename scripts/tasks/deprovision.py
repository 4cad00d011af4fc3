"""`ec-task deprovision`: set `tearDownCluster: true` and wait for phase Deprovisioned.

It runs in `finally`, after any failure, so every state it can find is handled:

- gone, or being deleted: success, nothing to do (app.ci's finalizer tears a deleted one down);
- nothing started on app.ci yet (no phase, no ProwJob): teardown set, success at once;
- phase Deprovisioned: success, already torn down, the ProwJob succeeded;
- phase Failed: success, already finished; it says that the ProwJob failed and why;
- Provisioning, Ready or Deprovisioning: teardown set, then watch until Deprovisioned
  (success), Failed (failure: the ProwJob failed while tearing down) or gone (success).

Success and failure are told apart by phase and by the ProwJobCompleted condition's reason,
as the app.ci reconciler sets them (openshift/ci-tools @52352cd,
pkg/controller/ephemeralcluster/reconciler.go `reportProwJobFinalState`: failure, error and
aborted give ProwJobFailure and Failed; success gives ProwJobCompleted and Deprovisioned).
Upstream's 0.1 task waited for `ProwJobCompleted=True`, which is true in both cases.
Results (new, optional to use): `prowJobState` and `prowJobURL`.
"""

from __future__ import annotations

import dataclasses

from scripts.tasks.claimstate import Claim
from scripts.tasks.params import duration, required
from scripts.tasks.report import Out, Outcome, Progress, Results, TimedOut
from scripts.tasks.seam import Kube, NotFoundError, Ref

STATE = "prowJobState"
TEARDOWN = {"spec": {"tearDownCluster": True}}


@dataclasses.dataclass(frozen=True)
class DeprovisionRequest:
    """The claim to tear down and how long to wait."""

    claim_name: str
    namespace: str
    timeout: float

    @classmethod
    def parse(cls, values: dict[str, str]) -> DeprovisionRequest:
        return cls(
            claim_name=required(
                "testPlatformClusterClaimName", values.get("testPlatformClusterClaimName", "")
            ),
            namespace=required(
                "testPlatformClusterClaimNamespace",
                values.get("testPlatformClusterClaimNamespace", ""),
            ),
            timeout=duration("timeout", values.get("timeout", "2h")),
        )


def _finished(claim: Claim, results: Results, *, waited: bool) -> Outcome:
    """Deprovisioned or Failed: say how the ProwJob ended and record it."""
    state = claim.prow_job_state() or "unknown"
    results.write(STATE, state)
    url = f"; ProwJob: {claim.prow_job_url}" if claim.prow_job_url else ""
    if claim.phase == "Deprovisioned":
        when = "torn down" if waited else "already torn down"
        return Outcome(True, f"the cluster is {when}; the ProwJob succeeded (state {state}){url}")
    if waited:
        return Outcome(
            False, f"the ProwJob failed while tearing the cluster down: {claim.failure()}{url}"
        )
    return Outcome(
        True, f"the cluster had already finished; the ProwJob failed: {claim.failure()}{url}"
    )


def _gone(ref: Ref, results: Results, why: str) -> Outcome:
    results.write(STATE, "unknown")
    return Outcome(True, f"{ref} {why}; nothing to tear down")


def deprovision(kube: Kube, req: DeprovisionRequest, out: Out, results: Results) -> Outcome:
    """Ask for teardown and wait until app.ci reports it done."""
    ref = Ref("claim", req.namespace, req.claim_name)
    obj = kube.get(ref)
    if obj is None:
        return _gone(ref, results, "is already gone")
    claim = Claim.of(obj)
    progress = Progress(out, results)
    progress.seen(claim)
    if claim.deleting:
        return _gone(ref, results, "is being deleted (app.ci's finalizer tears the cluster down)")
    try:
        kube.merge_patch(ref, TEARDOWN)
    except NotFoundError:
        return _gone(ref, results, "was deleted meanwhile")
    out(f"Set tearDownCluster: true on {ref}")
    if claim.phase in ("Deprovisioned", "Failed"):
        return _finished(claim, results, waited=False)
    if not claim.started:
        results.write(STATE, "unknown")
        return Outcome(
            True,
            f"no cluster was started for {ref} yet; with tearDownCluster set, app.ci tears "
            "down at once whatever it still starts",
        )
    return _wait(kube, ref, req.timeout, claim, progress=progress, results=results)


def _wait(
    kube: Kube, ref: Ref, timeout: float, claim: Claim, *, progress: Progress, results: Results
) -> Outcome:
    """Follow the claim until app.ci reports the ProwJob finished (or the claim goes)."""
    last = claim
    for current in kube.watch(ref, kube.now() + timeout):
        if current is None:
            return _gone(ref, results, "was deleted while tearing down")
        last = Claim.of(current)
        progress.seen(last)
        if last.phase in ("Deprovisioned", "Failed"):
            return _finished(last, results, waited=True)
    results.write(STATE, last.prow_job_state() or "unknown")
    seen = last.describe()
    return TimedOut(f"{ref} to reach phase Deprovisioned (last seen: {seen})").outcome(timeout)
