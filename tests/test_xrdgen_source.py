"""scripts.xrdgen.source: choosing the CRD and version, and one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from xrdgen_helpers import crd, write

from scripts.xrdgen import source
from scripts.xrdgen.options import GenError


def test_storage_version_by_default_and_named_version_on_request(tmp_path: Path) -> None:
    path = write(tmp_path / "crd.yaml", crd(versions=("v1alpha1", "v1")))
    assert source.load(path).version == "v1"
    chosen = source.load(path, version="v1alpha1")
    assert chosen.version == "v1alpha1"
    assert chosen.api_version == "example.org/v1alpha1"
    assert chosen.kind == "Widget"
    assert chosen.name == "widgets.example.org"


def test_the_named_crd_is_chosen_among_several(tmp_path: Path) -> None:
    path = write(
        tmp_path / "crds.yaml",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}},
        crd(),
        crd(name="gadgets.example.org", kind="Gadget"),
    )
    assert source.load(path, name="gadgets.example.org").kind == "Gadget"
    single = write(tmp_path / "one.yaml", {"kind": "Namespace"}, crd())
    assert source.load(single).kind == "Widget"  # other kinds beside one CRD are fine


@pytest.mark.parametrize(
    ("docs", "kwargs", "message"),
    [
        (
            [crd(), crd(name="gadgets.example.org", kind="Gadget")],
            {},
            "CRDs (widgets.example.org, gadgets.example.org) and no way to choose: pass --crd-name",
        ),
        ([crd()], {"name": "gadgets.example.org"}, "no CRD named 'gadgets.example.org'"),
        (
            [{"apiVersion": "v1", "kind": "ConfigMap"}],
            {},
            "not a CRD: no CustomResourceDefinition document (found v1/ConfigMap)",
        ),
        ([["a", "list"]], {}, "not a CRD: no CustomResourceDefinition document (found list)"),
        ([crd()], {"version": "v9"}, "has no version 'v9' (versions: v1)"),
        (
            [{**crd(), "apiVersion": "apiextensions.k8s.io/v1beta1"}],
            {},
            "CRD apiVersion 'apiextensions.k8s.io/v1beta1' is not apiextensions.k8s.io/v1",
        ),
        (
            [{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}],
            {},
            "not a CRD: metadata.name, spec.group or spec.names.kind missing",
        ),
    ],
    ids=["several", "unknown-name", "not-a-crd", "not-a-mapping", "version", "v1beta1", "empty"],
)
def test_unusable_files_are_one_line_errors(
    tmp_path: Path, docs: list, kwargs: dict, message: str
) -> None:
    path = write(tmp_path / "crd.yaml", *docs)
    with pytest.raises(GenError) as info:
        source.load(path, **kwargs)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_no_single_storage_version_without_a_choice(tmp_path: Path) -> None:
    doc = crd(versions=("v1alpha1", "v1"))
    doc["spec"]["versions"][1]["storage"] = False
    path = write(tmp_path / "crd.yaml", doc)
    with pytest.raises(GenError, match=r"no single storage version \(versions: v1alpha1, v1\)"):
        source.load(path)
    assert source.load(path, version="v1").version == "v1"


def test_version_without_schema(tmp_path: Path) -> None:
    doc = crd()
    del doc["spec"]["versions"][0]["schema"]
    with pytest.raises(GenError, match="version v1 has no openAPIV3Schema"):
        source.load(write(tmp_path / "crd.yaml", doc))


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(GenError, match=r"missing.yaml: cannot read: No such file or directory$"):
        source.load(tmp_path / "missing.yaml")
    with pytest.raises(GenError, match="cannot read: Is a directory"):
        source.load(tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: CustomResourceDefinition\nspec: [unclosed\n")
    with pytest.raises(GenError) as info:
        source.load(broken)
    assert "not valid YAML" in str(info.value)
    assert "(line 3)" in str(info.value)
    assert "\n" not in str(info.value)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(GenError, match=r"no CustomResourceDefinition document \(found nothing\)"):
        source.load(empty)


def test_digest_ignores_formatting_and_follows_the_schema(tmp_path: Path) -> None:
    doc = crd()
    block = write(tmp_path / "block.yaml", doc)
    flow = tmp_path / "flow.yaml"
    flow.write_text("# a comment\n" + yaml.safe_dump(doc, default_flow_style=True, sort_keys=True))
    assert source.load(block).digest() == source.load(flow).digest()
    assert len(source.load(block).digest()) == 64
    doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["description"] = (
        "changed"
    )
    assert (
        source.load(write(tmp_path / "changed.yaml", doc)).digest() != source.load(block).digest()
    )
