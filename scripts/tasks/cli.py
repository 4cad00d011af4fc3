"""`ec-task provision|deprovision`: the steps of the Tekton tasks in tekton/tasks/.

Options carry the Tekton parameter names (`--buildRoot=$(params.buildRoot)`), so an error names
the parameter the user set. `--result NAME=PATH` points a result at `$(results.NAME.path)`.
Exit 0: done; 1: the cluster failed, a timeout, or the API server refused (one line on stderr);
2: bad parameters or usage (one line on stderr). Never a traceback, never a Secret's content.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

from scripts.tasks import deprovision, provision
from scripts.tasks.params import CI_OPERATOR_OBJECTS, ParamError, provision_request
from scripts.tasks.report import PROW_JOB_URL, Outcome, ResultFiles
from scripts.tasks.seam import Kube, KubeError

EXIT_FAILED = 1
EXIT_USAGE = 2
PROG = "ec-task"
PROVISION_PARAMS = (
    "claimName",
    "namespace",
    "ownerKind",
    "ownerName",
    "ownerUid",
    "pipelineRunName",
    *CI_OPERATOR_OBJECTS,
    "workflow",
    "env",
    "clusterProfile",
    "clusterClaim",
    "timeout",
)
DEPROVISION_PARAMS = (
    "testPlatformClusterClaimName",
    "testPlatformClusterClaimNamespace",
    "timeout",
)
RESULTS = {
    "provision": (
        provision.SECRET_REF,
        provision.CLAIM_NAME,
        provision.CLAIM_NAMESPACE,
        PROW_JOB_URL,
    ),
    "deprovision": (deprovision.STATE, PROW_JOB_URL),
}
KubeFactory = Callable[[str | None], Kube]


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error instead of usage text."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG, description="Steps of the ephemeral-cluster Tekton tasks.", allow_abbrev=False
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command, params, what in (
        ("provision", PROVISION_PARAMS, "create the claim and wait for the cluster"),
        ("deprovision", DEPROVISION_PARAMS, "tear the cluster down and wait for it"),
    ):
        cmd = sub.add_parser(command, help=what, description=what, allow_abbrev=False)
        for name in params:
            cmd.add_argument(f"--{name}", dest=name, default=None, metavar="VALUE")
        cmd.add_argument(
            "--result",
            action="append",
            default=[],
            metavar="NAME=PATH",
            help=f"write result NAME to PATH; NAME in {', '.join(RESULTS[command])}",
        )
        cmd.add_argument("--kubeconfig", default=None, help="outside a pod: kubeconfig to use")
    return parser


def _results(command: str, pairs: list[str]) -> ResultFiles:
    paths: dict[str, str] = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or name not in RESULTS[command] or not path:
            raise _UsageError(
                f"--result {pair!r}: expected NAME=PATH with NAME in {', '.join(RESULTS[command])}"
            )
        paths[name] = path
    return ResultFiles(paths)


def _real_kube(kubeconfig: str | None) -> Kube:
    from scripts.tasks.kube import RealKube, connect  # noqa: PLC0415 - the client loads slowly

    return RealKube(connect(kubeconfig))


def _run(args: argparse.Namespace, factory: KubeFactory, out: Callable[[str], None]) -> Outcome:
    values = {k: v for k, v in vars(args).items() if isinstance(v, str)}
    results = _results(args.command, args.result)
    if args.command == "provision":
        req = provision_request(values)
        return provision.provision(factory(args.kubeconfig), req, out, results)
    dreq = deprovision.DeprovisionRequest.parse(values)
    return deprovision.deprovision(factory(args.kubeconfig), dreq, out, results)


def main(
    argv: Sequence[str] | None = None,
    *,
    kube_factory: KubeFactory = _real_kube,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one command; the exit status."""
    out_stream = stdout or sys.stdout
    err_stream = stderr or sys.stderr

    def out(line: str) -> None:
        print(line, file=out_stream, flush=True)

    def fail(code: int, message: str) -> int:
        print(f"{PROG}: {message}", file=err_stream, flush=True)
        return code

    try:
        args = build_parser().parse_args(argv)
        outcome = _run(args, kube_factory, out)
    except (_UsageError, ParamError) as err:
        return fail(EXIT_USAGE, str(err))
    except KubeError as err:
        return fail(EXIT_FAILED, str(err))
    except Exception as err:  # one line, never a traceback (nothing here holds a secret)
        return fail(EXIT_FAILED, f"unexpected {type(err).__name__}: {err}")
    if not outcome.ok:
        return fail(outcome.exit_code, outcome.message)
    out(outcome.message)
    return 0


def cli() -> None:
    """Console script entry point."""
    sys.exit(main())
