"""scripts/package_stream.py: the Konflux image's /package.yaml, assembled as the Dockerfile does.

The stream must be what Crossplane accepts as a Function package (crossplane/crossplane,
contributing/specifications/xpkg.md, "Function Package Requirements"): exactly one
`Function.meta.pkg.crossplane.io` (here validated against its real schema in ../shared) and
otherwise only CustomResourceDefinitions, the input types; each CRD one Kubernetes would take.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import validation as v
import yaml
from conftest import ROOT
from dockerfile_parse import DockerfileParser  # type: ignore[import-untyped]  # no types

from scripts import crdschema, package_stream

META_SCHEMA = "schemas/crossplane/meta.pkg.crossplane.io_functions.yaml"
CRD_API = "apiextensions.k8s.io/v1"


def crd_problems(doc: dict[str, Any]) -> list[str]:
    """Why Kubernetes would refuse `doc` as a CustomResourceDefinition."""
    name = (doc.get("metadata") or {}).get("name")
    if (doc.get("apiVersion"), doc.get("kind")) != (CRD_API, "CustomResourceDefinition"):
        return [f"{name}: {doc.get('apiVersion')} {doc.get('kind')} is not a CRD"]
    spec = doc.get("spec") or {}
    names = spec.get("names") or {}
    problems = []
    if name != f"{names.get('plural')}.{spec.get('group')}":
        problems.append(f"{name}: metadata.name is not <spec.names.plural>.<spec.group>")
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        problems.append(f"{name}: spec.scope {spec.get('scope')!r}")
    versions = spec.get("versions") or []
    if [bool(ver.get("storage")) for ver in versions].count(True) != 1:
        problems.append(f"{name}: not exactly one storage version")
    for ver in versions:
        schema = (ver.get("schema") or {}).get("openAPIV3Schema")
        if schema is None:
            problems.append(f"{name}: version {ver.get('name')} has no openAPIV3Schema")
            continue
        problems += [f"{name}: {p}" for p in crdschema.structural_problems(schema)]
    return problems


def package_problems(stream: str, files: int, meta_crd: dict[str, Any] | None) -> list[str]:
    """Why `stream` (assembled from `files` files) is not a Function package's package.yaml.

    The Function is validated against `meta_crd` (the real meta schema) when it is given.
    """
    docs = list(yaml.safe_load_all(stream))
    problems = [] if len(docs) == files else [f"{len(docs)} documents from {files} files"]
    metas = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Function"]
    if len(metas) != 1 or docs[0] is not metas[0]:
        return [*problems, f"{len(metas)} Function documents; exactly one, first, is required"]
    if meta_crd is not None:
        problems += [f"Function: {e}" for e in crdschema.validate(metas[0], meta_crd, "v1")]
    for doc in docs[1:]:
        if not isinstance(doc, dict):
            problems.append(f"document {doc!r} is not an object")
            continue
        problems += crd_problems(doc)
    return problems


def _dockerfile_command() -> list[str]:
    """The argv of Dockerfile.konflux's RUN that writes /package.yaml (checked to be ours)."""
    parser = DockerfileParser(fileobj=(ROOT / "Dockerfile.konflux").open("rb"))
    copies = [s["value"] for s in parser.structure if s["instruction"] == "COPY"]
    assert "package ./package" in copies
    assert "scripts/package_stream.py ./" in copies
    [run] = [
        s["value"]
        for s in parser.structure
        if s["instruction"] == "RUN" and "package_stream.py" in s["value"]
    ]
    argv = shlex.split(run)
    assert argv[:2] == ["/venv/bin/python", "package_stream.py"]
    assert argv[-2:] == ["-o", "/package.yaml"]
    return argv[2:-2]


