"""Reading the render inputs from files and directories (YAML streams, like `crossplane render`)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from scripts.render.errors import RenderError

#: File suffixes read from a directory (crossplane reads .yaml/.yml; JSON is YAML too).
SUFFIXES = (".yaml", ".yml", ".json")
FUNCTION_API_VERSIONS = ("pkg.crossplane.io/v1", "pkg.crossplane.io/v1beta1")


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings, as Kubernetes' YAML-to-JSON does."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _json_key(key: Any) -> str:
    """Map keys become strings, as sigs.k8s.io/yaml does when it converts YAML to JSON."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {_json_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def parse_yaml(text: str, origin: str) -> list[Any]:
    """Parse a (multi-document) YAML or JSON text; empty documents are dropped."""
    try:
        docs = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RenderError(f"cannot parse YAML in {origin}{where}: {problem}") from exc
    return [_jsonable(d) for d in docs if d is not None]


def files_in(path: Path) -> list[Path]:
    """The path itself, or a directory's YAML/JSON files (non-recursive, sorted by name)."""
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in SUFFIXES)
        if not found:
            raise RenderError(f"no YAML files found in {path} (.yaml, .yml or .json)")
        return found
    return [path]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RenderError(f"cannot read {path}: no such file or directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise RenderError(f"cannot read {path}: {reason}") from None


def read_stream(path: str | Path) -> list[dict]:
    """All documents of a file or directory; each must be a mapping."""
    out: list[dict] = []
    for file in files_in(Path(path)):
        for index, doc in enumerate(parse_yaml(_read(file), str(file)), start=1):
            if not isinstance(doc, dict):
                raise RenderError(f"{file}: document {index} is not a mapping")
            out.append(doc)
    return out


def read_one(path: str | Path, what: str) -> dict:
    """Exactly one document (the XR, the Composition, the XRD)."""
    docs = read_stream(path)
    if len(docs) != 1:
        raise RenderError(f"{path}: expected exactly one {what} document, found {len(docs)}")
    return docs[0]


def describe(doc: Mapping[str, Any]) -> str:
    """``Kind/name`` of a manifest, for error messages."""
    name = (doc.get("metadata") or {}).get("name", "")
    return f"{doc.get('kind', '<no kind>')}/{name}"


def load_functions(path: str | Path) -> list[dict]:
    """Function manifests (pkg.crossplane.io v1 or v1beta1)."""
    functions = read_stream(path)
    for fn in functions:
        if fn.get("apiVersion") not in FUNCTION_API_VERSIONS or fn.get("kind") != "Function":
            raise RenderError(f"{path}: not a function: {describe(fn)}")
        if not (fn.get("metadata") or {}).get("name"):
            raise RenderError(f"{path}: a Function has no metadata.name")
    return functions


def load_observed(path: str | Path) -> list[dict]:
    """Observed composed resources (keyed later by their composition-resource-name)."""
    return read_stream(path)


def load_required(paths: Iterable[str | Path]) -> list[dict]:
    """Required (extra) resources from every given file or directory."""
    out: list[dict] = []
    for path in paths:
        out.extend(read_stream(path))
    return out


def decode_secret_data(secret: Mapping[str, Any]) -> dict[str, bytes]:
    """A Secret's ``data`` decoded from base64 (``stringData`` is ignored, as crossplane does)."""
    decoded: dict[str, bytes] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            decoded[key] = base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise RenderError(
                f"Secret {describe(secret)}: data.{key} is not valid base64"
            ) from None
    return decoded


def load_credentials(path: str | Path) -> list[dict]:
    """Secrets that pipeline steps may reference as function credentials."""
    secrets = read_stream(path)
    for secret in secrets:
        if secret.get("kind") != "Secret":
            raise RenderError(f"{path}: not a Secret: {describe(secret)}")
        decode_secret_data(secret)
    return secrets


def split_pair(text: str) -> tuple[str, str]:
    """``key=value`` for --context-values and --context-files."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def parse_context(values: Iterable[str], files: Iterable[str]) -> dict:
    """Initial pipeline context; --context-values win over --context-files for the same key."""
    raw: dict[str, tuple[str, str]] = {}
    for item in files:
        key, filename = split_pair(item)
        raw[key] = (_read(Path(filename)), f"--context-files {key}={filename}")
    for item in values:
        key, value = split_pair(item)
        raw[key] = (value, f"--context-values {key}")
    context: dict = {}
    for key, (text, origin) in raw.items():
        docs = parse_yaml(text, origin)
        if len(docs) > 1:
            raise RenderError(f"{origin}: expected one JSON value, found {len(docs)} documents")
        context[key] = docs[0] if docs else None
    return context
