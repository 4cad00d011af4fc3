"""scripts.deploy.pin: `make deploy-pin` changes the one digest line and nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from scripts.deploy import __main__ as cli
from scripts.deploy import pin

NEW = "sha256:" + "0123456789abcdef" * 4
SOURCE = (ROOT / pin.FUNCTION_FILE).read_text(encoding="utf-8")


def test_only_the_digest_changes() -> None:
    new = pin.pin(SOURCE, NEW)
    changed = [(a, b) for a, b in zip(SOURCE.splitlines(), new.splitlines(), strict=True) if a != b]
    assert len(changed) == 1
    package = yaml.safe_load(new)["spec"]["package"]
    assert package == f"quay.io/konflux-ci/crossplane-components/function-ephemeral-cluster@{NEW}"


def test_the_image_can_move_too() -> None:
    new = pin.pin(SOURCE, NEW, "ghcr.io/example/function-ephemeral-cluster")
    assert yaml.safe_load(new)["spec"]["package"] == (
        f"ghcr.io/example/function-ephemeral-cluster@{NEW}"
    )


@pytest.mark.parametrize(
    ("digest", "image", "text", "message"),
    [
        ("sha256:abc", None, SOURCE, "DIGEST 'sha256:abc' is not sha256:"),
        (NEW.upper(), None, SOURCE, "is not sha256: followed by 64 lowercase hex"),
        (NEW, "quay.io/x/f:v1", SOURCE, "IMAGE 'quay.io/x/f:v1' is not an image reference"),
        (NEW, None, SOURCE.replace("@sha256:", ":v"), "found 0"),
        (NEW, None, SOURCE + SOURCE[SOURCE.index("  package:") :], "found 2"),
    ],
    ids=["short", "uppercase", "tagged-image", "no-digest-line", "two-lines"],
)
def test_refused(digest: str, image: str | None, text: str, message: str) -> None:
    with pytest.raises(pin.PinError, match=message):
        pin.pin(text, digest, image)


def test_cli_rewrites_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / pin.FUNCTION_FILE
    target.parent.mkdir(parents=True)
    shutil.copy(ROOT / pin.FUNCTION_FILE, target)
    assert cli.main(["--root", str(tmp_path), "pin", NEW]) == 0
    assert NEW in target.read_text(encoding="utf-8")
    assert NEW in capsys.readouterr().out
    assert cli.main(["--root", str(tmp_path), "pin", "sha256:nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("deploy-pin: DIGEST")
    assert "Traceback" not in err
    assert cli.main(["--root", str(tmp_path / "missing"), "pin", NEW]) == 1
    assert "cannot read" in capsys.readouterr().err
