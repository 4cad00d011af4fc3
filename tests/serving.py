"""Real server processes for the tests: start on a free loopback port, call, stop by PID
(the primitives are scripts.procs, shared with xp-render's launcher)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts import procs

COMMAND = [sys.executable, "-c", "from function.main import cli; cli()"]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def env(**extra: str) -> dict[str, str]:
    """This environment without the variables the CLI reads, plus `extra`."""
    drop = ("TLS_SERVER_CERTS_DIR", "INSECURE", "WORKERS", "DEBUG", "ADDRESS")
    out = {k: v for k, v in os.environ.items() if k not in drop}
    out.update(extra)
    return out


@contextlib.contextmanager
def server(
    *args: str,
    command: list[str] | None = None,
    environ: dict[str, str] | None = None,
    ready: Callable[[subprocess.Popen[bytes]], bool] | None = None,
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A server process on a free port (`args` after --address), once it listens (and `ready`
    says so); killed by PID at the end if still running. Fails the test if it exits first."""
    port = procs.free_port()
    proc = subprocess.Popen(
        [*(command or COMMAND), "--address", f"{procs.LOOPBACK}:{port}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ or env(),
    )
    try:
        try:
            procs.wait_until(
                proc,
                lambda: procs.listening(port) and (ready is None or ready(proc)),
                START_TIMEOUT,
            )
        except procs.ExitedError as err:
            pytest.fail(f"server exited {err.code}: {proc.communicate()[1].decode()}")
        except TimeoutError:
            pytest.fail("server did not start listening")
        yield proc, port
    finally:
        procs.stop(proc, grace=0)


def stop(proc: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    """SIGTERM, wait; (exit code, stdout, stderr)."""
    code, out, err = procs.stop(proc, STOP_TIMEOUT)
    return code, out.decode(), err.decode()


def run_cli(*args: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI to completion (for the ones that must refuse to start)."""
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ or env(),
        check=False,
    )


def make_certs(directory: Path) -> Path:
    """A CA, a server pair (localhost/127.0.0.1), a client pair and a stray key, via openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed (needed to make test certificates)")

    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for name in ("ca", "stray"):
        ssl(
            "req",
            "-x509",
            *key,
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.crt",
            "-days",
            "1",
            "-subj",
            f"/CN={name}",
        )
    for name, san in (("tls", "DNS:localhost,IP:127.0.0.1"), ("client", "DNS:crossplane")):
        ssl(
            "req",
            *key,
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName={san}",
        )
        ssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.crt",
            "-days",
            "1",
            "-copy_extensions",
            "copy",
        )
    server_dir = directory / "server"
    server_dir.mkdir()
    for name in ("tls.crt", "tls.key", "ca.crt"):
        shutil.copy(directory / name, server_dir / name)
    return directory
