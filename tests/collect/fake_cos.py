"""Collect COS through the real collector and boto3 from a small local server the test writes the answers of."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dr_audit.collect.client import ApiClient, RateLimiter
from dr_audit.collect.errors import Secrets
from dr_audit.collect.s3 import CosCollector, CosSource
from dr_audit.collect.tasks import TaskGroup
from dr_audit.collect.tencent.common import AccountRun, Harvest
from dr_audit.estate import Estate


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def answer(self, body: bytes, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def collect_from(handler: type[BaseHTTPRequestHandler]) -> Estate:
    """The Estate the COS collector builds for account "1" from a server answering with `handler`, on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tasks = TaskGroup(2)
        client = ApiClient(Secrets("AKIDcos000000000000000000000000000", "k"), "1", limiter=RateLimiter(enabled=False))
        run = AccountRun(client=client, account="1", regions=["ap-shanghai"], tasks=tasks,
                         harvest=Harvest(Estate(accounts=["1"])))
        CosCollector(run, CosSource(f"http://127.0.0.1:{server.server_address[1]}")).collect()
        tasks.wait()
        tasks.close()
    finally:
        server.shutdown()
        server.server_close()
    return run.estate
