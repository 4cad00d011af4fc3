"""The floor: an SDK function whose RunFunction returns `response.to(req)`, nothing else.

It is served exactly like the project (same flags via the SDK's click options, same logging
setup, same `function.server.serve`), so a ratio project/floor measures only the function's
own logic and imports. Run as `python -c "from scripts.bench.noop import cli; cli()" ...`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from crossplane.function import cli as sdkcli

if TYPE_CHECKING:  # gRPC and the protos load only to serve, as in function.main
    import grpc
    from crossplane.function.proto.v1 import run_function_pb2 as fnv1


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@sdkcli.standard_options
def cli(**options: Any) -> None:
    """Serve the no-op function (the bench's floor) through the project's own serving code."""
    # Same import placement as function.main: gRPC loads only to serve.
    from crossplane.function import response  # noqa: PLC0415
    from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1  # noqa: PLC0415

    from function.main import serve_runner  # noqa: PLC0415

    class NoopRunner(grpcv1.FunctionRunnerServiceServicer):
        """Returns the request's desired state and context, tag copied, default TTL."""

        async def RunFunction(  # noqa: N802 - gRPC method name
            self,
            req: fnv1.RunFunctionRequest,
            _context: grpc.aio.ServicerContext[Any, Any] | None = None,
        ) -> fnv1.RunFunctionResponse:
            return response.to(req)

    # The SDK's standard options are exactly serve_runner's keywords.
    serve_runner(NoopRunner, **options, reuse_port=False)
