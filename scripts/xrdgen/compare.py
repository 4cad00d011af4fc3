"""`xrd-gen diff OLD NEW`: classify every schema change between two XRDs, or between the XRDs
the sync config derives from two CRDs (a CRD change matters through what claims see)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.xrdgen import compat, config, source, sync
from scripts.xrdgen.options import GenError

XRD_APIS = ("apiextensions.crossplane.io/v1", "apiextensions.crossplane.io/v2")
XRD_KIND = "CompositeResourceDefinition"
CRD_KIND = "CustomResourceDefinition"


@dataclass
class Comparison:
    """The classified changes, and the generator's notes about the new CRD (fields left out)."""

    changes: list[compat.Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)


def _load(path: Path) -> tuple[str, dict[str, Any]]:
    """("XRD" | "CRD", the document) of a file holding exactly one of them."""
    docs = source.read_documents(path)
    kinds = [d.get("kind") if isinstance(d, dict) else None for d in docs]
    found = [k for k in kinds if k in (XRD_KIND, CRD_KIND)]
    if len(found) != 1:
        raise GenError(f"{path}: expected one XRD or one CRD, found {len(found)}")
    if found[0] == CRD_KIND:
        return "CRD", source.choose_crd(path, docs, None)
    doc = docs[kinds.index(XRD_KIND)]
    if doc.get("apiVersion") not in XRD_APIS:
        raise GenError(f"{path}: XRD apiVersion {doc.get('apiVersion')!r} is not one of {XRD_APIS}")
    return "XRD", doc


def _through_config(
    old: dict[str, Any], new: dict[str, Any], paths: tuple[Path, Path], config_path: Path
) -> Comparison:
    cfg = config.load(config_path)
    name = new["metadata"]["name"]
    # Only entries that derive from this CRD (by name, when the entry names one).
    entries = tuple(e for e in cfg.entries if e.crd_name in (None, name))
    if not entries:
        raise GenError(f"{config_path}: no entry derives an XRD from CRD {name}")
    cfg = config.Config(path=cfg.path, entries=entries, upstream=cfg.upstream)
    planned = []
    for label, doc, path in (("OLD", old, paths[0]), ("NEW", new, paths[1])):
        try:
            planned.append(sync.plan(cfg, {e.crd.resolve(): doc for e in entries}))
        except GenError as err:
            raise GenError(f"{label} {path}: {err}") from None
    (before, _), (after, notes) = planned
    out = Comparison(notes=notes)
    for was, now in zip(before, after, strict=True):
        out.changes += compat.diff_documents(was.generated.document, now.generated.document)
    return out


def compare(old_path: Path, new_path: Path, config_path: Path | None) -> Comparison:
    """Every change from OLD to NEW; CRDs go through the sync config (default xrd/xrd-gen.yaml)."""
    old_kind, old = _load(old_path)
    new_kind, new = _load(new_path)
    if old_kind != new_kind:
        raise GenError(
            f"OLD {old_path} is a{'n' if old_kind == 'XRD' else ''} {old_kind} and NEW "
            f"{new_path} a{'n' if new_kind == 'XRD' else ''} {new_kind}: compare two XRDs or "
            "two CRDs"
        )
    if old_kind == "XRD":
        return Comparison(changes=compat.diff_documents(old, new))
    path = config_path or config.DEFAULT_PATH
    if config_path is None and not path.is_file():
        raise GenError(
            f"comparing CRDs derives their XRDs through the sync config, and {path} is not "
            "here: run from the project root or pass --config"
        )
    return _through_config(old, new, (old_path, new_path), path)
