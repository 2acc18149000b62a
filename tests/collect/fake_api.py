"""A tiny API 3.0 server for the client-layer tests: scripted answers per action, every request recorded.

It answers like the real API (POST JSON, `Content-Type: application/json` exactly, errors in Response.Error) and
can drop the connection, send a malformed body, or stall, so the client's handling can be tested without the SDK
being patched.
"""

from __future__ import annotations

import inspect
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]
_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/tc3_request")


@dataclass
class Recorded:
    service: str
    action: str
    region: str
    params: dict[str, Any]
    authorization: str


@dataclass
class FakeApi:
    answers: dict[str, Answer] = field(default_factory=dict)  # "service:Action" -> Response body or a function
    # "service:Action" -> faults served first, in order: an error code, "drop", "malformed" or ("stall", seconds)
    faults: dict[str, list[Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    echo_in_errors: str = ""  # text put in every error message (to prove the client scrubs it)

    def __enter__(self) -> FakeApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("Authorization", "")
                match = _SCOPE.search(auth)
                service = match.group(1) if match else ""
                action = self.headers.get("X-TC-Action", "")
                params = json.loads(body or b"{}")
                recorded = Recorded(service, action, self.headers.get("X-TC-Region", ""), params, auth)
                fake.requests.append(recorded)
                key = f"{service}:{action}"
                queue = fake.faults.get(key) or []
                fault = queue.pop(0) if queue else None
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault == "malformed":
                    return self._send(b"<html>502 Bad Gateway</html>")
                if isinstance(fault, tuple) and fault[0] == "stall":
                    time.sleep(fault[1])
                    fault = None
                if fault is not None:
                    return self._answer({"Error": {"Code": fault, "Message": f"fault {fake.echo_in_errors}"}})
                answer = fake.answers.get(key)
                if answer is None:
                    return self._answer({"Error": {"Code": "InvalidAction", "Message": f"{action} is not served"}})
                if callable(answer):  # a function of the parameters, or of (parameters, the recorded request)
                    wants_request = len(inspect.signature(answer).parameters) == 2
                    answer = answer(params, recorded) if wants_request else answer(params)
                self._answer(answer)

            def do_GET(self) -> None:  # noqa: N802 - S3-style requests: every one denied, at once
                payload = b"<Error><Code>AccessDenied</Code><Message>denied</Message></Error>"
                self.send_response(403)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_HEAD = do_GET  # noqa: N815

            def _answer(self, response: dict[str, Any]) -> None:
                self._send(json.dumps({"Response": {**response, "RequestId": "req-1"}}).encode())

            def _send(self, payload: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def calls(self, key: str) -> list[Recorded]:
        return [r for r in self.requests if f"{r.service}:{r.action}" == key]
