"""The sync config (`xrd/xrd-gen.yaml`): which XRDs to generate, from what, into which files.

Format (camelCase keys; every key of an entry is a `generate` flag, see docs/xrd-gen.md)::

    defaults: {crd: ../crd/x.yaml, group: example.org, ...}   # merged under every entry
    xrds:
      - output: xwidgets.example.org.yaml
        kind: XWidget
        ...

    upstream: {repository: o/r, path: p/crd.yaml, commit: <sha>, sha256: <hex>, crd: ../crd/x.yaml}

Paths (`crd`, `output`) are relative to the config file, so `xrd-gen sync` gives the same
result from any working directory. `upstream` (optional) says where the CRD file comes from
(see ``upstream``); an entry's `omittedSpecFields` says why a CRD spec field is not exposed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from scripts.xrdgen import upstream
from scripts.xrdgen.options import GenError, XRDOptions, one_line
from scripts.xrdgen.source import read_documents

DEFAULT_PATH = Path("xrd/xrd-gen.yaml")
_TOP_KEYS = ("defaults", "xrds", "upstream")


class Entry(XRDOptions):
    """One XRD to keep in sync: the generate options plus the file it lives in."""

    output: Path
    # CRD spec fields deliberately not exposed (with `specFields`), each with the reason sync
    # repeats whenever it notes the field; a field neither listed nor explained is noted too.
    omitted_spec_fields: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """A parsed config: entries with paths made absolute against the config's directory."""

    path: Path
    entries: tuple[Entry, ...]
    upstream: upstream.Upstream | None = None


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GenError(f"{what}: expected a mapping, found {type(value).__name__}")
    return value


def load(path: Path) -> Config:
    """Parse and check the whole config before anything is generated or written."""
    docs = read_documents(path)
    if len(docs) != 1:
        raise GenError(f"{path}: expected one YAML document, found {len(docs)}")
    top = _mapping(docs[0], str(path))
    unknown = sorted(set(top) - set(_TOP_KEYS))
    if unknown:
        raise GenError(
            f"{path}: unknown key(s) {', '.join(unknown)} (expected: {', '.join(_TOP_KEYS)})"
        )
    raw_defaults = top.get("defaults")
    defaults = _mapping({} if raw_defaults is None else raw_defaults, f"{path}: defaults")
    raw = top.get("xrds")
    if not isinstance(raw, list) or not raw:
        raise GenError(f"{path}: xrds: expected a non-empty list of XRDs to generate")
    base = path.parent
    entries: list[Entry] = []
    for i, item in enumerate(raw):
        merged = {**defaults, **_mapping(item, f"{path}: xrds[{i}]")}
        try:
            entry = Entry.model_validate(merged)
        except ValidationError as err:
            raise GenError(one_line(err, f"{path}: xrds[{i}].")) from None
        entries.append(
            entry.model_copy(update={"crd": base / entry.crd, "output": base / entry.output})
        )
    _unique(path, entries)
    _omissions(path, entries)
    block = upstream.parse(top["upstream"], path) if "upstream" in top else None
    return Config(path=path, entries=tuple(entries), upstream=block)


def _omissions(path: Path, entries: list[Entry]) -> None:
    for i, entry in enumerate(entries):
        for name, reason in entry.omitted_spec_fields.items():
            if name in entry.spec_fields:
                raise GenError(
                    f"{path}: xrds[{i}].omittedSpecFields.{name}: also listed in specFields"
                )
            if not reason.strip():
                raise GenError(f"{path}: xrds[{i}].omittedSpecFields.{name}: give the reason")


def _unique(path: Path, entries: list[Entry]) -> None:
    outputs = [e.output.resolve() for e in entries]
    for i, out in enumerate(outputs):
        if outputs.index(out) != i:
            raise GenError(f"{path}: xrds[{i}].output {entries[i].output.name}: used twice")
    names = [(e.plural or f"{e.kind.lower()}s", e.group) for e in entries]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise GenError(f"{path}: xrds[{i}]: XRD {'.'.join(name)} is generated twice")
