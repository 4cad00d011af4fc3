"""Console script `function-ephemeral-cluster`: the SDK's standard flags plus --workers.

Startup problems (no certs, unreadable certs, port taken) print one line on stderr and exit 1;
nothing secret is ever printed. SIGTERM stops the server gracefully (exit 0).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click
from crossplane.function import cli as sdkcli

PROG = "function-ephemeral-cluster"


def _fail(message: str) -> NoReturn:
    click.echo(f"{PROG}: {message}", err=True)
    sys.exit(1)


def serve_runner(
    make_runner: Callable[[], Any] | None = None,
    *,
    debug: bool,
    address: str,
    tls_certs_dir: str | None,
    insecure: bool,
    max_recv_message_size: int,
    max_send_message_size: int | None,
    reuse_port: bool,
) -> None:
    """Serve in this process until SIGTERM; a startup problem ends it with one line.

    `make_runner` builds the servicer (default: this function's); the bench's no-op floor
    passes its own, so both are served by exactly this code.
    """
    # Imported here so `--help` and flag errors stay fast and gRPC loads only to serve.
    from crossplane.function import logging  # noqa: PLC0415

    from function import server  # noqa: PLC0415

    if make_runner is None:
        from function import fn  # noqa: PLC0415

        make_runner = fn.FunctionRunner
    logging.configure(level=logging.Level.DEBUG if debug else logging.Level.INFO)
    try:
        server.serve(
            make_runner(),
            address=address,
            tls_certs_dir=None if insecure else tls_certs_dir,  # --insecure wins over the env
            insecure=insecure,
            max_recv_message_size=max_recv_message_size,
            max_send_message_size=max_send_message_size,
            reuse_port=reuse_port,
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
    if not insecure and not tls_certs_dir:
        _fail("no TLS certs dir: pass --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure")
    options = {
        "debug": debug,
        "address": address,
        "tls_certs_dir": tls_certs_dir,
        "insecure": insecure,
        "max_recv_message_size": max_recv_message_size,
        "max_send_message_size": max_send_message_size,
    }
    if workers == 1:
        serve_runner(**options, reuse_port=False)
        return

    from function import server  # noqa: PLC0415

    try:
        from function.workers import run_workers  # noqa: PLC0415 - the bench work owns it
    except ImportError:
        _fail("--workers > 1 is not available in this build (no function.workers)")
    # Check once in the parent so a bad setup gives one line, not one per worker.
    try:
        if tls_certs_dir and not insecure:
            server.read_tls_files(tls_certs_dir)
        server.check_port(address, reuse_port=True)
    except server.StartupError as err:
        _fail(str(err))

    def serve_one() -> None:
        serve_runner(**options, reuse_port=True)

    sys.exit(run_workers(workers, serve_one))
