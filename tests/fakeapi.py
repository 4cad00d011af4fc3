"""A scripted Kubernetes API server on loopback that replays recorded responses.

Each exchange is (verb, path, reply): verb is the HTTP method, or WATCH for a GET with
`watch=true`. A watch reply streams its JSON lines the way the API server does: HTTP 200,
`Transfer-Encoding: chunked`, one event per chunk, each ending in a newline, then the end of
the stream (the server-side `timeoutSeconds` ran out). Requests are recorded for assertions;
one that does not match the next exchange gets a 500 Status naming what was expected.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DATA = Path(__file__).resolve().parent / "data" / "kube"


def recorded(name: str) -> Any:
    """A recorded JSON body from tests/data/kube."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def recorded_lines(name: str) -> list[str]:
    """A recorded watch stream from tests/data/kube: one JSON event per line."""
    return (DATA / name).read_text(encoding="utf-8").splitlines()


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None
    stream: list[str] | None = None
    #: Cut the connection after the stream's lines, without ending the chunked body.
    drop: bool = False


@dataclasses.dataclass(frozen=True)
class Request:
    verb: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


class FakeAPI:
    """The script, the requests seen, and the server's base URL."""

    def __init__(self, script: list[tuple[str, str, Reply]]) -> None:
        self.script = list(script)
        self.requests: list[Request] = []
        self.url = ""
        self._lock = threading.Lock()

    def next_reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if not self.script:
                return _status(500, "InternalError", f"script exhausted at {request.verb}")
            verb, path, reply = self.script[0]
            if (verb, path) != (request.verb, request.path):
                return _status(500, "InternalError", f"expected {verb} {path}")
            self.script.pop(0)
            return reply


def _status(code: int, reason: str, message: str) -> Reply:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
    return Reply(code, {**body, "message": message, "reason": reason, "code": code})


def _handler(api: FakeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            return

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            verb = "WATCH" if query.get("watch") == "true" else self.command
            request = Request(
                verb,
                parts.path,
                query,
                {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw) if raw else None,
            )
            reply = api.next_reply(request)
            if reply.stream is not None:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for line in reply.stream:
                    chunk = (line + "\n").encode()
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                if reply.drop:
                    self.wfile.write(b'ff\r\n{"type":')
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(b"0\r\n\r\n")
                return
            body = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = _serve  # noqa: N815 - http.server's names

    return Handler


@contextmanager
def serve(script: list[tuple[str, str, Reply]]) -> Iterator[FakeAPI]:
    """Serve `script` on a free loopback port until the block ends."""
    api = FakeAPI(script)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
