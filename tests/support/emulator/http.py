"""The HTTP plumbing every emulated host shares: a request, an answer, a server, a handler."""
from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .state import EmulatorState, RequestRecord

logger = logging.getLogger(__name__)


class Reply(Exception):
    """Raised by a route to answer at once (errors included)."""

    def __init__(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None,
                 code: str | None = None, auth: str = "none") -> None:
        super().__init__(status)
        self.status, self.body, self.headers, self.code, self.auth = status, body, dict(headers or {}), code, auth


def azure_error(status: int, code: str, message: str, inner: str | None = None,
                headers: Mapping[str, str] | None = None, auth: str = "none") -> Reply:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner}
    return Reply(status, {"error": error}, headers, code=inner or code, auth=auth)


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        self.headers = handler.headers
        self.body = body

    def bearer(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value[7:].strip() if value.lower().startswith("bearer ") else None

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise azure_error(400, "InvalidRequestContent", "The request body is not valid JSON.") from None


Route = Callable[[Request], Reply]


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, role: str, route: Route, state: EmulatorState, context: ssl.SSLContext) -> None:
        self.role, self.route, self.state = role, route, state
        super().__init__(("127.0.0.1", 0), _Handler)
        # Handshake in the request thread, not in accept(): a stuck client cannot block the server.
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("emulator %s: connection error from %s", self.role, client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        logger.debug("emulator %s: " + format, self.server.role, *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self, self.rfile.read(length) if length else b"")
        try:
            reply = self.server.route(request)
        except Reply as raised:
            reply = raised
        # Record before answering, so a test reading the log after its call sees this request.
        self.server.state.record(RequestRecord(
            self.server.role, request.method, request.path, reply.status, reply.auth, reply.code, time.monotonic()))
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, (bytes, str)):
            payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
            content_type = "text/plain; charset=utf-8"
        else:
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


# --- Entra ID -----------------------------------------------------------------
