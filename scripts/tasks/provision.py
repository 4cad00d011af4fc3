"""`ec-task provision`: create the claim, follow it by watch, hand the Secret's name on.

Results (the names of upstream's 0.1 task, openshift/konflux-tasks @3a79d35): `secretRef`,
`testPlatformClusterClaimName`, `testPlatformClusterClaimNamespace`; plus `prowJobURL`. The claim
name and namespace are written as soon as the claim exists, so the deprovision task in `finally`
still gets them when provisioning fails later (Tekton skips a finally task whose result
reference is uninitialised, tektoncd/pipeline @3ee1745a docs/pipelines.md "Consuming Task
execution results in finally"). `secretRef` is written only once the Secret holds a kubeconfig.
"""

from __future__ import annotations

from typing import Any

from scripts.tasks.claimstate import TORN_DOWN, Claim, has_kubeconfig
from scripts.tasks.params import ProvisionRequest
from scripts.tasks.report import Out, Outcome, Progress, Results, TimedOut
from scripts.tasks.seam import AlreadyExistsError, Kube, Ref

SECRET_REF = "secretRef"  # noqa: S105 - a result name
CLAIM_NAME = "testPlatformClusterClaimName"
CLAIM_NAMESPACE = "testPlatformClusterClaimNamespace"


def _owned_by(obj: dict[str, Any], uid: str) -> bool:
    owners = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(o.get("uid") == uid for o in owners)


def _create(kube: Kube, req: ProvisionRequest, ref: Ref, out: Out) -> Outcome | None:
    """Create the claim; a claim of this name owned by the same run is a retry and is adopted."""
    owner = req.owner
    try:
        kube.create(req.claim())
    except AlreadyExistsError:
        existing = kube.get(ref)
        if existing is None or not _owned_by(existing, owner.uid):
            return Outcome(
                False,
                f"{ref} already exists and is not owned by {owner.kind} {owner.name} "
                f"(uid {owner.uid}); refusing to use someone else's cluster",
            )
        out(f"{ref} already exists for {owner.kind} {owner.name} (a retry): following it")
        return None
    out(f"Created {ref}, owned by {owner.kind} {owner.name}")
    return None


def _wait_ready(
    kube: Kube, ref: Ref, deadline: float, progress: Progress
) -> Claim | Outcome | TimedOut:
    """Follow the claim until it is Ready; fail fast on Failed, teardown or deletion."""
    last: Claim | None = None
    for obj in kube.watch(ref, deadline):
        if obj is None:
            return Outcome(False, f"{ref} was deleted while waiting for the cluster")
        claim = last = Claim.of(obj)
        progress.seen(claim)
        if claim.deleting:
            return Outcome(False, f"{ref} is being deleted; the cluster will not become ready")
        if claim.phase == "Failed":
            url = f"; ProwJob: {claim.prow_job_url}" if claim.prow_job_url else ""
            return Outcome(False, f"the cluster failed to provision: {claim.failure()}{url}")
        if claim.phase in TORN_DOWN:
            return Outcome(
                False, f"the cluster is being torn down (phase {claim.phase}) before it was ready"
            )
        if claim.ready:
            return claim
    seen = last.describe() if last is not None else "nothing"
    return TimedOut(f"{ref} to become Ready (last seen: {seen})")


def _wait_kubeconfig(kube: Kube, ref: Ref, deadline: float) -> TimedOut | None:
    """The claim is Ready; wait until its connection Secret holds the kubeconfig."""
    seen = False
    for secret in kube.watch(ref, deadline):
        seen = seen or secret is not None
        if has_kubeconfig(secret):
            return None
    state = "has no kubeconfig yet" if seen else "does not exist yet"
    return TimedOut(f"{ref} to hold a kubeconfig (the claim is Ready; the Secret {state})")


def provision(kube: Kube, req: ProvisionRequest, out: Out, results: Results) -> Outcome:
    """Create the claim and wait until it is Ready and its Secret holds a kubeconfig."""
    ref = Ref("claim", req.namespace, req.claim_name)
    if (refused := _create(kube, req, ref, out)) is not None:
        return refused
    results.write(CLAIM_NAME, req.claim_name)
    results.write(CLAIM_NAMESPACE, req.namespace)
    deadline = kube.now() + req.timeout
    progress = Progress(out, results)
    waited = _wait_ready(kube, ref, deadline, progress)
    if isinstance(waited, TimedOut):
        return waited.outcome(req.timeout)
    if isinstance(waited, Outcome):
        return waited
    secret = Ref("secret", req.namespace, waited.secret_name or req.secret_name)
    if (missing := _wait_kubeconfig(kube, secret, deadline)) is not None:
        return missing.outcome(req.timeout)
    results.write(SECRET_REF, secret.name)
    out(f"The cluster is ready; its kubeconfig is in Secret {secret.name} (key kubeconfig)")
    return Outcome(True, f"SecretRef: {secret.name}")
