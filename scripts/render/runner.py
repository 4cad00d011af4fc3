"""Calling a Development-runtime function over plain gRPC, v1 with a v1beta1 fallback."""

from __future__ import annotations

import time
from collections.abc import Mapping

import crossplane.function.proto.v1.run_function_pb2 as fnv1
import crossplane.function.proto.v1.run_function_pb2_grpc as grpcv1
import crossplane.function.proto.v1beta1.run_function_pb2 as fnv1beta1
import crossplane.function.proto.v1beta1.run_function_pb2_grpc as grpcv1beta1
import grpc

from scripts.render.errors import RenderError

ANNOTATION_RUNTIME = "render.crossplane.io/runtime"
ANNOTATION_TARGET = "render.crossplane.io/runtime-development-target"
RUNTIME_DEVELOPMENT = "Development"
RUNTIME_DOCKER = "Docker"
DEFAULT_TARGET = "localhost:9443"


def development_target(function: Mapping) -> str:
    """Where a Function listens, per its render annotations; only Development is supported."""
    meta = function.get("metadata") or {}
    name = meta.get("name", "")
    annotations = meta.get("annotations") or {}
    runtime = annotations.get(ANNOTATION_RUNTIME, "")
    if runtime in ("", RUNTIME_DOCKER):
        raise RenderError(
            f'Function "{name}" uses the Docker runtime, which is not supported here '
            f'(no Docker): annotate it with {ANNOTATION_RUNTIME}: "{RUNTIME_DEVELOPMENT}" '
            "and run it with --insecure, or pass --start-function"
        )
    if runtime != RUNTIME_DEVELOPMENT:
        raise RenderError(
            f'Function "{name}": unsupported "{ANNOTATION_RUNTIME}" annotation value '
            f'"{runtime}" (unknown runtime)'
        )
    return annotations.get(ANNOTATION_TARGET) or DEFAULT_TARGET


def _seconds(value: float) -> str:
    return f"{value:g}s"


class FunctionClient:
    """A lazily connected client for one function target."""

    def __init__(self, name: str, target: str) -> None:
        self.name = name
        self.target = target
        self._channel: grpc.Channel | None = None

    def _connect(self) -> grpc.Channel:
        if self._channel is None:
            self._channel = grpc.insecure_channel(self.target)
        return self._channel

    def run(
        self, req: fnv1.RunFunctionRequest, *, deadline: float, timeout: float
    ) -> fnv1.RunFunctionResponse:
        """One RunFunction call, bounded by the render's deadline."""
        channel = self._connect()
        try:
            try:
                return grpcv1.FunctionRunnerServiceStub(channel).RunFunction(
                    req, timeout=self._remaining(deadline, timeout)
                )
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                    raise
            beta = fnv1beta1.RunFunctionRequest.FromString(req.SerializeToString())
            rsp = grpcv1beta1.FunctionRunnerServiceStub(channel).RunFunction(
                beta, timeout=self._remaining(deadline, timeout)
            )
            return fnv1.RunFunctionResponse.FromString(rsp.SerializeToString())
        except grpc.RpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.UNAVAILABLE:
                # Without wait-for-ready a refused connection fails the call at once.
                raise RenderError(
                    f'cannot connect to Function "{self.name}" at {self.target}: '
                    f"{exc.details()} (is it running there with --insecure?)"
                ) from None
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise RenderError(
                    f'Function "{self.name}" did not answer within {_seconds(timeout)} (--timeout)'
                ) from None
            raise RenderError(
                f'Function "{self.name}" at {self.target} failed: {code.name}: {exc.details()}'
            ) from None

    def _remaining(self, deadline: float, timeout: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RenderError(f"render timed out after {_seconds(timeout)} (--timeout)")
        return left

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
