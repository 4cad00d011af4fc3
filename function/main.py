"""Console script `function-ephemeral-cluster`: the SDK's standard flags plus --workers.

A malformed `--address` is a usage error (exit 2). Startup problems (no certs, unreadable
certs, a key that is not the certificate's, port taken, port held by another server) print
one line on stderr and exit 1; nothing secret is ever printed. SIGTERM drains the calls
already received, then stops (exit 0). What an operator sees is in docs/operations.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypedDict

import click
from crossplane.function import cli as sdkcli

if TYPE_CHECKING:
    from function.drain import Runner

PROG = "function-ephemeral-cluster"


class _Options(TypedDict):
    """`serve_runner`'s keywords as `cli` settles them (the SDK's standard flags + workers)."""

    debug: bool
    address: str
    tls_certs_dir: str | None  # None: plain text (tls.serving_certs_dir)
    insecure: bool
    max_recv_message_size: int
    max_send_message_size: int | None
    workers: int


def _fail(message: str) -> NoReturn:
    click.echo(f"{PROG}: {message}", err=True)
    sys.exit(1)


def serve_runner(
    make_runner: Callable[[], Runner] | None = None,
    *,
    debug: bool,
    address: str,
    tls_certs_dir: str | None,
    insecure: bool,
    max_recv_message_size: int,
    max_send_message_size: int | None,
    reuse_port: bool,
    workers: int = 1,
) -> None:
    """Serve in this process until SIGTERM; a startup problem ends it with one line.

    `make_runner` builds the servicer (default: this function's); the bench's no-op floor
    passes its own, so both are served by exactly this code.
    """
    # Imported here so `--help` and flag errors stay fast and gRPC loads only to serve.
    from function import calllog, server  # noqa: PLC0415

    if make_runner is None:
        from function import fn  # noqa: PLC0415

        make_runner = fn.FunctionRunner
    calllog.configure(debug=debug)
    try:
        server.serve(
            make_runner(),
            address=address,
            tls_certs_dir=tls_certs_dir,
            insecure=insecure,
            max_recv_message_size=max_recv_message_size,
            max_send_message_size=max_send_message_size,
            reuse_port=reuse_port,
            workers=workers,
        )
    except server.StartupError as err:
        _fail(str(err))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@sdkcli.standard_options
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    envvar="WORKERS",
    help="Serving processes sharing the port (SO_REUSEPORT); 1 = one process, port exclusive.",
)
def cli(
    *,
    workers: int,
    debug: bool,
    address: str,
    tls_certs_dir: str | None,
    insecure: bool,
    max_recv_message_size: int,
    max_send_message_size: int | None,
) -> None:
    """Serve the function-ephemeral-cluster composition function over gRPC."""
    from function import address as addresses  # noqa: PLC0415
    from function import portlock, tls  # noqa: PLC0415
    from function.startup import StartupError  # noqa: PLC0415

    try:
        parsed = addresses.parse(address)
    except addresses.AddressError as err:
        raise click.BadParameter(str(err), param_hint="'--address'") from None
    try:
        certs = tls.serving_certs_dir(tls_certs_dir, insecure=insecure)  # None: plain text
    except StartupError as err:
        _fail(str(err))
    options: _Options = {
        "debug": debug,
        "address": address,
        "tls_certs_dir": certs,
        "insecure": certs is None,
        "max_recv_message_size": max_recv_message_size,
        "max_send_message_size": max_send_message_size,
        "workers": workers,
    }
    try:
        # Held open for the life of this process; forked workers inherit it.
        lock = None if parsed is None else portlock.claim(address, parsed.port)
    except StartupError as err:
        _fail(str(err))
    try:
        if workers == 1:
            serve_runner(**options, reuse_port=False)
            return
        sys.exit(_supervise(workers, options))
    finally:
        if lock is not None:
            lock.close()


def _supervise(workers: int, options: _Options) -> int:
    """Check once in the parent (one line, not one per worker), then fork the workers."""
    from function import server, tls  # noqa: PLC0415
    from function.workers import run_workers  # noqa: PLC0415

    # The test bind is exclusive (no SO_REUSEPORT): it fails while any other process holds
    # the port, even one that shares ports with SO_REUSEPORT.
    try:
        if options["tls_certs_dir"]:  # settled by `cli`: None means plain text
            tls.check_tls_files(options["tls_certs_dir"])
        server.check_port(options["address"], reuse_port=False)
    except server.StartupError as err:
        _fail(str(err))

    def serve_one() -> None:
        serve_runner(**options, reuse_port=True)

    return run_workers(workers, serve_one)
