"""COS's own GET Service answer: each bucket's region in <Location>, pages chained by Marker/NextMarker."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .fake_cos import QuietHandler, collect_from

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

    class Cos(QuietHandler):
        def do_GET(self):  # noqa: N802
            url = urlsplit(self.path)
            if url.path == "/":
                marker = parse_qs(url.query).get("marker", [""])[0]
                seen_markers.append(marker)
                self.answer(listing(marker))
            else:  # every bucket configuration: not configured
                self.answer(b"<Error><Code>NoSuchConfiguration</Code><Message>none</Message></Error>", 404)

    estate = collect_from(Cos)
    assert seen_markers == ["", "photos-1250000001"]
    buckets = {b.name: b for b in estate.cos.buckets}
    assert {n: b.region for n, b in buckets.items()} == {"logs-1250000001": "ap-beijing",
                                                         "photos-1250000001": "ap-shanghai",
                                                         "videos-1250000001": "ap-nanjing"}
    assert estate.gaps == []
    # A 404 on a configuration that is optional reads as "not configured"; on versioning it is unreadable.
    photos = buckets["photos-1250000001"]
    assert set(photos.unreadable) == {"versioning", "acl", "logging_target"}
    assert "NoSuchConfiguration" in photos.unreadable["versioning"]
