"""The yardstick: the least a function that returns this project's Objects can cost.

Its RunFunction copies the observed `ec` and `credentials` Objects into the desired state and
sets the XR's connection details from `credentials`, nothing else: no input, no EC logic, no
conditions, no readiness, no cache. The project's CPU and p99 budget lines are measured
against it (the no-op floor returns nothing, so it cannot tell the function's logic from the
cost of carrying two composed Objects through protobuf and gRPC). It is served like the floor
and the project, through `function.main.serve_runner`. Run as
`python -c "from scripts.bench.copyonly import cli; cli()" ...`.

The copies leave out `status`: a desired composed resource is server-side applied to the
object itself, never to its status subresource (crossplane/crossplane v2.2.4,
internal/controller/apiextensions/composite/composition_functions.go,
`FunctionComposer.Compose`: `c.client.Patch(ctx, cd.Resource, client.Apply, ...)`), and for a
CRD with a status subresource, as provider-kubernetes' Object has (`subresources: status`),
"PUT/POST/PATCH requests to the custom resource ignore changes to the status stanza"
(Kubernetes apiextensions/v1 `CustomResourceSubresourceStatus`). The project does not send it,
and a yardstick that did would carry the observed manifest twice and flatter the project.
"""

from __future__ import annotations

from typing import Any

import click
import grpc
from crossplane.function import cli as sdkcli
from crossplane.function import response
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

COPIED = ("ec", "credentials")  # the composition resource names the project returns
CREDENTIALS = "credentials"
STATUS = "status"


def copy_only(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """The request's observed Objects as desired, plus the credentials' connection details."""
    rsp = response.to(req)
    observed = req.observed.resources
    for key in COPIED:
        if key not in observed:
            continue
        desired = rsp.desired.resources[key].resource
        desired.CopyFrom(observed[key].resource)  # one C-level copy, no field-by-field work
        if STATUS in desired:
            del desired[STATUS]
    if CREDENTIALS in observed:
        rsp.desired.composite.connection_details.update(observed[CREDENTIALS].connection_details)
    return rsp


class CopyOnlyRunner(grpcv1.FunctionRunnerServiceServicer):
    """Answers every call with `copy_only`; async like the project's servicer."""

    async def RunFunction(  # noqa: N802 - gRPC method name
        self,
        req: fnv1.RunFunctionRequest,
        _context: grpc.aio.ServicerContext[Any, Any] | None = None,
    ) -> fnv1.RunFunctionResponse:
        """Copy, nothing else."""
        return copy_only(req)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@sdkcli.standard_options
def cli(**options: Any) -> None:
    """Serve the copy-only function (the bench's yardstick) through the project's serving code."""
    from function.main import serve_runner  # noqa: PLC0415

    serve_runner(CopyOnlyRunner, **options, reuse_port=False)
