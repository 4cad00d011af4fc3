"""Upstream's acceptance test, in the lifecycle simulation, over real gRPC to the function.

The scenario and every assertion of konflux-ci/crossplane-control-plane
scripts/test-xtestplatformcluster.sh (@ a413b9a11e02), step by step (scripts/sim/acceptance.py
sets the stage), for the v1 XRD: the claim, the XR and the EphemeralCluster are validated
against xrd/ and the EphemeralCluster CRD in crd/ on the way. On top of the script, the
standard invariants run at every tick (no EphemeralCluster deleted before the claim, no
leaked credential, a delivered kubeconfig never changes).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import pytest
import validation as v
import yaml
from conftest import ROOT, shared_file
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from lifecycle_helpers import real_function

from function import structs
from scripts import crdschema
from scripts.render.fakes import serve_fake
from scripts.render.launcher import FunctionProcess
from scripts.sim import acceptance, appci, invariants
from scripts.sim.acceptance import AcceptanceWorld
from scripts.sim.store import NotFoundError, Store
from scripts.sim.world import World

XR_API = "ci.openshift.org/v1alpha1"
CLAIM_LABEL = "crossplane.io/claim-name"
EC_CRD = crdschema.load_crd(ROOT / "crd" / "ci.openshift.io_ephemeralclusters.yaml")
ANNOTATION = "ephemeralcluster.ci.openshift.io/"
# scripts/testdata/test-kubeconfig.yaml's shape: a fake kubeconfig with a token.
TEST_KUBECONFIG = (
    b"kind: Config\napiVersion: v1\nclusters:\n- cluster:\n"
    b"    server: https://api.example.invalid:6443\n  name: cluster\ncontexts:\n- context:\n"
    b"    cluster: cluster\n    user: admin\n  name: admin\ncurrent-context: admin\nusers:\n"
    b"- name: admin\n  user:\n    token: sha256~FAKE-acceptance-token\n"
)
MAX_TICKS = 30  # the script's 180 s timeouts, in simulated reconciles


@pytest.fixture(scope="module")
def function_process() -> Iterator[FunctionProcess]:
    """The real function for this module (stopped by PID at the end)."""
    with FunctionProcess() as fn:
        yield fn


@pytest.fixture
def world(function_process: FunctionProcess) -> Iterator[AcceptanceWorld]:
    world = AcceptanceWorld(function_process.address)
    world.checks += invariants.standard(function_process.output)
    yield world
    world.close()


def _conditions(obj: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in ((obj or {}).get("status") or {}).get("conditions") or []}


def _xrs(world: World) -> list[dict[str, Any]]:
    """`kubectl get xtestplatformclusters -l crossplane.io/claim-name=tp-aws-cluster`."""
    return [
        x
        for x in world.xrs()
        if x["metadata"].get("labels", {}).get(CLAIM_LABEL) == acceptance.CLAIM_NAME
    ]


def _condition_true(obj: dict[str, Any] | None, typ: str) -> bool:
    return _conditions(obj).get(typ, {}).get("status") == "True"


def _validate(world: World) -> None:
    """Claim, XR and EphemeralCluster against the v1 XRD and the EC CRD in crd/."""
    xrd = v.find_xrd("XTestPlatformCluster")
    assert xrd is not None
    claim = world.request()
    assert claim is not None  # called only while the claim exists: validate it, never skip
    assert crdschema.validate(claim, v.claim_crd(xrd, XR_API)) == []
    [xr] = _xrs(world)
    assert crdschema.validate(xr, v.xr_crd(xrd, XR_API)) == []
    [ec] = world.ecs()
    errors = crdschema.validate(ec, EC_CRD)
    if "status" not in ec:  # created, not yet reported on: the reconciler writes status
        errors = v.without_required_status(errors)
    assert errors == []


def test_upstream_acceptance_scenario(world: AcceptanceWorld) -> None:
    run_scenario(world)


def run_scenario(world: AcceptanceWorld) -> None:
    """The script, step by step; AssertionError or TimeoutError where it would exit 1."""
    # kubectl apply -f examples/xtestplatformcluster/claim.yaml
    world.create_request()
    # wait_until_exists $xr_group -l $claim_label; kubectl wait ... --for=condition=Synced=true
    world.run_until(lambda w: len(_xrs(w)) == 1, "the XR exists", MAX_TICKS)
    world.run_until(lambda w: _condition_true(_xrs(w)[0], "Synced"), "XR Synced", MAX_TICKS)
    ephemeralcluster = _xrs(world)[0]["metadata"]["name"]
    credentials_obj = f"credentials-{ephemeralcluster}"

    # wait_until_exists -n ephemeral-cluster $ec_group/$ephemeralcluster
    def ec(w: World) -> dict[str, Any] | None:
        return w.appci.get(appci.API_VERSION, appci.KIND, ephemeralcluster, appci.NAMESPACE)

    world.run_until(lambda w: ec(w) is not None, "the EphemeralCluster exists", MAX_TICKS)
    _validate(world)

    # The controller's part: the credentials Secret, then the status by server-side apply.
    world.report_ready(ephemeralcluster, TEST_KUBECONFIG, b"admin")

    # kubectl wait $credentials_obj --for=jsonpath='{.spec.forProvider.manifest.metadata.name}'
    def credentials_secret_name(w: World) -> str | None:
        obj = w.control.get("kubernetes.crossplane.io/v1alpha2", "Object", credentials_obj)
        return obj["spec"]["forProvider"]["manifest"]["metadata"]["name"] if obj else None

    world.run_until(
        lambda w: credentials_secret_name(w) == acceptance.CREDENTIALS_SECRET,
        "the credentials Object observes test-credentials",
        MAX_TICKS,
    )
    # XR: ClusterReady=True and Ready=True; then the claim's ClusterReady=True.
    world.run_until(
        lambda w: (
            _condition_true(_xrs(w)[0], "ClusterReady") and _condition_true(_xrs(w)[0], "Ready")
        ),
        "XR ClusterReady and Ready",
        MAX_TICKS,
    )
    world.run_until(
        lambda w: _condition_true(w.request(), "ClusterReady"), "claim ClusterReady", MAX_TICKS
    )

    # The claim's Secret: kubeconfig, then its exact value and the password's.
    claim = world.request()
    assert claim is not None
    cluster_secret = claim["spec"]["writeConnectionSecretToRef"]["name"]

    def secret_data(w: World) -> dict[str, str]:
        secret = w.control.get("v1", "Secret", cluster_secret, acceptance.TENANT) or {}
        return secret.get("data") or {}

    world.run_until(lambda w: "kubeconfig" in secret_data(w), "claim Secret kubeconfig", MAX_TICKS)
    data = secret_data(world)
    # jsonpath prints "" for a missing key, which the script then compares.
    assert data.get("kubeconfig", "") == base64.b64encode(TEST_KUBECONFIG).decode()
    assert data.get("kubeAdminPassword", "") == "YWRtaW4=", "kubeAdminPassword"

    # status.phase and status.prowJobURL reported as conditions on the claim.
    conditions = _conditions(world.request())
    phase = conditions.get("_EphemeralClusterPhase", {}).get("message", "")
    assert phase == "Ready", "_EphemeralClusterPhase"
    url = conditions.get("_ProwJobURL", {}).get("message", "")
    assert url == acceptance.PROW_JOB_URL, "_ProwJobURL"

    # The EphemeralCluster's annotations.
    annotations = (ec(world) or {})["metadata"]["annotations"]
    for key, want in (
        ("konflux-tenant", "default"),
        ("konflux-cluster", "test-cluster"),
        ("pipeline-run-name", "foo"),
        ("task-run-name", "bar"),
    ):
        assert annotations.get(ANNOTATION + key, "") == want, key
    _validate(world)

    # kubectl delete -f examples/xtestplatformcluster; kubectl wait objects --for=delete --all
    world.delete_request()
    world.remove_environment_config()
    world.run_until(lambda w: not w.objects(), "every Object deleted", MAX_TICKS)
    assert ec(world) is None


def test_the_scenario_claim_is_upstreams_example() -> None:
    """Our scenario claim is upstream's examples/xtestplatformcluster/claim.yaml (../shared)."""
    upstream = yaml.safe_load(shared_file("upstream/example-claim.yaml").read_text())
    ours = copy.deepcopy(acceptance.CLAIM)
    del ours["metadata"]["namespace"]
    assert ours == upstream


