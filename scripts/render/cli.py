"""``xp-render``: `crossplane render` (CLI v2.2) for Development-runtime functions, in Python."""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import sys
from collections.abc import Iterator, Sequence

from scripts.render import loading
from scripts.render.engine import render
from scripts.render.errors import RenderError
from scripts.render.launcher import route_to, running_function
from scripts.render.output import documents, dump_yaml

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(text: str) -> float:
    """A Go duration (``1m``, ``30s``, ``1m30s``, ``500ms``) in seconds; must be positive."""
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION.match(text, pos)
        if match is None:
            raise argparse.ArgumentTypeError(f"invalid duration {text!r} (try 30s, 1m or 1m30s)")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not text or total <= 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: must be positive")
    return total


def pair(text: str) -> str:
    """Validate ``KEY=VALUE`` at parse time so a malformed pair is a usage error."""
    try:
        loading.split_pair(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    """The same arguments and options as `crossplane render`, plus --start-function."""
    p = argparse.ArgumentParser(
        prog="xp-render",
        description="Render an XR through a Composition's function pipeline, like "
        "`crossplane render`, calling Development-runtime functions over plain gRPC.",
    )
    p.add_argument("composite_resource", metavar="XR", help="YAML file with the XR")
    p.add_argument("composition", metavar="COMPOSITION", help="YAML file with the Composition")
    p.add_argument("functions", metavar="FUNCTIONS", help="YAML file or directory of Functions")
    p.add_argument("-o", "--observed-resources", metavar="PATH", help="observed composed resources")
    p.add_argument("-e", "--required-resources", metavar="PATH", help="required resources")
    p.add_argument("--extra-resources", metavar="PATH", help="deprecated: --required-resources")
    p.add_argument("--context-values", metavar="KEY=JSON", action="append", default=[], type=pair)
    p.add_argument("--context-files", metavar="KEY=PATH", action="append", default=[], type=pair)
    p.add_argument("-r", "--include-function-results", action="store_true")
    p.add_argument("-c", "--include-context", action="store_true")
    p.add_argument("-x", "--include-full-xr", action="store_true")
    p.add_argument("--function-credentials", metavar="PATH", help="Secrets for credentials")
    p.add_argument("--xrd", metavar="PATH", help="XRD whose schema defaults apply to the XR")
    p.add_argument("--timeout", type=duration, default=60.0, help="Go duration (default 1m)")
    p.add_argument(
        "--start-function",
        action="store_true",
        help="start this project's function on a free loopback port for the render and route "
        "the Development-runtime Function named function-ephemeral-cluster to it",
    )
    return p


@contextlib.contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so the started function is stopped on the way out."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> str:
    """Load the inputs, render, and return the YAML stream (nothing is printed on failure)."""
    xr = loading.read_one(args.composite_resource, "composite resource (XR)")
    composition = loading.read_one(args.composition, "Composition")
    functions = loading.load_functions(args.functions)
    xrd = loading.read_one(args.xrd, "XRD") if args.xrd else None
    creds = loading.load_credentials(args.function_credentials) if args.function_credentials else []
    observed = loading.load_observed(args.observed_resources) if args.observed_resources else []
    required = loading.load_required(
        p for p in (args.extra_resources, args.required_resources) if p
    )
    context = loading.parse_context(args.context_values, args.context_files)
    with contextlib.ExitStack() as stack:
        if args.start_function:
            stack.enter_context(_exit_on_sigterm())
            functions = route_to(functions, stack.enter_context(running_function()))
        rendered = render(
            xr=xr,
            composition=composition,
            functions=functions,
            observed=observed,
            required=required,
            context=context,
            function_credentials=creds,
            xrd=xrd,
            timeout=args.timeout,
            include_full_xr=args.include_full_xr,
        )
    return dump_yaml(
        documents(
            rendered,
            include_results=args.include_function_results,
            include_context=args.include_context,
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: YAML on stdout, or one error line on stderr and exit 1."""
    args = build_parser().parse_args(argv)
    try:
        out = run(args)
    except RenderError as exc:
        print(f"xp-render: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("xp-render: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"xp-render: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
