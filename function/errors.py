"""The one exception type that turns into a FATAL result naming the offending field."""

from __future__ import annotations


class FatalError(Exception):
    """Input the function cannot act on safely; the message names the field at fault.

    A FATAL result makes Crossplane apply nothing from this call, which is the only safe way to
    fail: a partial desired state would delete composed resources.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
