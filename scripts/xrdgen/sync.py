"""`xrd-gen sync [--check]`: regenerate every XRD of the config, or prove none is stale.

Everything is generated in memory first, so a bad entry fails the run before a single file is
written. `--check` writes nothing: it prints a unified diff per stale file and reports files
xrd-gen generated earlier that the config no longer declares (a renamed output would otherwise
leave its old XRD behind, still applied by whoever globs the directory).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from scripts.xrdgen import compat
from scripts.xrdgen.assemble import GENERATED_MARK, HEADER_LINES, Generated, generate
from scripts.xrdgen.config import Config, Entry
from scripts.xrdgen.files import write_atomic
from scripts.xrdgen.options import GenError

# `generate` flags in error messages, as the sync config spells them.
_CONFIG_KEYS = {
    "--spec-field": "specFields",
    "--status-field": "statusFields",
    "--connection-secret-key": "connectionSecretKeys",
    "--printer-column": "printerColumns",
    "--write-connection-secret-ref": "writeConnectionSecretToRef",
}
_FLAG = re.compile(r"--[a-z][a-z-]*")
REGENERATE = "xrd-gen sync"  # shown in headers and in --check's advice
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Report:
    """What a sync found or did, for the CLI to print and turn into an exit status."""

    stale: list[Path] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Stale files that existed: their classified schema changes (None: could not be read).
    changes: dict[Path, list[compat.Change] | None] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.stale and not self.orphans


def config_keys(message: str) -> str:
    """A `generate` error message with its flags spelled as sync config keys."""

    def key(match: re.Match[str]) -> str:
        flag = match.group(0)
        if flag in _CONFIG_KEYS:
            return _CONFIG_KEYS[flag]
        head, *rest = flag[2:].split("-")
        return head + "".join(word.capitalize() for word in rest)

    return _FLAG.sub(key, message)


def display(path: Path) -> str:
    """A path relative to the working directory when it is below it (shorter diffs)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _current(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise GenError(f"{path}: cannot read: {err}") from None


def advice(config: Config) -> str:
    """The header's DO NOT EDIT advice; naming the config also marks the files it owns."""
    return f"change the CRD or {config.path.name} and run `{REGENERATE}`."


def _orphans(config: Config) -> list[Path]:
    """Files this config generated earlier (same header, same config name) that no entry
    produces any more; files from `generate` or another config are never orphans."""
    declared = {e.output.resolve() for e in config.entries}
    owned = f"# DO NOT EDIT: {advice(config)}\n"
    found: list[Path] = []
    for folder in sorted({e.output.resolve().parent for e in config.entries}):
        for path in sorted(folder.glob("*.yaml")):
            if path.resolve() in declared or path.resolve() == config.path.resolve():
                continue
            try:
                with path.open(encoding="utf-8") as handle:
                    head = [handle.readline() for _ in range(HEADER_LINES)]
            except (OSError, UnicodeDecodeError):
                continue
            if head[0].startswith(GENERATED_MARK) and owned in head:
                found.append(path)
    return found


@dataclass
class Planned:
    """One entry generated in memory, beside what its output file holds now."""

    entry: Entry
    generated: Generated
    old: str | None

    @property
    def stale(self) -> bool:
        return self.old != self.generated.text

    def changes(self) -> list[compat.Change] | None:
        """The schema changes from the file on disk to the new XRD (empty: only the header
        changed); None when there is no file or it is not an XRD that can be read."""
        if self.old is None:
            return None
        try:
            before = yaml.load(self.old, Loader=_Loader)  # noqa: S506 (CSafeLoader: safe)
        except yaml.YAMLError:
            return None
        if not isinstance(before, dict):
            return None
        return compat.diff_documents(before, self.generated.document)


def left_out_notes(config: Config, entry: Entry, left_out: list[str]) -> list[str]:
    """Name every CRD spec field the XRD does not expose, and why (issue: a field upstream
    adds must never vanish with nothing but a new source hash to show for it)."""
    notes = []
    for name in left_out:
        reason = entry.omitted_spec_fields.get(name)
        if reason:
            why = f"{reason} (omittedSpecFields in {config.path.name})"
        else:
            listed = ", ".join(entry.spec_fields)
            why = (
                f"specFields in {config.path.name} lists only {listed}; add it there to let "
                "claims set it, or give the reason under omittedSpecFields"
            )
        notes.append(f"{entry.output.name}: spec.{name}: not forwarded to the XRD: {why}")
    notes += [
        f"{entry.output.name}: omittedSpecFields.{name}: the CRD's spec has no such field"
        for name in sorted(set(entry.omitted_spec_fields) - set(left_out))
    ]
    return notes


def plan(
    config: Config, crds: dict[Path, dict[str, Any]] | None = None
) -> tuple[list[Planned], list[str]]:
    """Generate every entry in memory (a bad entry fails before anything is written), with
    `crds` standing in for CRD files by resolved path; returns the plans and the notes."""
    planned: list[Planned] = []
    notes: list[str] = []
    hint = advice(config)
    for i, entry in enumerate(config.entries):
        crd = (crds or {}).get(entry.crd.resolve())
        try:
            generated = generate(entry, output=entry.output, advice=hint, crd=crd)
        except GenError as err:
            where = f"{display(config.path)}: xrds[{i}] ({entry.output.name})"
            raise GenError(f"{where}: {config_keys(str(err))}") from None
        notes += [f"{entry.output.name}: {note}" for note in generated.notes]
        notes += left_out_notes(config, entry, generated.left_out)
        planned.append(Planned(entry, generated, _current(entry.output)))
    return planned, notes


def unified(path: Path, old: str | None, new: str) -> str:
    """A unified diff of one file, `a/` and `b/` relative to the working directory."""
    label = display(path)
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{label}" if old is not None else "/dev/null",
            tofile=f"b/{label}",
        )
    )


def run(config: Config, *, check: bool, out: TextIO) -> Report:
    """Regenerate (or, with `check`, diff) every entry; unified diffs go to `out`, and each
    stale file's schema changes are classified (compat) for the CLI to print."""
    report = Report()
    planned, report.notes = plan(config)
    for item in planned:
        path, text = item.entry.output, item.generated.text
        if not item.stale:
            continue
        report.stale.append(path)
        if item.old is not None:
            report.changes[path] = item.changes()
        if check:
            out.write(unified(path, item.old, text))
        else:
            write_atomic(path, text)
            report.written.append(path)
    report.orphans = _orphans(config)
    if not check:
        for path in report.orphans:
            try:
                path.unlink()
            except OSError as err:
                raise GenError(f"{path}: cannot remove: {err.strerror or err}") from None
    return report
