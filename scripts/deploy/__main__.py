"""Thin CLI: `python -m scripts.deploy check` and `python -m scripts.deploy pin DIGEST`.

Exit 0 when the check passed or was skipped (the reason is printed), 1 when something is
wrong (one line per problem), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from scripts.deploy import check, pin

ROOT = Path(__file__).resolve().parents[2]


def _check(args: argparse.Namespace) -> int:
    try:
        report = check.run(args.root, args.shared)
    except check.SkippedError as err:
        print(f"deploy-check: SKIPPED: {err}")
        return 0
    except FileNotFoundError as err:
        print(f"deploy-check: {err}", file=sys.stderr)
        return 1
    for label, count in report.rendered.items():
        print(f"rendered {label}: {count} documents")
    for note in report.notes:
        print(f"note: {note}")
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    if not report.ok:
        print(f"deploy-check: {len(report.errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"deploy-check: {len(report.rendered)} kustomizations rendered and valid")
    return 0


def _pin(args: argparse.Namespace) -> int:
    try:
        package = pin.pin_file(args.root, args.digest, args.image)
    except pin.PinError as err:
        print(f"deploy-pin: {err}", file=sys.stderr)
        return 1
    print(f"deploy-pin: {pin.FUNCTION_FILE}: package {package}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and dispatch."""
    parser = argparse.ArgumentParser(prog="python -m scripts.deploy", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    sub = parser.add_subparsers(dest="command", required=True)
    checking = sub.add_parser("check", help="render deploy/ and validate every document")
    checking.add_argument(
        "--shared", type=Path, default=ROOT.parent / "shared", help="the reference files"
    )
    checking.set_defaults(run=_check)
    pinning = sub.add_parser("pin", help="set the function package's digest")
    pinning.add_argument("digest", help="sha256:<64 hex digits>")
    pinning.add_argument("--image", help="image reference without tag or digest")
    pinning.set_defaults(run=_pin)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
