"""The Function package metadata, the Compositions and the Dockerfile."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from conftest import ROOT, shared_file

from function import requirements
from scripts import crdschema

COMPOSITIONS = {
    "testplatform-ephemeral-cluster": ("ci.openshift.org/v1alpha1", "XTestPlatformCluster"),
    "testplatform-ephemeral-cluster-v2": ("ci.openshift.org/v1alpha1", "TestPlatformCluster"),
}


def _load(path: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


def test_function_package_metadata() -> None:
    meta = _load("package/crossplane.yaml")
    assert meta["apiVersion"] == "meta.pkg.crossplane.io/v1"
    assert meta["kind"] == "Function"
    assert meta["metadata"]["name"] == "function-ephemeral-cluster"
    assert re.match(r"^>=v\d+\.\d+\.\d+", meta["spec"]["crossplane"]["version"])


def _minimum(constraint: str) -> tuple[int, ...]:
    match = re.match(r"^>=v(\d+)\.(\d+)\.(\d+)", constraint)
    assert match, constraint
    return tuple(int(part) for part in match.groups())


def test_crossplane_minimum_serves_the_environment_config_version_asked_for() -> None:
    """The function asks for EnvironmentConfig v1beta1, first served by Crossplane 1.18 (1.17
    serves only v1alpha1 and fails every reconcile); README says the same minimum."""
    constraint = _load("package/crossplane.yaml")["spec"]["crossplane"]["version"]
    assert requirements.ENVCFG_API_VERSION == "apiextensions.crossplane.io/v1beta1"
    assert _minimum(constraint) >= (1, 18, 0)
    major, minor, _ = _minimum(constraint)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Crossplane v{major}.{minor}" in readme
    assert "--enable-watches" in readme
    assert "provider-kubernetes v0.14" in readme


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_composition(name: str) -> None:
    doc = _load(f"compositions/{name}.yaml")
    crd = crdschema.load_crd(
        shared_file("schemas/crossplane/apiextensions.crossplane.io_compositions.yaml")
    )
    assert crdschema.validate(doc, crd) == []
    assert doc["metadata"]["name"] == name
    ref = doc["spec"]["compositeTypeRef"]
    assert (ref["apiVersion"], ref["kind"]) == COMPOSITIONS[name]
    assert doc["spec"]["mode"] == "Pipeline"
    [step] = doc["spec"]["pipeline"]
    assert step["step"] == "ephemeral-cluster"
    assert step["functionRef"] == {"name": "function-ephemeral-cluster"}


def test_dockerfile_runs_the_console_script_as_non_root_on_9443() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(stages) >= 2
    assert stages[-1].startswith("gcr.io/distroless/python3-debian12")
    assert re.search(r"^EXPOSE 9443$", text, re.MULTILINE)
    user = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert user
    assert user[-1].split(":")[0] not in ("0", "root")
    assert re.search(r'^ENTRYPOINT \["/venv/bin/function-ephemeral-cluster"\]$', text, re.MULTILINE)
    # The runtime's Python is Debian 12's 3.11: the venv must be built against the same.
    assert "debian:12" in text
