"""scripts.xrdgen.upstream: the pin in the sync config, reading an upstream copy, repinning."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, shared_file

from scripts.xrdgen import config, upstream
from scripts.xrdgen.options import GenError

BLOCK = {
    "repository": "example/widgets",
    "path": "api/widgets.yaml",
    "commit": "0123456789abcdef0123456789abcdef01234567",
    "sha256": "ab" * 32,
    "crd": "../crd/c.yaml",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"repository": "widgets"}, "upstream.repository: String should match pattern"),
        ({"path": "/etc/passwd"}, "upstream.path: Value error, must be a relative path"),
        ({"path": "a/../../b"}, "upstream.path: Value error, must be a relative path"),
        ({"commit": "abc"}, "upstream.commit: String should match pattern"),
        ({"sha256": "xyz"}, "upstream.sha256: String should match pattern"),
        ({"branch": "main"}, "upstream.branch: Extra inputs are not permitted"),
        ({"crd": None}, "upstream.crd: "),
    ],
)
def test_a_bad_block_is_one_line_naming_the_key(change: dict, message: str) -> None:
    with pytest.raises(GenError) as info:
        upstream.parse({**BLOCK, **change}, Path("xrd/xrd-gen.yaml"))
    assert str(info.value).startswith(f"xrd/xrd-gen.yaml: {message}")


def test_the_crd_path_is_relative_to_the_config() -> None:
    block = upstream.parse(BLOCK, Path("/p/xrd/xrd-gen.yaml"))
    assert block.crd == Path("/p/xrd/../crd/c.yaml")
    assert block.compare_url("f" * 40) == (
        f"https://github.com/example/widgets/compare/{BLOCK['commit']}...{'f' * 40}"
    )
    assert block.file_url("f" * 40) == (
        f"https://github.com/example/widgets/blob/{'f' * 40}/api/widgets.yaml"
    )


def test_fetch_reads_bytes_and_digests_them(tmp_path: Path) -> None:
    block = upstream.parse(BLOCK, tmp_path / "c.yaml")
    target = tmp_path / "api" / "widgets.yaml"
    target.parent.mkdir()
    target.write_bytes(b"kind: X\n")
    for source in (tmp_path, target):
        got = upstream.fetch(block, source, "f" * 40)
        assert (got.data, got.commit, got.path) == (b"kind: X\n", "f" * 40, target)
        assert got.sha256 == hashlib.sha256(b"kind: X\n").hexdigest()


def test_fetch_refuses_a_file_too_large_to_be_a_crd(tmp_path: Path) -> None:
    block = upstream.parse(BLOCK, tmp_path / "c.yaml")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (upstream.MAX_BYTES + 1))
    with pytest.raises(GenError, match="larger than"):
        upstream.fetch(block, big, "f" * 40)


CONFIG = """\
# comment kept
upstream:  # where crd/ comes from
  repository: example/widgets
  path: api/widgets.yaml
  # the pin
  commit: 0123456789abcdef0123456789abcdef01234567  # old
  sha256: {digest}
  crd: ../crd/c.yaml
defaults:
  commit: not-the-pin
xrds: []
"""


@pytest.mark.parametrize("commit", ["f" * 40, "1" * 40])
def test_repin_rewrites_only_the_pin_and_keeps_comments(tmp_path: Path, commit: str) -> None:
    path = tmp_path / "xrd-gen.yaml"
    path.write_text(CONFIG.format(digest="ab" * 32))
    upstream.repin(path, commit, "cd" * 32)
    text = path.read_text()
    value = commit if commit != "1" * 40 else f'"{commit}"'  # all digits would read as a number
    assert text == CONFIG.format(digest="cd" * 32).replace(
        f"commit: {BLOCK['commit']}  # old", f"commit: {value}  # old"
    )
    parsed: Any = yaml.safe_load(text)
    assert (parsed["upstream"]["commit"], parsed["defaults"]["commit"]) == (commit, "not-the-pin")


def test_repin_refuses_a_block_it_cannot_edit(tmp_path: Path) -> None:
    path = tmp_path / "xrd-gen.yaml"
    path.write_text("upstream: {commit: x, sha256: y}\n")
    with pytest.raises(GenError, match="commit and sha256 must each be on a line"):
        upstream.repin(path, "f" * 40, "cd" * 32)


def test_the_projects_pin_names_ci_tools_and_the_crd_it_writes() -> None:
    block = config.load(ROOT / config.DEFAULT_PATH).upstream
    assert block is not None
    assert (block.repository, block.path) == (
        "openshift/ci-tools",
        "pkg/api/ephemeralcluster/v1/ci.openshift.io_ephemeralclusters.yaml",
    )
    assert block.crd.resolve() == ROOT / "crd" / "ci.openshift.io_ephemeralclusters.yaml"
    assert block.commit.startswith("52352cd19167")  # ../shared/SOURCES.md's revision


@pytest.mark.shared
def test_the_pinned_digest_is_the_upstream_file_in_shared() -> None:
    """../shared holds ci-tools' file at the pinned commit; when a follow PR moves the pin, this
    fails until ../shared is refreshed (and so does tests/test_ec_crd.py's comparison)."""
    block = config.load(ROOT / config.DEFAULT_PATH).upstream
    assert block is not None
    data = shared_file("upstream/ci.openshift.io_ephemeralclusters.yaml").read_bytes()
    assert hashlib.sha256(data).hexdigest() == block.sha256, (
        f"../shared/upstream/ci.openshift.io_ephemeralclusters.yaml is not the file pinned in "
        f"xrd/xrd-gen.yaml (commit {block.commit}): refresh ../shared"
    )
