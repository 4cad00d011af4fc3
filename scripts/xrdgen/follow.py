"""`xrd-gen follow`: take a new upstream CRD into `crd/`, regenerate `xrd/`, say what it breaks.

This is the only code that rewrites `crd/` (the xrd-upstream workflow runs it on GitHub; the
tests run it on temporary copies). Everything is read, checked and generated in memory first:
a bad upstream file (not YAML, not the same CRD, not structural, or one the generator refuses)
is a one-line error and nothing is written. Only then are the CRD, the stale XRDs and, last,
the pin in the config written, so an interrupted run is simply repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts import crdschema
from scripts.xrdgen import compat, config, crdtext, source, sync, upstream
from scripts.xrdgen.files import write_atomic
from scripts.xrdgen.options import GenError


@dataclass
class XRDUpdate:
    """One generated XRD the new CRD changes: its classified changes and its file diff."""

    path: Path
    changes: list[compat.Change] | None  # None: a new file, nothing to compare with
    diff: str


@dataclass
class Outcome:
    """What following upstream found (and, unless checking, wrote)."""

    block: upstream.Upstream
    fetched: upstream.Fetched
    changed: bool = False
    crd_changes: list[compat.Change] = field(default_factory=list)
    crd_diff: str = ""
    xrds: list[XRDUpdate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    undescribed: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def xrd_changes(self) -> list[compat.Change]:
        return [c for x in self.xrds for c in x.changes or []]

    @property
    def changes(self) -> list[compat.Change]:
        """The CRD's changes, then every XRD's: what the verdict sums up."""
        return [*self.crd_changes, *self.xrd_changes]

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)


def _upstream_crd(fetched: upstream.Fetched, name: str, where: str) -> dict[str, Any]:
    """The upstream file as a CRD, refusing anything `crd/` could not become."""
    try:
        text = fetched.data.decode("utf-8")
    except UnicodeDecodeError:
        raise GenError(f"{where}: not UTF-8 text") from None
    docs = [d for d in source.parse_documents(text, where) if d]
    crd = source.choose_crd(fetched.path, docs, None)
    if crd["metadata"]["name"] != name:
        raise GenError(f"{where}: CRD {crd['metadata']['name']}, but crd/ holds {name}")
    for version in crd["spec"].get("versions") or []:
        if not isinstance(version, dict):
            raise GenError(f"{where}: spec.versions: expected a list of versions")
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        problems = crdschema.structural_problems(schema)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise GenError(
                f"{where}: version {version.get('name')}: not a structural schema: "
                f"{problems[0]}{more}"
            )
    source.choose_version(fetched.path, crd, None)  # a storage version with a schema
    return crd


def follow(config_path: Path, src: Path, commit: str | None, *, write: bool) -> Outcome:
    """Compare the upstream file at `src` with the pin; when it differs, merge it into the
    local CRD, regenerate every XRD and classify both changes. `write=False` only reports."""
    cfg = config.load(config_path)
    if cfg.upstream is None:
        raise GenError(f"{config_path}: no upstream block, so nothing says where the CRD is from")
    block = cfg.upstream
    if not any(e.crd.resolve() == block.crd.resolve() for e in cfg.entries):
        raise GenError(f"{config_path}: upstream.crd {block.crd} is the crd of no xrds entry")
    fetched = upstream.fetch(block, src, commit)
    outcome = Outcome(block=block, fetched=fetched)
    if fetched.sha256 == block.sha256:
        return outcome
    outcome.changed = True
    ours = source.choose_crd(block.crd, source.read_documents(block.crd), None)
    where = f"upstream {block.repository}@{fetched.commit[:12]} {block.path}"
    theirs = _upstream_crd(fetched, ours["metadata"]["name"], where)
    merged, outcome.undescribed = crdtext.merge(theirs, ours)
    head = crdtext.header(
        ours["spec"]["names"]["kind"], block.repository, block.path, cfg.path.name
    )
    new_text = crdtext.render(merged, head)
    outcome.crd_changes = compat.diff_documents(ours, merged)
    # The CRD diff compares canonical renderings: hand formatting of the old file is no change.
    outcome.crd_diff = sync.unified(block.crd, crdtext.render(ours, head), new_text)
    try:
        planned, outcome.notes = sync.plan(cfg, {block.crd.resolve(): merged})
    except GenError as err:
        raise GenError(f"{where}: {err}") from None
    for item in planned:
        if item.stale:
            diff = sync.unified(item.entry.output, item.old, item.generated.text)
            outcome.xrds.append(XRDUpdate(item.entry.output, item.changes(), diff))
    if not write:
        return outcome
    if merged != ours:  # upstream's prose alone changed: keep the file, move only the pin
        write_atomic(block.crd, new_text)
        outcome.written.append(block.crd)
    for item in planned:
        if item.stale:
            write_atomic(item.entry.output, item.generated.text)
            outcome.written.append(item.entry.output)
    upstream.repin(cfg.path, fetched.commit, fetched.sha256)
    outcome.written.append(cfg.path)
    return outcome
