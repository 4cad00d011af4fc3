"""The Function package metadata, the Compositions and the two Dockerfiles (GitHub, Konflux)."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
import yaml
from conftest import ROOT, shared_file
from dockerfile_parse import DockerfileParser  # type: ignore[import-untyped]  # no types
from packaging.specifiers import SpecifierSet

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


def _stages(name: str) -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, value), ARGs before FROM resolved."""
    parser = DockerfileParser(fileobj=(ROOT / name).open("rb"))
    stages: list[list[tuple[str, str]]] = []
    images = iter(parser.parent_images)
    for step in parser.structure:
        if step["instruction"] == "FROM":
            stages.append([("FROM", next(images))])
        elif stages and step["instruction"] != "COMMENT":
            stages[-1].append((step["instruction"], step["value"]))
    return stages


def _last(stage: list[tuple[str, str]], instruction: str) -> str:
    return [value for name, value in stage if name == instruction][-1]


def _runs(stages: list[list[tuple[str, str]]]) -> str:
    return "\n".join(value for stage in stages for name, value in stage if name == "RUN")


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.konflux"])
def test_image_runs_the_console_script_as_65532_on_9443(name: str) -> None:
    *_, image = _stages(name)
    assert _last(image, "USER") == "65532:65532"
    assert _last(image, "EXPOSE") == "9443"
    assert _last(image, "ENTRYPOINT") == '["/venv/bin/function-ephemeral-cluster"]'
    assert ("COPY", "--from=build /venv /venv") in image or (
        "COPY",
        "--from=venv /venv /venv",
    ) in image


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.konflux"])
def test_image_installs_the_locked_requirements_hash_checked_then_the_function(name: str) -> None:
    runs = _runs(_stages(name))
    assert re.search(r"pip install [^\n]*--require-hashes -r \S*requirements\.txt", runs)
    assert re.search(r"pip install [^\n]*--no-deps \S*(\.whl|\.)(\s|$)", runs)
    assert "function-ephemeral-cluster --help" in runs  # the console script runs at build time


def test_github_image_is_distroless_with_debian_12s_python() -> None:
    stages = _stages("Dockerfile")
    assert stages[-1][0][1].startswith("gcr.io/distroless/python3-debian12")
    # The runtime's Python is Debian 12's 3.11: the venv must be built against the same.
    assert any(stage[0][1].startswith("debian:12") for stage in stages)


def test_konflux_image_is_ubi9_python_by_digest_with_its_python_in_range() -> None:
    stages = _stages("Dockerfile.konflux")
    images = {stage[0][1] for stage in stages}
    assert len(images) == 1  # one base for both stages: the venv's interpreter exists at run time
    [image] = images
    match = re.fullmatch(
        r"registry\.access\.redhat\.com/ubi9/python-3(\d+)(-minimal)?@sha256:[0-9a-f]{64}", image
    )
    assert match, image
    minor = int(match.group(1))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(f"3.{minor}")
    assert f"/usr/bin/python3.{minor} -m venv /venv" in _runs(stages)
    assert ". /cachi2/cachi2.env" in _runs(stages)  # hermetic builds: prefetched dependencies


def test_konflux_image_labels() -> None:
    parser = DockerfileParser(fileobj=(ROOT / "Dockerfile.konflux").open("rb"))
    labels = parser.labels
    # The label set konflux-ci/crossplane-components' function images carry.
    assert set(labels) >= {
        "name",
        "version",
        "release",
        "vendor",
        "summary",
        "description",
        "io.k8s.description",
        "io.k8s.display-name",
        "com.redhat.component",
        "url",
        "distribution-scope",
    }
    assert labels["name"] == labels["com.redhat.component"] == "function-ephemeral-cluster"
    meta = _load("package/crossplane.yaml")
    assert labels["name"] == meta["metadata"]["name"]


def test_tools_distribution_ships_every_tools_package() -> None:
    """scripts/pyproject.toml lists its packages; a new subpackage must not be left out of the
    tools wheel (Dockerfile.tasks installs it)."""
    tools = tomllib.loads((ROOT / "scripts" / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert tools["package-dir"] == {"scripts": "."}
    found = {
        "scripts" + "".join(f".{part}" for part in p.parent.relative_to(ROOT / "scripts").parts)
        for p in (ROOT / "scripts").rglob("__init__.py")
    }
    assert sorted(tools["packages"]) == sorted(found)
