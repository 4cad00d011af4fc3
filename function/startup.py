"""What every startup check raises: one line for stderr, then exit 1 (never a traceback)."""

from __future__ import annotations


class StartupError(RuntimeError):
    """The server cannot start; the message is one line for stderr."""
