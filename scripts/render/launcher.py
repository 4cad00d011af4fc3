"""Start this project's function on a free loopback port for the duration of a render."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

import grpc

from scripts import procs
from scripts.render.errors import RenderError
from scripts.render.runner import ANNOTATION_RUNTIME, ANNOTATION_TARGET, RUNTIME_DEVELOPMENT

FUNCTION_NAME = "function-ephemeral-cluster"
COMMAND_ENV = "XP_RENDER_FUNCTION_COMMAND"
STOP_GRACE_SECONDS = 5.0
_TAIL_BYTES = 4096
_TAIL_LINES = 8


def default_command() -> list[str]:
    """The project's function CLI from this interpreter's environment.

    ``$XP_RENDER_FUNCTION_COMMAND`` (split like a shell would) replaces it, e.g. to try another
    build of the function.
    """
    if override := os.environ.get(COMMAND_ENV, "").strip():
        return shlex.split(override)
    script = Path(sys.executable).with_name(FUNCTION_NAME)
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from function.main import cli; cli()"]


def _tail(log: IO[bytes]) -> str:
    log.flush()
    log.seek(0, os.SEEK_END)
    size = log.tell()
    log.seek(max(0, size - _TAIL_BYTES))
    lines = log.read().decode("utf-8", "replace").strip().splitlines()[-_TAIL_LINES:]
    return " | ".join(line.strip() for line in lines if line.strip()) or "(no output)"


def _serves_grpc(port: int) -> bool:
    """The port accepts connections and a gRPC channel to it becomes ready within a second."""
    if not procs.listening(port):
        return False
    with grpc.insecure_channel(f"{procs.LOOPBACK}:{port}") as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=1.0)
        except grpc.FutureTimeoutError:
            return False
    return True


def _wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float, log: IO[bytes]) -> None:
    """Until the process answers gRPC; fail with its output if it exits or takes too long."""
    try:
        procs.wait_until(proc, lambda: _serves_grpc(port), timeout)
    except procs.ExitedError as err:
        raise RenderError(
            f"the function exited with code {err.code} during startup: {_tail(log)}"
        ) from None
    except TimeoutError:
        raise RenderError(
            f"the function did not become ready within {timeout:g}s: {_tail(log)}"
        ) from None


class FunctionProcess:
    """The function as a child process on one loopback port, which survives restarts.

    ``start()`` runs ``COMMAND --insecure --address 127.0.0.1:PORT`` and waits until it answers
    gRPC; ``stop()`` ends it by PID (SIGTERM, then SIGKILL), ``kill()`` with SIGKILL at once
    (a crash); starting again reuses the port, so clients keep their target. Everything the
    process prints, over all its runs, is kept for ``output()`` (tests scan it for secrets).
    """

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.command = list(command or default_command())
        self.env = {**os.environ, **(env or {})}
        self.port = port or procs.free_port()
        self.address = f"{procs.LOOPBACK}:{self.port}"
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """PID of the running process, None when it is not running."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def start(self) -> str:
        """Start (or start again) and wait until it serves; return its address."""
        if self.pid is not None:
            return self.address
        if self._log is None:
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        argv = [*self.command, "--insecure", "--address", self.address]
        self._log.seek(0, os.SEEK_END)
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        except OSError as exc:
            raise RenderError(f"cannot start the function ({argv[0]}): {exc.strerror}") from None
        try:
            _wait_ready(self.proc, self.port, self.startup_timeout, self._log)
        except BaseException:
            procs.stop(self.proc, STOP_GRACE_SECONDS)
            raise
        return self.address

    def stop(self) -> None:
        """Graceful stop by PID (SIGTERM, SIGKILL after the grace period)."""
        if self.proc is not None:
            procs.stop(self.proc, STOP_GRACE_SECONDS)

    def kill(self) -> None:
        """SIGKILL by PID: the process dies mid-whatever, like a crashed pod."""
        if self.proc is not None:
            procs.stop(self.proc, grace=0)

    def output(self) -> str:
        """Everything the process printed so far, over all its runs."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def close(self) -> None:
        """Stop the process and drop its output."""
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> FunctionProcess:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@contextlib.contextmanager
def running_function(
    command: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 20.0,
) -> Iterator[str]:
    """Run the function with ``--insecure --address 127.0.0.1:PORT``; yield that address."""
    with FunctionProcess(command, env=env, startup_timeout=startup_timeout) as fn:
        yield fn.address


def is_project_function(function: Mapping) -> bool:
    """Whether a Function manifest is this project's function (by name or package)."""
    meta = function.get("metadata") or {}
    package = str((function.get("spec") or {}).get("package", ""))
    repository = package.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return FUNCTION_NAME in (meta.get("name"), repository)


def route_to(functions: Sequence[Mapping], target: str) -> list[dict]:
    """Point this project's Development-runtime Functions at ``target``.

    Only Functions named ``function-ephemeral-cluster`` (or whose package is) are rerouted, so
    other functions of a pipeline keep their own targets.
    """
    out: list[dict] = []
    routed = 0
    for original in functions:
        fn = dict(original)
        annotations = dict((fn.get("metadata") or {}).get("annotations") or {})
        if is_project_function(fn) and annotations.get(ANNOTATION_RUNTIME) == RUNTIME_DEVELOPMENT:
            annotations[ANNOTATION_TARGET] = target
            fn["metadata"] = {**fn["metadata"], "annotations": annotations}
            routed += 1
        out.append(fn)
    if not routed:
        raise RenderError(
            f"--start-function: no Function named {FUNCTION_NAME} with "
            f'{ANNOTATION_RUNTIME}: "{RUNTIME_DEVELOPMENT}" in the Functions file'
        )
    return out
