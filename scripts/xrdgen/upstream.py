"""Where `crd/` comes from: the `upstream` block of the sync config, and reading a new upstream.

The block pins the repository, the file's path in it, the commit `crd/` was last taken from and
the sha256 of that file's bytes. `xrd-gen follow` compares a fresh copy of the file with the
digest; only a different digest is an upstream change (a later commit that leaves the file
alone is not). The copy comes from a local path, so the command runs the same on GitHub (a
sparse checkout of the repository) and in the tests (a temporary directory or file).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from pydantic import Field, ValidationError, field_validator

from scripts.xrdgen.files import write_atomic
from scripts.xrdgen.options import GenError, _Model, one_line

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
MAX_BYTES = 4 * 1024 * 1024  # a CRD is tens of KiB; anything near this is not one


class Upstream(_Model):
    """The `upstream` block: the file `crd` follows and the revision it was taken from."""

    repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    path: str
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    crd: Path

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        parts = PurePosixPath(value).parts
        if not parts or value.startswith("/") or ".." in parts:
            raise ValueError("must be a relative path inside the repository")
        return value

    def compare_url(self, commit: str) -> str:
        """GitHub's view of every upstream commit between the pin and `commit`."""
        return f"https://github.com/{self.repository}/compare/{self.commit}...{commit}"

    def file_url(self, commit: str) -> str:
        return f"https://github.com/{self.repository}/blob/{commit}/{self.path}"


def parse(raw: object, config_path: Path) -> Upstream:
    """The block as written in the config; `crd` made absolute against the config's folder."""
    if not isinstance(raw, dict):
        raise GenError(f"{config_path}: upstream: expected a mapping, found {type(raw).__name__}")
    try:
        block = Upstream.model_validate(raw)
    except ValidationError as err:
        raise GenError(one_line(err, f"{config_path}: upstream.")) from None
    return block.model_copy(update={"crd": config_path.parent / block.crd})


@dataclass(frozen=True)
class Fetched:
    """One copy of the upstream file: its bytes, their digest and the commit they are from."""

    path: Path
    data: bytes
    commit: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _git_head(folder: Path) -> str | None:
    """HEAD of a git checkout (what actions/checkout or a clone leaves), else None."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    head = done.stdout.strip()
    return head if done.returncode == 0 and _COMMIT.match(head) else None


def fetch(block: Upstream, source: Path, commit: str | None) -> Fetched:
    """Read the upstream file from `source`: the file itself, or a directory standing in for
    the repository (the file at `block.path` below it). The commit is `commit`, else the HEAD
    of `source` when it is a git checkout."""
    file = source / block.path if source.is_dir() else source
    if source.is_dir() and not file.is_file():
        raise GenError(f"--from {source}: no {block.path} in this checkout of {block.repository}")
    if commit is None and source.is_dir():
        commit = _git_head(source)
    if commit is None:
        raise GenError(
            f"--commit: required when --from {source} is not a git checkout "
            "(the pin records which upstream commit crd/ comes from)"
        )
    if not _COMMIT.match(commit):
        raise GenError(f"--commit {commit!r}: expected a full 40-character hexadecimal commit")
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as err:
        raise GenError(f"--from {file}: cannot read: {err.strerror or err}") from None
    if len(data) > MAX_BYTES:
        raise GenError(f"--from {file}: larger than {MAX_BYTES} bytes, not a CRD")
    return Fetched(path=file, data=data, commit=commit)


def repin(config_path: Path, commit: str, digest: str) -> None:
    """Rewrite the pin's `commit` and `sha256` in place, keeping every comment and the layout
    of the rest of the config (a YAML round trip would drop the comments)."""
    text = config_path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    inside = False
    done: set[str] = set()
    for i, line in enumerate(lines):
        if re.match(r"^[^\s#]", line):
            inside = line.startswith("upstream:")
            continue
        match = re.match(r"^(\s+)(commit|sha256):\s*\S+(\s*#.*)?$", line.rstrip("\n"))
        if inside and match and match.group(2) not in done:
            key = match.group(2)
            value = commit if key == "commit" else digest
            if yaml.safe_load(value) != value:  # an all-digit commit would read as a number
                value = f'"{value}"'
            lines[i] = f"{match.group(1)}{key}: {value}{match.group(3) or ''}\n"
            done.add(key)
    if done != {"commit", "sha256"}:
        raise GenError(f"{config_path}: upstream: commit and sha256 must each be on a line")
    write_atomic(config_path, "".join(lines))
