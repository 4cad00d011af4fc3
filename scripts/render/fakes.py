"""Small in-process fake functions on a free loopback port, for tests of the render harness."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import crossplane.function.proto.v1.run_function_pb2_grpc as grpcv1
import crossplane.function.proto.v1beta1.run_function_pb2 as fnv1beta1
import crossplane.function.proto.v1beta1.run_function_pb2_grpc as grpcv1beta1
import grpc

from scripts.render.runner import ANNOTATION_RUNTIME, ANNOTATION_TARGET, RUNTIME_DEVELOPMENT

Handler = Callable[[fnv1.RunFunctionRequest], fnv1.RunFunctionResponse]


@dataclass
class FakeFunction:
    """A running fake: its target and every request it received (as v1 messages)."""

    target: str
    requests: list[fnv1.RunFunctionRequest] = field(default_factory=list)


class _V1(grpcv1.FunctionRunnerServiceServicer):
    def __init__(self, fake: FakeFunction, handler: Handler) -> None:
        self.fake, self.handler = fake, handler

    def RunFunction(  # noqa: N802 - gRPC method name
        self, request: fnv1.RunFunctionRequest, _context: grpc.ServicerContext
    ) -> fnv1.RunFunctionResponse:
        copy = fnv1.RunFunctionRequest()
        copy.CopyFrom(request)
        self.fake.requests.append(copy)
        return self.handler(copy)


class _V1beta1(grpcv1beta1.FunctionRunnerServiceServicer):
    def __init__(self, fake: FakeFunction, handler: Handler) -> None:
        self.fake, self.handler = fake, handler

    def RunFunction(  # noqa: N802 - gRPC method name
        self, request: fnv1beta1.RunFunctionRequest, _context: grpc.ServicerContext
    ) -> fnv1beta1.RunFunctionResponse:
        req = fnv1.RunFunctionRequest.FromString(request.SerializeToString())
        self.fake.requests.append(req)
        return fnv1beta1.RunFunctionResponse.FromString(self.handler(req).SerializeToString())


@contextlib.contextmanager
def serve_fake(handler: Handler, *, versions: tuple[str, ...] = ("v1",)) -> Iterator[FakeFunction]:
    """Serve ``handler`` on 127.0.0.1:<free port> with the given protocol versions."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    port = server.add_insecure_port("127.0.0.1:0")
    fake = FakeFunction(target=f"127.0.0.1:{port}")
    if "v1" in versions:
        grpcv1.add_FunctionRunnerServiceServicer_to_server(_V1(fake, handler), server)
    if "v1beta1" in versions:
        grpcv1beta1.add_FunctionRunnerServiceServicer_to_server(_V1beta1(fake, handler), server)
    server.start()
    try:
        yield fake
    finally:
        server.stop(grace=None)


def passthrough(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """A function with no opinion: desired state and context pass through."""
    return fnv1.RunFunctionResponse(desired=req.desired, context=req.context)


def function_manifest(
    name: str, target: str | None = None, *, runtime: str = RUNTIME_DEVELOPMENT
) -> dict:
    """A Function manifest with the render runtime annotations."""
    annotations = {ANNOTATION_RUNTIME: runtime} if runtime else {}
    if target:
        annotations[ANNOTATION_TARGET] = target
    return {
        "apiVersion": "pkg.crossplane.io/v1",
        "kind": "Function",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"package": f"xpkg.example.org/{name}:v0.1.0"},
    }


XR_API_VERSION = "ci.openshift.org/v1alpha1"
XR_KIND = "XTestPlatformCluster"


def xr_manifest(name: str = "x1", **fields: object) -> dict:
    """A minimal XR of the project's type; extra top-level fields (spec, metadata) merge in."""
    xr: dict = {
        "apiVersion": XR_API_VERSION,
        "kind": XR_KIND,
        "metadata": {"name": name},
        "spec": {},
    }
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(xr.get(key), dict):
            xr[key] = {**xr[key], **value}
        else:
            xr[key] = value
    return xr


def composition_manifest(*steps: dict | tuple[str, str], name: str = "comp") -> dict:
    """A Pipeline Composition for the project's XR type; a step is (step, function) or a dict."""
    pipeline = [
        s if isinstance(s, dict) else {"step": s[0], "functionRef": {"name": s[1]}} for s in steps
    ]
    return {
        "apiVersion": "apiextensions.crossplane.io/v1",
        "kind": "Composition",
        "metadata": {"name": name},
        "spec": {
            "compositeTypeRef": {"apiVersion": XR_API_VERSION, "kind": XR_KIND},
            "mode": "Pipeline",
            "pipeline": pipeline,
        },
    }


def probe(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
    """Passthrough that also desires a ``probe`` ConfigMap, so a caller can see it answered."""
    rsp = passthrough(req)
    rsp.meta.tag = req.meta.tag
    rsp.desired.resources["probe"].resource.update({"apiVersion": "v1", "kind": "ConfigMap"})
    rsp.desired.resources["probe"].ready = fnv1.READY_TRUE
    return rsp


def main(argv: list[str] | None = None) -> None:
    """``python -m scripts.render.fakes --insecure --address HOST:PORT``: serve ``probe``.

    A stand-in for the real function in launcher tests; writes its PID to
    ``$FAKE_FUNCTION_PIDFILE`` when set and waits ``$FAKE_FUNCTION_DELAY`` seconds per call.
    """
    import argparse  # noqa: PLC0415 - only the command-line path needs it
    import os  # noqa: PLC0415
    import pathlib  # noqa: PLC0415

    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--insecure", action="store_true")
    parser.add_argument("--banner", default="", help="a line to print once serving")
    args = parser.parse_args(argv)
    if pidfile := os.environ.get("FAKE_FUNCTION_PIDFILE"):
        pathlib.Path(pidfile).write_text(str(os.getpid()), encoding="utf-8")
    delay = float(os.environ.get("FAKE_FUNCTION_DELAY", "0"))

    def handler(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
        time.sleep(delay)
        return probe(req)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    grpcv1.add_FunctionRunnerServiceServicer_to_server(
        _V1(FakeFunction(args.address), handler), server
    )
    server.add_insecure_port(args.address)
    server.start()
    if args.banner:
        print(args.banner, flush=True)  # the launcher captures it
    server.wait_for_termination()


if __name__ == "__main__":
    main()
