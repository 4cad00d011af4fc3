"""`xrd-gen generate | sync [--check] | diff OLD NEW | follow`: arguments and exit statuses only.

Exit 0: done (or everything current, or nothing breaking); 1: `sync --check` found stale or
orphaned files, `diff` found a breaking change, `follow --check` found an upstream change;
2: bad input or usage, as one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from pydantic import ValidationError

from scripts.xrdgen import assemble, compare, compat, config, follow, report, sync
from scripts.xrdgen.files import write_atomic
from scripts.xrdgen.options import GenError, XRDOptions, one_line

EXIT_STALE = 1
EXIT_BREAKING = 1
EXIT_ERROR = 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (our format), not usage text plus a message."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see {self.prog} --help)")


def _column(text: str) -> dict[str, object]:
    """`NAME[:PRIORITY]=JSONPATH`, e.g. `PHASE=.status.phase` or `URL:1=.status.prowJobURL`."""
    head, sep, json_path = text.partition("=")
    name, _, priority = head.partition(":")
    if not sep or not name or not json_path:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME[:PRIORITY]=JSONPATH")
    if priority and not priority.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: PRIORITY must be a non-negative integer")
    return {"name": name, "jsonPath": json_path, "priority": int(priority or 0)}


def build_parser() -> argparse.ArgumentParser:
    """Subcommands `generate` (one XRD from flags) and `sync` (every XRD of the config)."""
    parser = _Parser(prog="xrd-gen", description="Derive Crossplane XRDs from a CRD.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    gen = sub.add_parser("generate", help="print (or write) one XRD derived from a CRD")
    gen.add_argument("--crd", required=True, type=Path, help="CRD YAML file (source of truth)")
    gen.add_argument("--crd-name", help="CRD metadata.name, when the file holds several CRDs")
    gen.add_argument("--crd-version", help="CRD version to derive from (default: storage)")
    gen.add_argument("--group", required=True, help="API group of the XR (and claim)")
    gen.add_argument("--kind", required=True, help="XR kind, e.g. XTestPlatformCluster")
    gen.add_argument("--plural", help="XR plural (default: lowercase kind + 's')")
    gen.add_argument("--claim-kind", help="claim kind (v1 only; default: kind without its X)")
    gen.add_argument("--claim-plural", help="claim plural (default: lowercase claim kind + 's')")
    gen.add_argument("--version", help="XR API version (default: the CRD version's name)")
    gen.add_argument("--api", choices=("v1", "v2"), default="v1", help="XRD API (default v1)")
    gen.add_argument(
        "--scope",
        help="v1: LegacyCluster (default), Namespaced, Cluster; v2: Namespaced (default), Cluster",
    )
    gen.add_argument(
        "--connection-secret-key",
        dest="connection_secret_keys",
        action="append",
        default=[],
        metavar="KEY",
        help="connection secret key (v1 LegacyCluster)",
    )
    gen.add_argument(
        "--spec-field",
        dest="spec_fields",
        action="append",
        default=[],
        metavar="NAME",
        help="expose only these top-level spec fields",
    )
    gen.add_argument(
        "--status-field",
        dest="status_fields",
        action="append",
        default=[],
        metavar="NAME",
        help="status field projected from the CRD's status",
    )
    gen.add_argument(
        "--printer-column",
        dest="printer_columns",
        action="append",
        default=[],
        type=_column,
        metavar="NAME[:PRIORITY]=JSONPATH",
        help="additional printer column (string)",
    )
    gen.add_argument(
        "--write-connection-secret-ref",
        dest="write_connection_secret_to_ref",
        action="store_true",
        help="declare spec.writeConnectionSecretToRef.name "
        "(v2 / non-legacy scopes, where Crossplane does not inject it)",
    )
    gen.add_argument("--description", help="XRD schema description (default: the CRD's)")
    gen.add_argument("-o", "--output", type=Path, help="write here instead of stdout")

    syn = sub.add_parser("sync", help="regenerate every XRD declared in the sync config")
    syn.add_argument(
        "--config", type=Path, default=None, help="sync config (default: xrd/xrd-gen.yaml)"
    )
    syn.add_argument(
        "--check",
        action="store_true",
        help="write nothing; print a diff of each stale file and exit 1",
    )

    dif = sub.add_parser(
        "diff", help="classify the schema changes between two XRDs (or two CRDs) as breaking"
    )
    dif.add_argument("old", type=Path, metavar="OLD", help="XRD or CRD file before the change")
    dif.add_argument("new", type=Path, metavar="NEW", help="XRD or CRD file after the change")
    dif.add_argument(
        "--config",
        type=Path,
        help="sync config deriving XRDs from CRDs (default: xrd/xrd-gen.yaml)",
    )

    fol = sub.add_parser("follow", help="take a new upstream CRD into crd/ and regenerate xrd/")
    fol.add_argument(
        "--from",
        dest="source",
        type=Path,
        required=True,
        metavar="PATH",
        help="the upstream CRD file, or a checkout of the upstream repository",
    )
    fol.add_argument("--commit", help="upstream commit of PATH (default: its git HEAD)")
    fol.add_argument("--config", type=Path, help="sync config (default: xrd/xrd-gen.yaml)")
    fol.add_argument("--check", action="store_true", help="write nothing; exit 1 when changed")
    fol.add_argument("--body", type=Path, metavar="FILE", help="write the pull request body here")
    fol.add_argument(
        "--outputs", type=Path, metavar="FILE", help="append key=value lines ($GITHUB_OUTPUT)"
    )
    return parser


def _notes(notes: Sequence[str], err: TextIO) -> None:
    for note in notes:
        print(f"xrd-gen: note: {note}", file=err)


def _generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    fields = {k: v for k, v in vars(args).items() if k not in ("command", "output")}
    try:
        opts = XRDOptions.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise GenError(one_line(exc, "--", flags=True)) from None
    generated = assemble.generate(opts, output=args.output)
    _notes(generated.notes, err)
    if args.output is None:
        out.write(generated.text)
    else:
        write_atomic(args.output, generated.text)
        print(f"xrd-gen: wrote {args.output}", file=err)
    return 0


def _config_path(args: argparse.Namespace) -> Path:
    path = args.config or config.DEFAULT_PATH
    if args.config is None and not path.is_file():
        raise GenError(f"{path}: not found; run from the project root or pass --config")
    return path


def _sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    result = sync.run(config.load(_config_path(args)), check=args.check, out=out)
    _notes(result.notes, err)
    changes: list[compat.Change] = []
    for stale in result.stale:
        shown = sync.display(stale)
        print(f"xrd-gen: {shown} {'is stale' if args.check else 'written'}", file=err)
        found = result.changes.get(stale, [])
        if found is None:
            print(f"xrd-gen: {shown}: not an XRD that can be compared", file=err)
        elif not found and stale in result.changes:
            print(f"xrd-gen: {shown}: no schema change (only the header's source hash)", file=err)
        for change in found or []:
            print(f"xrd-gen: {shown}: {change.line()}", file=err)
        changes += found or []
    if changes:
        print(f"xrd-gen: verdict: {compat.verdict(changes)}", file=err)
    for orphan in result.orphans:
        verb = (
            "is generated but no longer in the config" if args.check else "removed (not in config)"
        )
        print(f"xrd-gen: {sync.display(orphan)} {verb}", file=err)
    if args.check and not result.clean:
        print(f"xrd-gen: run `{sync.REGENERATE}` (make xrd) and commit the result", file=err)
        return EXIT_STALE
    return 0


def _diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    found = compare.compare(args.old, args.new, args.config)
    _notes(found.notes, err)
    for change in found.changes:
        print(change.line(), file=out)
    print(f"verdict: {compat.verdict(found.changes)}", file=out)
    return EXIT_BREAKING if found.breaking else 0


def _follow(args: argparse.Namespace, out: TextIO, _err: TextIO) -> int:
    outcome = follow.follow(_config_path(args), args.source, args.commit, write=not args.check)
    for line in report.lines(outcome):
        print(line, file=out)
    if args.body is not None:
        write_atomic(args.body, report.body(outcome))
    if args.outputs is not None:
        try:
            report.outputs(outcome, args.outputs)
        except OSError as exc:
            raise GenError(f"--outputs {args.outputs}: cannot write: {exc.strerror}") from None
    return EXIT_STALE if args.check and outcome.changed else 0


COMMANDS = {"generate": _generate, "sync": _sync, "diff": _diff, "follow": _follow}


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Console script entry point; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args, out, err)
    except (GenError, _UsageError) as exc:
        print(f"xrd-gen: error: {exc}", file=err)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error of ours, and nothing left to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_STALE
    except Exception as exc:  # a bug, not bad input: still one line, unless debugging
        if os.environ.get("XRD_GEN_DEBUG"):
            raise
        detail = " ".join(str(exc).split())
        print(
            f"xrd-gen: internal error: {type(exc).__name__}: {detail} "
            "(set XRD_GEN_DEBUG=1 for a traceback)",
            file=err,
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
