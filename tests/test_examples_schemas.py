"""Every example input and every rendered artefact against the real schemas.

Composed Objects against provider-kubernetes' CRDs, the Compositions against Crossplane's,
EphemeralCluster manifests against the project's crd/ and the upstream CRDs (both designs),
the XRs and the claim against the generated XRDs in xrd/ (CEL included, where cel-python runs
it). Upstream schemas come from ../shared (skipped with a message when absent); crd/ and xrd/
come from branch xrd (skipped until merged).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import validation as v
import yaml
from conftest import shared_file

from scripts import crdschema, examples
from scripts.render import loading

ROOT = Path(__file__).resolve().parent.parent
CASES = examples.load()
OBSERVED = sorted((ROOT / "examples" / "observed").glob("*/*.yaml"))


def _ids(case: examples.Case) -> str:
    return case.name


@pytest.fixture(scope="module")
def rendered(function_target: str) -> dict[str, list[dict[str, Any]]]:
    """Each case rendered once through the real function (library path)."""
    return {case.name: examples.render_case(case, function_target) for case in CASES}


def _composed(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs[1:] if d.get("kind") not in ("Result", "Context")]


def _read(path: Path) -> dict[str, Any]:
    return loading.read_one(path, "example")


# Inputs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted((ROOT / "compositions").glob("*.yaml")), ids=lambda p: p.name
)
def test_composition_validates_against_crossplane_crd(path: Path) -> None:
    crd = v.shared_crd(v.COMPOSITION_CRD)
    assert crdschema.validate(_read(path), crd) == []


def test_environment_config_validates() -> None:
    crd = v.shared_crd(v.ENVCFG_CRD)
    assert crdschema.validate(_read(ROOT / "examples" / "environmentconfig.yaml"), crd) == []


@pytest.mark.parametrize("path", OBSERVED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_observed_object_validates_against_provider_kubernetes(path: Path) -> None:
    assert v.object_errors(_read(path)) == []


def _observed_ecs() -> list[Path]:
    return [p for p in OBSERVED if p.name == "ec.yaml"]


@pytest.mark.parametrize("path", _observed_ecs(), ids=lambda p: p.parent.name)
def test_observed_ec_validates_against_the_upstream_crd_of_its_design(path: Path) -> None:
    ec = _read(path)["status"]["atProvider"]["manifest"]
    old = "kubeconfig" in ec["status"]
    crd = v.shared_crd(v.UPSTREAM_EC_OLD if old else v.UPSTREAM_EC)
    assert crdschema.validate(ec, crd) == []


@pytest.mark.parametrize("path", _observed_ecs(), ids=lambda p: p.parent.name)
def test_observed_ec_validates_against_the_project_crd(path: Path) -> None:
    ec = _read(path)["status"]["atProvider"]["manifest"]
    errors = crdschema.validate(ec, v.project_ec_crd())
    if "kubeconfig" in ec["status"]:
        # The project CRD may keep or drop the old design's status fields; nothing else.
        errors = [e for e in errors if "kubeconfig" not in e and "Additional properties" not in e]
    assert errors == []


@pytest.mark.parametrize(
    ("path", "kind"),
    [("xr.yaml", "XTestPlatformCluster"), ("xr-teardown.yaml", "XTestPlatformCluster")],
)
def test_example_xr_validates_against_the_generated_xrd(path: str, kind: str) -> None:
    xr = _read(ROOT / "examples" / path)
    assert crdschema.validate(xr, v.xr_crd(v.project_xrd(kind), xr["apiVersion"])) == []


def test_example_v2_xr_validates_against_the_generated_v2_xrd() -> None:
    xr = _read(ROOT / "examples" / "xr-v2.yaml")
    xrd = v.project_xrd("TestPlatformCluster")
    assert crdschema.validate(xr, v.xr_crd(xrd, xr["apiVersion"])) == []


def test_example_claim_validates_against_the_generated_xrd() -> None:
    claim = _read(ROOT / "examples" / "claim.yaml")
    xrd = v.project_xrd("XTestPlatformCluster")
    assert crdschema.validate(claim, v.claim_crd(xrd, claim["apiVersion"])) == []


UPSTREAM_XRD = "upstream/xtestplatformclusters.ci.openshift.org.xrd.yaml"


def _upstream_xrd() -> dict[str, Any]:
    return yaml.safe_load(shared_file(UPSTREAM_XRD).read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", ["xr.yaml", "xr-teardown.yaml"])
def test_example_xr_is_accepted_by_the_production_xrd(path: str) -> None:
    xr = _read(ROOT / "examples" / path)
    assert crdschema.validate(xr, v.xr_crd(_upstream_xrd(), xr["apiVersion"])) == []


def test_example_claim_is_accepted_by_the_production_xrd() -> None:
    claim = _read(ROOT / "examples" / "claim.yaml")
    assert crdschema.validate(claim, v.claim_crd(_upstream_xrd(), claim["apiVersion"])) == []


def test_production_xrd_would_prune_the_status_the_function_writes(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    # Why the generated XRD must declare status: upstream's has none, so phase would vanish.
    xr = {**_read(ROOT / "examples" / "xr.yaml"), "status": rendered["ready"][0]["status"]}
    errors = crdschema.validate(xr, v.xr_crd(_upstream_xrd(), xr["apiVersion"]))
    assert any("'phase'" in e for e in errors), errors


# Rendered output ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_rendered_objects_validate_against_provider_kubernetes(
    case: examples.Case, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    for doc in _composed(rendered[case.name]):
        if doc["kind"] == "Object":
            assert v.object_errors(doc) == [], doc["metadata"]["name"]
        else:
            assert (doc["apiVersion"], doc["kind"], doc.get("type")) == ("v1", "Secret", "Opaque")


def _ec_manifests(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        d["spec"]["forProvider"]["manifest"]
        for d in _composed(docs)
        if d["kind"] == "Object"
        and d["spec"]["forProvider"]["manifest"]["kind"] == "EphemeralCluster"
    ]


@pytest.mark.parametrize(
    "crd", [v.UPSTREAM_EC, v.UPSTREAM_EC_OLD], ids=["current", "pre-secretRef"]
)
def test_rendered_ec_manifests_validate_against_upstream_crds(
    crd: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    schema = v.shared_crd(crd)
    manifests = [m for docs in rendered.values() for m in _ec_manifests(docs)]
    assert len(manifests) == len(CASES) - 1  # every case but no-environmentconfig
    for manifest in manifests:
        assert v.without_required_status(crdschema.validate(manifest, schema)) == []


def test_rendered_ec_manifests_validate_against_the_project_crd(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    schema = v.project_ec_crd()
    for docs in rendered.values():
        for manifest in _ec_manifests(docs):
            assert v.without_required_status(crdschema.validate(manifest, schema)) == []


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_rendered_xr_validates_against_the_generated_xrd(
    case: examples.Case, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    source = _read(ROOT / case.xr)
    stored = {**copy.deepcopy(source), "status": rendered[case.name][0]["status"]}
    xrd = v.project_xrd(source["kind"])
    assert crdschema.validate(stored, v.xr_crd(xrd, source["apiVersion"])) == []


# The checks can fail ------------------------------------------------------------------------


def test_schema_checks_catch_bad_artefacts(rendered: dict[str, list[dict[str, Any]]]) -> None:
    obj = copy.deepcopy(_composed(rendered["ready"])[1])
    obj["spec"]["readiness"]["policy"] = "WhenTheMoonIsFull"
    assert v.object_errors(obj) != []
    manifest = copy.deepcopy(_ec_manifests(rendered["ready"])[0])
    manifest["spec"]["ciOperator"]["releases"]["latest"]["candidate"]["relative"] = "one"
    assert (
        v.without_required_status(crdschema.validate(manifest, v.shared_crd(v.UPSTREAM_EC))) != []
    )
    comp = yaml.safe_load(
        (ROOT / "compositions" / "testplatform-ephemeral-cluster.yaml").read_text()
    )
    comp["spec"]["mode"] = "Sometimes"
    assert crdschema.validate(comp, v.shared_crd(v.COMPOSITION_CRD)) != []


def test_generated_xrd_checks_can_fail(rendered: dict[str, list[dict[str, Any]]]) -> None:
    xr = {**_read(ROOT / "examples" / "xr.yaml"), "status": rendered["ready"][0]["status"]}
    crd = v.xr_crd(v.project_xrd("XTestPlatformCluster"), xr["apiVersion"])
    assert crdschema.validate(xr, crd) == []
    xr["status"] = {**xr["status"], "kubeconfig": "x"}  # undeclared: would be pruned
    assert crdschema.validate(xr, crd) != []
    claim = _read(ROOT / "examples" / "claim.yaml")
    claim["spec"]["ciOperator"]["releases"]["latest"]["candidate"]["relative"] = "one"
    claim_crd = v.claim_crd(v.project_xrd("XTestPlatformCluster"), claim["apiVersion"])
    assert crdschema.validate(claim, claim_crd) != []
