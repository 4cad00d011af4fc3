"""xrd-gen against the real upstream files: the drift closed, real XRD schema, real objects.

These read ../shared (skipped with a clear message when it is absent) and the committed
xrd/ outputs, so they prove what users get, not only what the library can do.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import fnreq as f
import pytest
import yaml
from conftest import ROOT, shared_file

from scripts import crdschema
from scripts.render.xrd import composite_schema
from scripts.xrdgen import assemble
from scripts.xrdgen.options import XRDOptions

XRD_CRD = "schemas/crossplane/apiextensions.crossplane.io_compositeresourcedefinitions.yaml"
UPSTREAM_CRD = "upstream/ci.openshift.io_ephemeralclusters.yaml"
UPSTREAM_XRD = "upstream/xtestplatformclusters.ci.openshift.org.xrd.yaml"
V1 = ROOT / "xrd" / "xtestplatformclusters.ci.openshift.org.yaml"
V2 = ROOT / "xrd" / "testplatformclusters.ci.openshift.org.yaml"
EC_CRD = ROOT / "crd" / "ci.openshift.io_ephemeralclusters.yaml"
RELATIVE = ("ciOperator", "releases", "*", "release", "relative")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def version_schema(xrd: dict[str, Any]) -> dict[str, Any]:
    (version,) = xrd["spec"]["versions"]
    return version["schema"]["openAPIV3Schema"]


def node(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for part in path:
        schema = schema["additionalProperties"] if part == "*" else schema["properties"][part]
    return schema


def upstream_names(crd: Path) -> XRDOptions:
    """The names, version and keys of the hand-maintained upstream XRD."""
    return XRDOptions(
        crd=crd,
        group="ci.openshift.org",
        kind="XTestPlatformCluster",
        claim_kind="TestPlatformCluster",
        version="v1alpha1",
        connection_secret_keys=("kubeconfig", "kubeAdminPassword"),
        spec_fields=("ciOperator", "tearDownCluster"),
    )


def test_generated_from_upstream_crd_equals_upstream_xrd_plus_the_missing_field() -> None:
    upstream = load(shared_file(UPSTREAM_XRD))
    generated = assemble.generate(upstream_names(shared_file(UPSTREAM_CRD))).document
    for key in ("group", "names", "claimNames", "connectionSecretKeys"):
        assert generated["spec"][key] == upstream["spec"][key], key
    assert generated["metadata"]["name"] == upstream["metadata"]["name"]
    ours = version_schema(generated)["properties"]["spec"]
    theirs = version_schema(upstream)["properties"]["spec"]
    # The real drift: the CRD gained releases.*.release.relative, the hand-kept XRD did not.
    assert node(ours, RELATIVE)["type"] == "integer"
    with pytest.raises(KeyError):
        node(theirs, RELATIVE)
    closed = copy.deepcopy(ours)
    del node(closed, RELATIVE[:-1])["properties"]["relative"]
    assert closed == theirs


def test_a_claim_using_relative_is_accepted_only_by_the_generated_xrd() -> None:
    claim = load(shared_file("upstream/example-claim.yaml"))
    generated = assemble.generate(upstream_names(shared_file(UPSTREAM_CRD))).document
    upstream = load(shared_file(UPSTREAM_XRD))
    assert claim_errors(claim, generated) == []
    assert claim_errors(claim, upstream) == []
    claim["spec"]["ciOperator"]["releases"]["latest"] = {
        "release": {"channel": "stable", "version": "4.20", "relative": 1}
    }
    assert claim_errors(claim, generated) == []
    assert claim_errors(claim, upstream) == [
        (
            "spec.ciOperator.releases.latest.release: Additional properties are not allowed "
            "('relative' was unexpected)"
        )
    ]


def claim_errors(claim: dict[str, Any], xrd: dict[str, Any]) -> list[str]:
    """Validate a claim like the API server would against the claim CRD Crossplane derives."""
    schema = copy.deepcopy(version_schema(xrd))
    spec = schema["properties"]["spec"]
    spec["properties"]["writeConnectionSecretToRef"] = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}},
    }
    spec["properties"]["compositionRef"] = {"type": "object"}
    return crdschema.validate(claim, as_crd(xrd, schema, xrd["spec"]["claimNames"]["kind"]))


def as_crd(xrd: dict[str, Any], schema: dict[str, Any], kind: str) -> dict[str, Any]:
    """The CRD Crossplane would derive (enough of it to validate): Crossplane's base root
    properties laid over the version schema."""
    (version,) = xrd["spec"]["versions"]
    schema = copy.deepcopy(schema)
    schema["properties"].update(
        {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
        }
    )
    return {
        "spec": {
            "group": xrd["spec"]["group"],
            "names": {"kind": kind},
            "versions": [
                {"name": version["name"], "storage": True, "schema": {"openAPIV3Schema": schema}}
            ],
        }
    }


@pytest.mark.parametrize("path", [V1, V2], ids=["v1", "v2"])
def test_committed_xrds_validate_against_the_real_xrd_crd(path: Path) -> None:
    xrd_crd = crdschema.load_crd(shared_file(XRD_CRD))
    xrd = load(path)
    assert crdschema.validate(xrd, xrd_crd) == []
    assert crdschema.structural_problems(version_schema(xrd)) == []


@pytest.mark.parametrize("path", [V1, V2], ids=["v1", "v2"])
def test_committed_xrds_copy_the_project_crd_spec_and_project_its_status(path: Path) -> None:
    ec = crdschema.version_schema(crdschema.load_crd(EC_CRD))
    schema = version_schema(load(path))
    spec = schema["properties"]["spec"]
    for name in ("ciOperator", "tearDownCluster"):
        assert spec["properties"][name] == ec["properties"]["spec"]["properties"][name]
    assert spec["required"] == ["ciOperator"]
    status = schema["properties"]["status"]
    assert set(status["properties"]) == {"phase", "prowJobId", "prowJobURL"}
    assert all(p["type"] == "string" for p in status["properties"].values())
    assert "required" not in status
    columns = {c["name"]: c["jsonPath"] for c in load(path)["spec"]["versions"][0][
        "additionalPrinterColumns"
    ]}  # fmt: skip
    assert columns == {"PHASE": ".status.phase", "PROWJOB-URL": ".status.prowJobURL"}


def test_v1_xrd_matches_the_v1_composition_and_the_upstream_api() -> None:
    xrd = load(V1)
    composition = load(ROOT / "compositions" / "testplatform-ephemeral-cluster.yaml")
    ref = composition["spec"]["compositeTypeRef"]
    assert xrd["apiVersion"] == "apiextensions.crossplane.io/v1"
    assert xrd["metadata"]["name"] == "xtestplatformclusters.ci.openshift.org"
    assert ref == {"apiVersion": "ci.openshift.org/v1alpha1", "kind": "XTestPlatformCluster"}
    assert xrd["spec"]["names"]["kind"] == ref["kind"]
    assert xrd["spec"]["scope"] == "LegacyCluster"
    assert xrd["spec"]["claimNames"] == {
        "kind": "TestPlatformCluster",
        "plural": "testplatformclusters",
    }
    assert xrd["spec"]["connectionSecretKeys"] == ["kubeconfig", "kubeAdminPassword"]


def test_v2_xrd_matches_the_v2_composition() -> None:
    xrd = load(V2)
    composition = load(ROOT / "compositions" / "testplatform-ephemeral-cluster-v2.yaml")
    ref = composition["spec"]["compositeTypeRef"]
    group, version = ref["apiVersion"].split("/")
    assert xrd["apiVersion"] == "apiextensions.crossplane.io/v2"
    assert xrd["spec"]["scope"] == "Namespaced"
    assert (xrd["spec"]["group"], xrd["spec"]["versions"][0]["name"]) == (group, version)
    assert xrd["spec"]["names"] == {"kind": ref["kind"], "plural": "testplatformclusters"}
    assert xrd["metadata"]["name"] == "testplatformclusters.ci.openshift.org"
    assert "claimNames" not in xrd["spec"]
    assert "connectionSecretKeys" not in xrd["spec"]
    ref_schema = version_schema(xrd)["properties"]["spec"]["properties"][
        "writeConnectionSecretToRef"
    ]
    assert ref_schema["properties"]["name"]["type"] == "string"


@pytest.mark.parametrize(
    ("path", "xr"),
    [
        (V1, f.xr_v1(spec={"ciOperator": f.CI_OPERATOR, "tearDownCluster": True})),
        (V2, f.xr_v2()),
        (V2, f.xr_v2(secret_name=None)),
    ],
    ids=["v1", "v2", "v2-default-secret"],
)
def test_the_xrs_the_function_is_tested_with_are_valid_for_the_committed_xrds(
    path: Path, xr: dict[str, Any]
) -> None:
    xrd = load(path)
    schema = composite_schema(xrd, xr["apiVersion"])
    crd = as_crd(xrd, schema, xrd["spec"]["names"]["kind"])
    assert crdschema.validate(xr, crd) == []
    xr = copy.deepcopy(xr)
    xr["spec"]["ciOperator"]["releases"] = {"x": {"release": {"channel": "c"}}}
    assert crdschema.validate(xr, crd) == [
        "spec.ciOperator.releases.x.release: 'version' is a required property"
    ]


def test_v2_refuses_a_secret_name_that_is_not_a_dns_subdomain() -> None:
    xrd = load(V2)
    xr = f.xr_v2(secret_name="Not_A_Name")
    crd = as_crd(xrd, composite_schema(xrd, xr["apiVersion"]), "TestPlatformCluster")
    (error,) = crdschema.validate(xr, crd)
    assert error.startswith("spec.writeConnectionSecretToRef.name: 'Not_A_Name' does not match")
