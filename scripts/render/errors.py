"""The one error type of the render harness."""

from __future__ import annotations


class RenderError(Exception):
    """A render failure the CLI reports as one line on stderr (exit 1).

    ``str()`` collapses whitespace so multi-line causes (gRPC details, process logs) still print
    as a single line.
    """

    def __str__(self) -> str:
        return " ".join(super().__str__().split())