def test_apply_status_merges_like_server_side_apply() -> None:
    store = Store("appci", lambda: 0)
    store.create(
        {
            "apiVersion": appci.API_VERSION,
            "kind": appci.KIND,
            "metadata": {"name": "x", "namespace": appci.NAMESPACE},
            "spec": {"ciOperator": {}},
        }
    )
    key = {"apiVersion": appci.API_VERSION, "kind": appci.KIND}
    meta = {"metadata": {"name": "x", "namespace": appci.NAMESPACE}}
    first = {
        "phase": "Provisioning",
        "prowJobId": "pj",
        "conditions": [{"type": "A", "status": "True"}],
    }
    acceptance.apply_status(store, {**key, **meta, "status": first})
    second = {"phase": "Ready", "conditions": [{"type": "B", "status": "True"}]}
    done = acceptance.apply_status(store, {**key, **meta, "status": second})
    # Fields not applied stay, applied scalars win, the (atomic) list is replaced whole.
    assert done["status"] == {
        "phase": "Ready",
        "prowJobId": "pj",
        "conditions": [{"type": "B", "status": "True"}],
    }
    assert done["spec"] == {"ciOperator": {}}
    with pytest.raises(NotFoundError):
        acceptance.apply_status(
            store, {**key, "metadata": {"name": "y", "namespace": appci.NAMESPACE}, "status": {}}
        )


