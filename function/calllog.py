"""What an operator reads in the log: a start-up line always, one line per call with --debug.

Logging is configured like the SDK's `crossplane.function.logging.configure` (JSON lines with
`msg`, `ts`, `level`, file and line at INFO; structlog's console renderer with --debug), with
one difference: the SDK's debug renderer always colours its output with ANSI escapes, which
end up in files and in `kubectl logs`; here colour is used only when stdout is a terminal.

The per-call line names the call, never its secrets: the tag (shortened), the XR, the phase
reported on it, the names of the composed resources, the response TTL, whether the cache
answered, and the field of a FATAL result. Values are shortened and stripped of control
characters, so a caller cannot forge extra log lines through a tag or a name.
"""

from __future__ import annotations

import logging
import sys
from importlib import metadata

import structlog
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from structlog.typing import FilteringBoundLogger

from function import structs

PACKAGE = "function-ephemeral-cluster"
SHORT = 64

_state = {"debug": False}


def configure(*, debug: bool) -> None:
    """Set up structlog for this process (call once, before serving)."""
    _state["debug"] = debug
    processors: list[structlog.typing.Processor] = [
        structlog.stdlib.add_log_level,
        structlog.processors.CallsiteParameterAdder(
            {
                structlog.processors.CallsiteParameter.FILENAME,
                structlog.processors.CallsiteParameter.LINENO,
            }
        ),
    ]
    if debug:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
        processors += [structlog.processors.TimeStamper(fmt="iso"), renderer]
        level = logging.DEBUG
    else:
        processors += [
            structlog.processors.dict_tracebacks,
            structlog.processors.TimeStamper(key="ts"),
            structlog.processors.EventRenamer(to="msg"),
            structlog.processors.JSONRenderer(),
        ]
        level = logging.INFO
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(),  # stdout as it is when a line is written
        cache_logger_on_first_use=False,
    )


def logger() -> FilteringBoundLogger:
    """This process's logger, the filtering one `configure` sets up (structlog returns it
    untyped; the SDK's `logging.get_logger` types it as a stdlib logger, which it is not)."""
    log: FilteringBoundLogger = structlog.get_logger()
    return log


def debug_enabled() -> bool:
    """True when --debug asked for a line per call."""
    return _state["debug"]


def short(text: str, limit: int = SHORT) -> str:
    """`text` safe for one log line: printable characters only, at most `limit` of them."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    if len(text) <= limit:
        return clean
    return f"{clean[:limit]}...({len(text)} chars)"


def version() -> str:
    """This package's version, as installed."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def _field(struct: structs.Struct, *path: str) -> str:
    value = structs.field(struct, *path)
    return value.string_value if value is not None else ""


def xr_name(req: fnv1.RunFunctionRequest) -> str:
    """`namespace/name` of the observed XR (`name` when cluster-scoped), shortened."""
    xr = req.observed.composite.resource
    name = _field(xr, "metadata", "name")
    namespace = _field(xr, "metadata", "namespace")
    return short(f"{namespace}/{name}" if namespace else name or "-")


def call(
    log: FilteringBoundLogger,
    req: fnv1.RunFunctionRequest,
    rsp: fnv1.RunFunctionResponse,
    *,
    cache_hit: bool,
    fatal: str = "",
) -> None:
    """One debug line for one call (nothing without --debug)."""
    if not _state["debug"]:
        return
    log.debug(
        "call",
        tag=short(req.meta.tag),
        xr=xr_name(req),
        phase=short(_field(rsp.desired.composite.resource, "status", "phase")) or "-",
        composed=",".join(short(key) for key in sorted(rsp.desired.resources)) or "-",
        ttl=f"{rsp.meta.ttl.seconds}s",
        cache="hit" if cache_hit else "miss",
        fatal=short(fatal) or "-",
    )


def serving(log: FilteringBoundLogger, *, address: str, tls: bool, workers: int, pid: int) -> None:
    """The start-up line: where, how and by whom this process serves."""
    log.info(
        "serving",
        address=address,
        transport="mutual TLS" if tls else "insecure (plain text)",
        workers=workers,
        pid=pid,
        version=version(),
    )
