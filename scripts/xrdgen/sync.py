"""`xrd-gen sync [--check]`: regenerate every XRD of the config, or prove none is stale.

Everything is generated in memory first, so a bad entry fails the run before a single file is
written. `--check` writes nothing: it prints a unified diff per stale file and reports files
xrd-gen generated earlier that the config no longer declares (a renamed output would otherwise
leave its old XRD behind, still applied by whoever globs the directory).
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from scripts.xrdgen.assemble import GENERATED_MARK, HEADER_LINES, generate
from scripts.xrdgen.config import Config
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


@dataclass
class Report:
    """What a sync found or did, for the CLI to print and turn into an exit status."""

    stale: list[Path] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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


def write_atomic(path: Path, text: str) -> None:
    """Atomic replace: a reader (or a crash) never sees half an XRD."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except OSError as err:
        raise GenError(f"{path}: cannot write: {err.strerror or err}") from None


def run(config: Config, *, check: bool, out: TextIO) -> Report:
    """Regenerate (or, with `check`, diff) every entry; unified diffs go to `out`."""
    report = Report()
    planned: list[tuple[Path, str]] = []
    hint = advice(config)
    for i, entry in enumerate(config.entries):
        try:
            generated = generate(entry, output=entry.output, advice=hint)
        except GenError as err:
            where = f"{display(config.path)}: xrds[{i}] ({entry.output.name})"
            raise GenError(f"{where}: {config_keys(str(err))}") from None
        report.notes += [f"{entry.output.name}: {note}" for note in generated.notes]
        planned.append((entry.output, generated.text))
    for path, text in planned:
        old = _current(path)
        if old == text:
            continue
        report.stale.append(path)
        if check:
            label = display(path)
            out.writelines(
                difflib.unified_diff(
                    (old or "").splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"a/{label}" if old is not None else "/dev/null",
                    tofile=f"b/{label}",
                )
            )
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
