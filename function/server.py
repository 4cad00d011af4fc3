"""Serving the function over gRPC: mutual TLS or plain text, one listener, graceful stop.

Differences from the SDK's `runtime.serve`, on purpose:
- `--insecure` with a certs dir serves plain text only (the SDK opens a TLS and a plain
  listener on the same port, and plain clients then fail at random);
- a single worker does not set SO_REUSEPORT, so a taken port is an error instead of two
  processes silently sharing it (workers > 1 share the port on purpose);
- startup problems (unreadable certs, port taken) raise `StartupError` with one clear line.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
from crossplane.function import runtime
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from crossplane.function.proto.v1beta1 import run_function_pb2_grpc as grpcv1beta1
from grpc_reflection.v1alpha import reflection

GRACE_SECONDS = 5.0
TLS_FILES = ("tls.crt", "tls.key", "ca.crt")


class StartupError(RuntimeError):
    """The server cannot start; the message is one line for stderr."""


def read_tls_files(certs_dir: str) -> dict[str, bytes]:
    """tls.crt, tls.key and ca.crt from `certs_dir`, each checked to be PEM."""
    directory = Path(certs_dir)
    if not directory.is_dir():
        raise StartupError(f"TLS certs dir {certs_dir!r} is not a readable directory")
    pems: dict[str, bytes] = {}
    for name in TLS_FILES:
        try:
            data = (directory / name).read_bytes()
        except OSError as err:
            raise StartupError(
                f"cannot read {name} in TLS certs dir {certs_dir!r}: {err.strerror}"
            ) from None
        if b"-----BEGIN " not in data:
            raise StartupError(f"{name} in TLS certs dir {certs_dir!r} is not PEM")
        pems[name] = data
    return pems


def load_credentials(certs_dir: str) -> grpc.ServerCredentials:
    """Mutual-TLS server credentials (clients must present a cert signed by ca.crt)."""
    pems = read_tls_files(certs_dir)
    return grpc.ssl_server_credentials(
        [(pems["tls.key"], pems["tls.crt"])],
        root_certificates=pems["ca.crt"],
        require_client_auth=True,
    )


def options(
    max_recv_mb: int, max_send_mb: int | None, *, reuse_port: bool
) -> list[tuple[str, Any]]:
    """gRPC server options: message sizes and SO_REUSEPORT."""
    send = max_send_mb if max_send_mb is not None else max_recv_mb
    return [
        ("grpc.max_receive_message_length", max_recv_mb * 1024 * 1024),
        ("grpc.max_send_message_length", send * 1024 * 1024),
        ("grpc.so_reuseport", 1 if reuse_port else 0),
    ]


def check_port(address: str, *, reuse_port: bool = False) -> None:
    """Fail with one clear line when `address` cannot be bound (before gRPC tries and logs)."""
    if address.startswith("unix"):
        return  # gRPC reports socket-file problems itself
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"  # noqa: S104 - the default listen address
    try:
        infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
    except (OSError, ValueError) as err:
        raise StartupError(f"cannot listen on {address}: {err}") from None
    family, kind, proto, _, sockaddr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind(sockaddr)
        except OSError as err:
            raise StartupError(f"cannot listen on {address}: {err.strerror}") from None


def _bind(server: grpc.aio.Server, address: str, creds: grpc.ServerCredentials | None) -> None:
    try:
        port = (
            server.add_insecure_port(address)
            if creds is None
            else server.add_secure_port(address, creds)
        )
    except RuntimeError as err:
        raise StartupError(f"cannot listen on {address}: address in use or invalid") from err
    if port == 0:
        raise StartupError(f"cannot listen on {address}: address in use or invalid")


async def _serve(
    runner: grpcv1.FunctionRunnerServiceServicer,
    address: str,
    creds: grpc.ServerCredentials | None,
    server_options: Sequence[tuple[str, Any]],
) -> None:
    server = grpc.aio.server(options=server_options)
    grpcv1.add_FunctionRunnerServiceServicer_to_server(runner, server)
    grpcv1beta1.add_FunctionRunnerServiceServicer_to_server(
        runtime.BetaFunctionRunner(wrapped=runner), server
    )
    reflection.enable_server_reflection(runtime.SERVICE_NAMES, server)
    _bind(server, address, creds)

    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def stop() -> None:
        if not stopping:
            stopping.append(loop.create_task(server.stop(grace=GRACE_SECONDS)))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    try:
        await server.start()
        await server.wait_for_termination()
    finally:
        if stopping:
            await stopping[0]
        else:
            await server.stop(grace=GRACE_SECONDS)
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(sig)


def serve(
    runner: grpcv1.FunctionRunnerServiceServicer,
    *,
    address: str,
    tls_certs_dir: str | None,
    insecure: bool,
    max_recv_message_size: int,
    max_send_message_size: int | None = None,
    reuse_port: bool = False,
) -> None:
    """Serve until SIGTERM/SIGINT; raises StartupError when the server cannot start."""
    if insecure:
        creds = None  # plain text only, even when a certs dir is also given
    elif tls_certs_dir:
        creds = load_credentials(tls_certs_dir)
    else:
        raise StartupError(
            "no TLS certs dir: pass --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure"
        )
    check_port(address, reuse_port=reuse_port)
    server_options = options(max_recv_message_size, max_send_message_size, reuse_port=reuse_port)
    asyncio.run(_serve(runner, address, creds, server_options))