# Negative controls: each assertion of the script fails for a function that breaks it -------


def drops_run_names(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Forwards no pipeline/task-run annotation to the EphemeralCluster."""
    rsp = real_function(req)
    if "ec" in rsp.desired.resources:
        obj = structs.struct_to_dict(rsp.desired.resources["ec"].resource)
        annotations = obj["spec"]["forProvider"]["manifest"]["metadata"]["annotations"]
        for key in ("pipeline-run-name", "task-run-name"):
            annotations.pop(ANNOTATION + key, None)
        rsp.desired.resources["ec"].resource.CopyFrom(structs.dict_to_struct(obj))
    return rsp


def drops_password(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Delivers the kubeconfig but not kubeAdminPassword."""
    rsp = real_function(req)
    if "kubeAdminPassword" in rsp.desired.composite.connection_details:
        del rsp.desired.composite.connection_details["kubeAdminPassword"]
    return rsp


def no_phase_condition(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Reports the phase only in status, not as the _EphemeralClusterPhase condition."""
    rsp = real_function(req)
    kept = [c for c in rsp.conditions if c.type != "_EphemeralClusterPhase"]
    del rsp.conditions[:]
    rsp.conditions.extend(kept)
    return rsp


def observes_pending_forever(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Never follows status.secretRef: the credentials Object stays on `pending`."""
    rsp = real_function(req)
    if "credentials" in rsp.desired.resources:
        obj = structs.struct_to_dict(rsp.desired.resources["credentials"].resource)
        obj["spec"]["forProvider"]["manifest"]["metadata"]["name"] = "pending"
        for detail in obj["spec"]["connectionDetails"]:
            detail["name"] = "pending"
        rsp.desired.resources["credentials"].resource.CopyFrom(structs.dict_to_struct(obj))
        del rsp.desired.composite.connection_details["kubeconfig"]
    return rsp


@pytest.mark.parametrize(
    ("broken", "failure", "message"),
    [
        (drops_run_names, AssertionError, "pipeline-run-name"),
        (drops_password, AssertionError, "kubeAdminPassword"),
        (no_phase_condition, AssertionError, "_EphemeralClusterPhase"),
        (observes_pending_forever, TimeoutError, "observes test-credentials"),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_the_scenario_fails_for_a_broken_function(
    broken: Any, failure: type[Exception], message: str
) -> None:
    with serve_fake(broken) as fake:
        world = AcceptanceWorld(fake.target)
        try:
            with pytest.raises(failure, match=message):
                run_scenario(world)
        finally:
            world.close()
