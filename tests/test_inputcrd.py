"""scripts.inputcrd: package/input/ is generated from the input model and kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from function import input as fninput
from scripts import crdschema, inputcrd

CRD_FILE = ROOT / "package" / "input" / "ephemeralcluster.fn.ci.openshift.org_inputs.yaml"


def test_committed_crd_equals_the_model() -> None:
    assert CRD_FILE.read_text(encoding="utf-8") == inputcrd.render()
    assert inputcrd.main(["--check"]) == 0


def test_crd_is_structural_and_mirrors_the_model() -> None:
    crd = crdschema.load_crd(CRD_FILE)
    schema = crdschema.version_schema(crd, "v1beta1")
    assert crdschema.structural_problems(schema) == []
    fields = {field.alias for field in fninput.Input.model_fields.values()}
    assert set(schema["properties"]) == fields
    props = schema["properties"]
    assert props["credentialsMode"]["enum"] == ["secretRef", "status", "auto"]
    assert props["credentialsMode"]["default"] == "auto"
    assert props["ttl"]["properties"]["steady"]["default"] == "5m"


def test_check_fails_on_a_stale_file_and_a_run_rewrites_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "input" / CRD_FILE.name
    monkeypatch.setattr(inputcrd, "PATH", stale)
    assert inputcrd.main(["--check"]) == 1
    assert "stale; run make input-crd" in capsys.readouterr().err
    assert inputcrd.main([]) == 0
    assert stale.read_text(encoding="utf-8") == CRD_FILE.read_text(encoding="utf-8")
    assert inputcrd.main(["--check"]) == 0
