"""What one XRD is made of: the options `generate` takes as flags and `sync` reads from its config.

One pydantic model serves both entry points so a flag and its config key can never mean
different things. The model only checks types and unknown keys; the Crossplane rules (names,
scopes, collisions) live in ``checks`` so their messages name the offending field precisely.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel


class GenError(Exception):
    """Bad input the CLI reports as one line on stderr with exit status 2."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


def one_line(err: ValidationError, prefix: str, *, flags: bool = False) -> str:
    """Every problem pydantic found, on one line, each naming its key (or its flag)."""
    problems = []
    for problem in err.errors():
        where = ""
        for part in problem["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        where = where.lstrip(".")
        if flags:
            where = where.replace("_", "-")
        problems.append(f"{prefix}{where}: {problem['msg']}")
    return "; ".join(problems)


class _Model(BaseModel):
    # camelCase keys in the YAML config (Kubernetes style), snake_case in Python; unknown keys
    # are errors so a typo in the config never silently changes the generated XRD.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class PrinterColumn(_Model):
    """One `additionalPrinterColumns` entry; Crossplane shows it for the XR and the claim."""

    name: str
    json_path: str
    type: Literal["string", "integer", "number", "boolean", "date"] = "string"
    description: str | None = None
    priority: int = Field(default=0, ge=0)
    format: str | None = None

    def render(self) -> dict[str, object]:
        """The column as it appears in the XRD (keys Kubernetes expects, unset ones omitted)."""
        out: dict[str, object] = {"name": self.name, "type": self.type, "jsonPath": self.json_path}
        if self.description:
            out["description"] = self.description
        if self.priority:
            out["priority"] = self.priority
        if self.format:
            out["format"] = self.format
        return out


class XRDOptions(_Model):
    """Everything that decides one generated XRD, besides the CRD file's content."""

    crd: Path
    crd_name: str | None = None
    crd_version: str | None = None
    api: Literal["v1", "v2"] = "v1"
    group: str
    kind: str
    plural: str | None = None
    claim_kind: str | None = None
    claim_plural: str | None = None
    version: str | None = None
    scope: str | None = None
    connection_secret_keys: tuple[str, ...] = ()
    spec_fields: tuple[str, ...] = ()
    # v2 does not inject spec.writeConnectionSecretToRef; functions that compose the
    # connection Secret themselves need the XR to declare where it should go.
    write_connection_secret_to_ref: bool = False
    status_fields: tuple[str, ...] = ()
    printer_columns: tuple[PrinterColumn, ...] = ()
    description: str | None = None
