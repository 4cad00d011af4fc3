"""Loading the source CRD: pick one CRD out of a file, one version out of the CRD.

Every failure is a `GenError` naming the file, so a wrong path or a file with several CRDs
reads as one clear line instead of a traceback.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scripts.xrdgen.options import GenError

CRD_API = "apiextensions.k8s.io/v1"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


@dataclass(frozen=True)
class Source:
    """One version of one CRD: the schema the XRD is derived from, and where it came from."""

    path: Path
    crd: dict[str, Any]
    version: str
    schema: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.crd["metadata"]["name"])

    @property
    def kind(self) -> str:
        return str(self.crd["spec"]["names"]["kind"])

    @property
    def api_version(self) -> str:
        return f"{self.crd['spec']['group']}/{self.version}"

    def digest(self) -> str:
        """sha256 of the version's schema as canonical JSON: formatting and comments in the
        CRD file do not change it, any change to the schema does."""
        canonical = json.dumps(self.schema, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _yaml_problem(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    return f"{problem} (line {mark.line + 1})" if mark is not None else problem


def parse_documents(text: str, where: object) -> list[Any]:
    """All non-null YAML documents of `text`, or a one-line GenError naming `where`."""
    try:
        return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except yaml.YAMLError as err:
        raise GenError(f"{where}: not valid YAML: {_yaml_problem(err)}") from None


def read_documents(path: Path) -> list[Any]:
    """All YAML documents of a file, or a one-line GenError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise GenError(f"{path}: cannot read: {reason}") from None
    return parse_documents(text, path)


def _describe(doc: Any) -> str:
    if isinstance(doc, dict):
        return f"{doc.get('apiVersion')}/{doc.get('kind')}"
    return type(doc).__name__


def choose_crd(path: Path, docs: list[Any], name: str | None) -> dict[str, Any]:
    """The CRD document named `name`, or the only one; anything ambiguous is an error."""
    crds = [d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
    if not crds:
        found = ", ".join(sorted({_describe(d) for d in docs})) or "nothing"
        raise GenError(f"{path}: not a CRD: no CustomResourceDefinition document (found {found})")
    names = [str((c.get("metadata") or {}).get("name")) for c in crds]
    if name is not None:
        if name not in names:
            raise GenError(f"{path}: no CRD named {name!r} (has: {', '.join(names)})")
        crd = crds[names.index(name)]
    elif len(crds) > 1:
        raise GenError(
            f"{path}: {len(crds)} CRDs ({', '.join(names)}) and no way to choose: pass --crd-name"
        )
    else:
        crd = crds[0]
    if crd.get("apiVersion") != CRD_API:
        raise GenError(f"{path}: CRD apiVersion {crd.get('apiVersion')!r} is not {CRD_API}")
    spec = crd.get("spec")
    if (
        not isinstance(spec, dict)
        or not isinstance(spec.get("names"), dict)
        or not spec["names"].get("kind")
        or not spec.get("group")
        or not isinstance((crd.get("metadata") or {}).get("name"), str)
    ):
        raise GenError(f"{path}: not a CRD: metadata.name, spec.group or spec.names.kind missing")
    return crd


def choose_version(path: Path, crd: dict[str, Any], version: str | None) -> tuple[str, dict]:
    """(name, openAPIV3Schema) of `version`, or of the storage version when none is given."""
    versions = [v for v in crd["spec"].get("versions") or [] if isinstance(v, dict)]
    names = ", ".join(str(v.get("name")) for v in versions) or "none"
    if version is None:
        chosen = [v for v in versions if v.get("storage")]
        if len(chosen) != 1:
            raise GenError(
                f"{path}: CRD {crd['metadata']['name']} has no single storage version "
                f"(versions: {names}); pass --crd-version"
            )
    else:
        chosen = [v for v in versions if v.get("name") == version]
        if not chosen:
            raise GenError(
                f"{path}: CRD {crd['metadata']['name']} has no version {version!r} "
                f"(versions: {names})"
            )
    schema = (chosen[0].get("schema") or {}).get("openAPIV3Schema")
    if not isinstance(schema, dict):
        raise GenError(
            f"{path}: CRD {crd['metadata']['name']} version {chosen[0].get('name')} "
            "has no openAPIV3Schema"
        )
    return str(chosen[0]["name"]), schema


def load(path: Path, *, name: str | None = None, version: str | None = None) -> Source:
    """Read `path` and select the CRD and version the XRD will be derived from."""
    return from_document(path, read_documents(path), name=name, version=version)


def from_document(
    path: Path, docs: Any, *, name: str | None = None, version: str | None = None
) -> Source:
    """The same selection from documents already in memory (one CRD or a list of documents);
    `path` only names them in messages and headers."""
    crd = choose_crd(path, docs if isinstance(docs, list) else [docs], name)
    chosen, schema = choose_version(path, crd, version)
    return Source(path=path, crd=crd, version=chosen, schema=schema)
