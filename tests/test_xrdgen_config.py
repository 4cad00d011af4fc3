"""scripts.xrdgen.config: the sync config's format, defaults merge, paths and one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from scripts.xrdgen import config
from scripts.xrdgen.options import GenError


def write_config(tmp_path: Path, body: Any) -> Path:
    path = tmp_path / "xrd" / "xrd-gen.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(body if isinstance(body, str) else yaml.safe_dump(body))
    return path


ENTRY = {"output": "x.yaml", "kind": "XWidget", "group": "example.org", "crd": "../c.yaml"}


def test_defaults_merge_under_entries_and_paths_follow_the_config(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        {
            "defaults": {"crd": "../c.yaml", "group": "example.org", "statusFields": ["phase"]},
            "xrds": [
                {"output": "x.yaml", "kind": "XWidget", "claimKind": "Gizmo"},
                {"output": "w.yaml", "kind": "Widget", "api": "v2", "statusFields": []},
            ],
        },
    )
    loaded = config.load(path)
    first, second = loaded.entries
    assert first.crd == tmp_path / "xrd" / ".." / "c.yaml"
    assert first.output == tmp_path / "xrd" / "x.yaml"
    assert (first.claim_kind, first.status_fields, first.api) == ("Gizmo", ("phase",), "v1")
    assert (second.api, second.status_fields) == ("v2", ())


def test_camel_case_keys_map_to_every_option(tmp_path: Path) -> None:
    entry = {
        **ENTRY,
        "crdName": "c",
        "crdVersion": "v1",
        "plural": "xw",
        "claimPlural": "ws",
        "version": "v2",
        "scope": "LegacyCluster",
        "connectionSecretKeys": ["a"],
        "specFields": ["s"],
        "writeConnectionSecretToRef": False,
        "printerColumns": [{"name": "P", "jsonPath": ".status.p", "priority": 1}],
        "description": "d",
    }
    (loaded,) = config.load(write_config(tmp_path, {"xrds": [entry]})).entries
    assert loaded.crd_name == "c"
    assert loaded.claim_plural == "ws"
    assert loaded.connection_secret_keys == ("a",)
    assert loaded.printer_columns[0].json_path == ".status.p"
    assert loaded.printer_columns[0].priority == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]\n", "expected a mapping, found list"),
        ("a: 1\n---\nb: 2\n", "expected one YAML document, found 2"),
        ({"xrd": []}, "unknown key(s) xrd (expected: defaults, xrds, upstream)"),
        ({"xrds": []}, "xrds: expected a non-empty list"),
        ({"xrds": ["x"]}, "xrds[0]: expected a mapping, found str"),
        ({"defaults": [], "xrds": [ENTRY]}, "defaults: expected a mapping"),
        ({"xrds": [{**ENTRY, "kindd": "X"}]}, "xrds[0].kindd: Extra inputs are not permitted"),
        (
            {"xrds": [{k: v for k, v in ENTRY.items() if k != "kind"}]},
            "xrds[0].kind: Field required",
        ),
        ({"xrds": [{**ENTRY, "api": "v3"}]}, "xrds[0].api: Input should be 'v1' or 'v2'"),
        ({"xrds": [{**ENTRY, "specFields": "ciOperator"}]}, "xrds[0].specFields: Input should be"),
        (
            {"xrds": [{**ENTRY, "printerColumns": [{"name": "P"}]}]},
            "xrds[0].printerColumns[0].jsonPath: Field required",
        ),
        ({"xrds": [ENTRY, {**ENTRY, "plural": "o"}]}, "xrds[1].output x.yaml: used twice"),
        (
            {"xrds": [ENTRY, {**ENTRY, "output": "y.yaml"}]},
            "xrds[1]: XRD xwidgets.example.org is generated twice",
        ),
    ],
)
def test_bad_configs_are_one_line_errors_naming_the_key(
    tmp_path: Path, body: Any, message: str
) -> None:
    path = write_config(tmp_path, body)
    with pytest.raises(GenError) as info:
        config.load(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_missing_config_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(GenError, match="cannot read: No such file or directory"):
        config.load(tmp_path / "nope.yaml")


def test_the_projects_config_declares_the_v1_and_v2_xrds() -> None:
    loaded = config.load(ROOT / config.DEFAULT_PATH)
    by_output = {e.output.name: e for e in loaded.entries}
    legacy = by_output["xtestplatformclusters.ci.openshift.org.yaml"]
    modern = by_output["testplatformclusters.ci.openshift.org.yaml"]
    assert (legacy.api, legacy.kind, legacy.claim_kind) == (
        "v1",
        "XTestPlatformCluster",
        "TestPlatformCluster",
    )
    assert legacy.connection_secret_keys == ("kubeconfig", "kubeAdminPassword")
    assert (modern.api, modern.kind, modern.scope) == ("v2", "TestPlatformCluster", "Namespaced")
    assert modern.write_connection_secret_to_ref is True
    for entry in loaded.entries:
        assert entry.spec_fields == ("ciOperator", "tearDownCluster")
        assert entry.status_fields == ("phase", "prowJobId", "prowJobURL")
        assert entry.crd.resolve() == (ROOT / "crd" / "ci.openshift.io_ephemeralclusters.yaml")
