"""Console script `function-ephemeral-cluster`: the SDK's standard flags plus --workers."""

from __future__ import annotations

import sys

import click
from crossplane.function import cli as sdkcli
from crossplane.function import logging


def _serve_forever(
    *,
    debug: bool,
    address: str,
    tls_certs_dir: str | None,
    insecure: bool,
    max_recv_message_size: int,
    max_send_message_size: int | None,
    reuse_port: bool,
) -> None:
    # Imported here so `--help` stays fast and a bad flag fails before gRPC loads.
    from function import fn, server  # noqa: PLC0415

    logging.configure(level=logging.Level.DEBUG if debug else logging.Level.INFO)
    server.serve(
        fn.FunctionRunner(),
        address=address,
        tls_certs_dir=tls_certs_dir,
        insecure=insecure,
        max_recv_message_size=max_recv_message_size,
        max_send_message_size=max_send_message_size,
        reuse_port=reuse_port,
    )


def _fail(message: str) -> None:
    click.echo(f"function-ephemeral-cluster: {message}", err=True)
    sys.exit(1)


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
def cli(workers: int, **kwargs: object) -> None:
    """Serve the function-ephemeral-cluster composition function over gRPC."""
    from function.server import StartupError  # noqa: PLC0415

    opts = {
        "debug": bool(kwargs["debug"]),
        "address": str(kwargs["address"]),
        "tls_certs_dir": kwargs["tls_certs_dir"] or None,
        "insecure": bool(kwargs["insecure"]),
        "max_recv_message_size": int(kwargs["max_recv_message_size"]),  # type: ignore[call-overload]
        "max_send_message_size": kwargs["max_send_message_size"],
    }
    if not opts["insecure"] and not opts["tls_certs_dir"]:
        _fail("no TLS certs dir: pass --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure")
    if workers == 1:
        try:
            _serve_forever(**opts, reuse_port=False)  # type: ignore[arg-type]
        except StartupError as err:
            _fail(str(err))
        return

    from function import server  # noqa: PLC0415
    from function.workers import run_workers  # noqa: PLC0415 - owned by the bench work

    # Check once in the parent so a bad setup gives one line, not one per worker.
    try:
        if not opts["insecure"]:
            server.load_credentials(str(opts["tls_certs_dir"]))
        server.check_port(str(opts["address"]), reuse_port=True)
    except StartupError as err:
        _fail(str(err))

    def serve_one() -> None:
        try:
            _serve_forever(**opts, reuse_port=True)  # type: ignore[arg-type]
        except StartupError as err:
            _fail(str(err))

    sys.exit(run_workers(workers, serve_one))
