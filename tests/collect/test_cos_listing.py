"""COS's own GET Service answer: each bucket's region in <Location>, pages chained by Marker/NextMarker."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from dr_audit.collect.client import ApiClient, RateLimiter, Secrets
from dr_audit.collect.s3 import CosCollector, CosSource
from dr_audit.collect.tasks import TaskGroup
from dr_audit.collect.tencent.common import AccountRun, Harvest
from dr_audit.estate import Estate

PAGES = {
    "": ("true", "photos-1250000001", [("logs-1250000001", "ap-beijing"), ("photos-1250000001", "ap-shanghai")]),
    "photos-1250000001": ("false", "", [("videos-1250000001", "ap-nanjing")]),
}


def listing(marker: str) -> bytes:
    truncated, next_marker, buckets = PAGES[marker]
    entries = "".join(f"<Bucket><Name>{n}</Name><Location>{r}</Location><CreationDate>2024-01-01T00:00:00Z"
                      f"</CreationDate></Bucket>" for n, r in buckets)
    return (f'<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>qcs::cam::uin/1:uin/1'
            f"</ID></Owner><Marker>{marker}</Marker><NextMarker>{next_marker}</NextMarker><IsTruncated>{truncated}"
            f"</IsTruncated><Buckets>{entries}</Buckets></ListAllMyBucketsResult>").encode()


def test_bucket_regions_come_from_location_and_every_page_is_read():
    seen_markers: list[str] = []

    class Cos(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            url = urlsplit(self.path)
            if url.path == "/":
                marker = parse_qs(url.query).get("marker", [""])[0]
                seen_markers.append(marker)
                body, status = listing(marker), 200
            else:  # every bucket configuration: not configured
                body, status = b"<Error><Code>NoSuchConfiguration</Code><Message>none</Message></Error>", 404
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Cos)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tasks = TaskGroup(4)
        client = ApiClient(Secrets("AKIDcos000000000000000000000000000", "k"), "1", limiter=RateLimiter(enabled=False))
        run = AccountRun(client=client, account="1", regions=["ap-shanghai"], tasks=tasks,
                         harvest=Harvest(Estate(accounts=["1"])))
        CosCollector(run, CosSource(f"http://127.0.0.1:{server.server_address[1]}")).collect()
        tasks.wait()
        tasks.close()
    finally:
        server.shutdown()
        server.server_close()
    assert seen_markers == ["", "photos-1250000001"]
    buckets = {b.name: b for b in run.estate.cos.buckets}
    assert {n: b.region for n, b in buckets.items()} == {"logs-1250000001": "ap-beijing",
                                                         "photos-1250000001": "ap-shanghai",
                                                         "videos-1250000001": "ap-nanjing"}
    assert run.estate.gaps == []
    # A 404 on a configuration that is optional reads as "not configured"; on versioning it is unreadable.
    photos = buckets["photos-1250000001"]
    assert set(photos.unreadable) == {"versioning", "acl", "logging_target"}
    assert "NoSuchConfiguration" in photos.unreadable["versioning"]
