"""Serving the function over gRPC: mutual TLS or plain text, one listener, graceful stop.

Differences from the SDK's `runtime.serve`, on purpose:
- `--insecure` with a certs dir serves plain text only (the SDK opens a TLS and a plain
  listener on the same port, and plain clients then fail at random);
- a single worker does not set SO_REUSEPORT, so a taken port is an error instead of two
  processes silently sharing it (workers > 1 share the port on purpose; `function.portlock`
  keeps a second server off it);
- startup problems (malformed address, bad certs or a key that is not the cert's, port
  taken) raise `StartupError` with one clear line (`function.tls`, `function.address`);
- SIGTERM drains: every call already received is answered (`function.drain`);
- the request's size on the wire reaches the response cache (`cache.REQUEST_BYTES`, set by
  the deserializer, which grpc.aio runs in the same task as the handler) so bounding the
  cache in bytes costs no extra serialization;
- one start-up line is logged once the port is bound (`function.calllog`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from crossplane.function import runtime
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1beta1 import run_function_pb2 as fnv1beta1
from google.protobuf.message import Message
from grpc_reflection.v1alpha import reflection

from function import address as addresses
from function import cache, calllog, drain
from function.startup import StartupError
from function.tls import load_credentials, read_tls_files, serving_certs_dir

GRACE_SECONDS = 5.0

__all__ = ["GRACE_SECONDS", "StartupError", "load_credentials", "read_tls_files", "serve"]


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
    """Fail with one clear line when `address` cannot be bound (before gRPC tries and logs).

    Without `reuse_port` the test bind fails while any other process listens on the port,
    whether that process set SO_REUSEPORT or not.
    """
    try:
        parsed = addresses.parse(address)
    except addresses.AddressError as err:
        raise StartupError(f"cannot listen on {address}: {err}") from None
    if parsed is None:
        return  # a unix socket: gRPC reports socket-file problems itself
    host = parsed.host or "0.0.0.0"  # noqa: S104 - the default listen address
    try:
        infos = socket.getaddrinfo(host, parsed.port, type=socket.SOCK_STREAM)
    except OSError as err:
        raise StartupError(f"cannot listen on {address}: {err.strerror or err}") from None
    family, kind, proto, _, sockaddr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind(sockaddr)
        except OSError as err:
            raise StartupError(f"cannot listen on {address}: {err.strerror}") from None


def _measured(parse: Callable[[bytes], Message]) -> Callable[[bytes], Message]:
    """A deserializer that also tells the cache how many bytes the request had."""

    def parse_and_measure(raw: bytes) -> Message:
        cache.REQUEST_BYTES.set(len(raw))
        return parse(raw)

    return parse_and_measure


def _register(server: grpc.aio.Server, runner: drain.CallTracker) -> None:
    """RunFunction v1 and v1beta1 (as the SDK's generated code does) plus reflection."""
    for service, servicer, request, reply in (
        ("apiextensions.fn.proto.v1.FunctionRunnerService", runner, fnv1, fnv1),
        (
            "apiextensions.fn.proto.v1beta1.FunctionRunnerService",
            runtime.BetaFunctionRunner(wrapped=runner),
            fnv1beta1,
            fnv1beta1,
        ),
    ):
        handlers = {
            "RunFunction": grpc.unary_unary_rpc_method_handler(
                servicer.RunFunction,
                request_deserializer=_measured(request.RunFunctionRequest.FromString),
                response_serializer=reply.RunFunctionResponse.SerializeToString,
            )
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
        server.add_registered_method_handlers(service, handlers)
    reflection.enable_server_reflection(runtime.SERVICE_NAMES, server)


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
    runner: drain.Runner,
    address: str,
    creds: grpc.ServerCredentials | None,
    server_options: Sequence[tuple[str, Any]],
    workers: int,
) -> None:
    log = calllog.logger()
    tracker = drain.CallTracker(runner)
    server = grpc.aio.server(options=server_options)
    _register(server, tracker)
    _bind(server, address, creds)

    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def stop() -> None:
        if not stopping:
            log.info("stopping", grace=f"{GRACE_SECONDS:g}s", calls_in_progress=tracker.active)
            stopping.append(loop.create_task(drain.drain_then_stop(server, tracker, GRACE_SECONDS)))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    try:
        await server.start()
        calllog.serving(
            log, address=address, tls=creds is not None, workers=workers, pid=os.getpid()
        )
        await server.wait_for_termination()
    finally:
        if stopping:
            await stopping[0]
        else:
            await server.stop(grace=GRACE_SECONDS)
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(sig)
    log.info("stopped")


def serve(
    runner: drain.Runner,
    *,
    address: str,
    tls_certs_dir: str | None,
    insecure: bool,
    max_recv_message_size: int,
    max_send_message_size: int | None = None,
    reuse_port: bool = False,
    workers: int = 1,
) -> None:
    """Serve until SIGTERM/SIGINT; raises StartupError when the server cannot start."""
    certs = serving_certs_dir(tls_certs_dir, insecure=insecure)
    creds = None if certs is None else load_credentials(certs)
    check_port(address, reuse_port=reuse_port)
    server_options = options(max_recv_message_size, max_send_message_size, reuse_port=reuse_port)
    asyncio.run(_serve(runner, address, creds, server_options, workers))