def test_the_stream_the_konflux_build_assembles_is_a_function_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _dockerfile_command()  # run from the build context, here the checkout
    monkeypatch.chdir(ROOT)
    out = tmp_path / "package.yaml"
    assert package_stream.main([*args, "-o", str(out)]) == 0
    stream = out.read_text(encoding="utf-8")
    assert stream == package_stream.assemble(ROOT / "package")
    files = len(package_stream.sources(ROOT / "package"))
    assert package_problems(stream, files, v.shared_crd(META_SCHEMA)) == []
    kinds = [d["kind"] for d in yaml.safe_load_all(stream)]
    assert kinds == ["Function", "CustomResourceDefinition"]


def test_same_bytes_as_crossplane_components_sed(tmp_path: Path) -> None:
    """konflux-ci/crossplane-components runs `sed -s '1i---' crossplane.yaml input/*.yaml`."""
    sed = shutil.which("sed") or ""
    version = sed and subprocess.run(
        [sed, "--version"], capture_output=True, text=True, check=False
    )
    if not version or "GNU" not in version.stdout:
        pytest.skip("GNU sed (what Konflux's UBI build stages have) is not here to compare with")
    root = tmp_path / "package"
    (root / "input").mkdir(parents=True)
    (root / "crossplane.yaml").write_text("kind: Function\n")
    (root / "input" / "b.yaml").write_text("kind: B")  # no trailing newline
    (root / "input" / "a.yaml").write_text("# comment\nkind: A\n")
    for case in (root, ROOT / "package"):
        files = [str(p) for p in package_stream.sources(case)]
        expected = subprocess.run(
            [sed, "-s", "1i---", *files], capture_output=True, text=True, check=True
        ).stdout
        assert package_stream.assemble(case) == expected + ("" if expected.endswith("\n") else "\n")


def _package(tmp_path: Path, *inputs: str, meta: str | None = None) -> Path:
    root = tmp_path / "package"
    (root / "input").mkdir(parents=True)
    (root / "crossplane.yaml").write_text(
        meta or (ROOT / "package" / "crossplane.yaml").read_text(encoding="utf-8")
    )
    for i, text in enumerate(inputs):
        (root / "input" / f"{i}.yaml").write_text(text)
    return root


GOOD_CRD = (
    ROOT / "package" / "input" / "ephemeralcluster.fn.ci.openshift.org_inputs.yaml"
).read_text(encoding="utf-8")
BARE_FUNCTION = "apiVersion: meta.pkg.crossplane.io/v1\nkind: Function\nmetadata: {name: f}\n"


def _crd(change: str) -> str:
    """The input CRD with one deliberate mistake."""
    crd = yaml.safe_load(GOOD_CRD)
    if change == "name":
        crd["metadata"]["name"] = "input.ephemeralcluster.fn.ci.openshift.org"
    elif change == "storage":
        crd["spec"]["versions"][0]["storage"] = False
    elif change == "structural":
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["$ref"] = "#/definitions/x"
    return yaml.safe_dump(crd)


@pytest.mark.parametrize(
    ("inputs", "meta", "expected"),
    [
        ((GOOD_CRD,), None, None),
        (("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",), None, "ConfigMap is not a"),
        ((_crd("name"),), None, "metadata.name is not"),
        ((_crd("storage"),), None, "storage version"),
        ((_crd("structural"),), None, "$ref is not allowed"),
        ((BARE_FUNCTION,), None, "2 Function documents"),
        ((GOOD_CRD,), BARE_FUNCTION + "spec: {nope: 1}\n", "Function: spec"),
    ],
    ids=[
        "good",
        "configmap",
        "crd-name",
        "no-storage",
        "non-structural",
        "two-functions",
        "bad-meta",
    ],
)
def test_problems_are_named(
    tmp_path: Path, inputs: tuple[str, ...], meta: str | None, expected: str | None
) -> None:
    meta_crd = v.shared_crd(META_SCHEMA) if meta else None  # only "bad-meta" needs ../shared
    root = _package(tmp_path, *inputs, meta=meta)
    stream = package_stream.assemble(root)
    problems = package_problems(stream, len(package_stream.sources(root)), meta_crd)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_missing_package_root_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert package_stream.main([str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("package_stream: error: ")
    assert err.count("\n") == 1
    assert "crossplane.yaml" in err
