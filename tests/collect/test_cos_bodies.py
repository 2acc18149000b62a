"""COS configuration bodies read through boto3 over HTTP: a body that lacks an element the reader needs leaves that
configuration unreadable, naming the operation and the element; only what S3 defines as "none" reads as none."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from dr_audit.estate import Bucket, Estate

from .fake_cos import QuietHandler, collect_from

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
BUCKET = "media-1250000001"
LISTING = (f"<ListAllMyBucketsResult {NS}><Owner><ID>1</ID></Owner><Buckets><Bucket><Name>{BUCKET}</Name>"
           "<Location>ap-shanghai</Location><CreationDate>2024-01-01T00:00:00Z</CreationDate></Bucket></Buckets>"
           "</ListAllMyBucketsResult>")
OWNER_GRANT = ("<AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
               "xsi:type=\"CanonicalUser\"><ID>1</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>"
               "</AccessControlList>")
# Complete bodies for every configuration the collector reads: each test hollows one of them.
COMPLETE = {
    "versioning": f"<VersioningConfiguration {NS}><Status>Enabled</Status></VersioningConfiguration>",
    "replication": f"<ReplicationConfiguration {NS}><Role>qcs::cam::uin/1:uin/1</Role><Rule><ID>r1</ID>"
                   "<Status>Enabled</Status><Prefix></Prefix><Destination><Bucket>qcs::cos:ap-beijing::copy-1250000001"
                   "</Bucket></Destination></Rule></ReplicationConfiguration>",
    "lifecycle": f"<LifecycleConfiguration {NS}><Rule><ID>l1</ID><Status>Enabled</Status><Filter><Prefix></Prefix>"
                 "</Filter><Expiration><Days>30</Days></Expiration></Rule></LifecycleConfiguration>",
    "object-lock": f"<ObjectLockConfiguration {NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
                   "<DefaultRetention><Mode>COMPLIANCE</Mode><Days>30</Days></DefaultRetention></Rule>"
                   "</ObjectLockConfiguration>",
    "acl": f"<AccessControlPolicy {NS}><Owner><ID>1</ID></Owner>{OWNER_GRANT}</AccessControlPolicy>",
    "policy": '{"Statement": []}',
    "tagging": f"<Tagging {NS}><TagSet><Tag><Key>env</Key><Value>prod</Value></Tag></TagSet></Tagging>",
    "logging": f"<BucketLoggingStatus {NS}><LoggingEnabled><TargetBucket>logs-1250000001</TargetBucket>"
               "<TargetPrefix>m/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>",
}


def collect_cos(bodies: dict[str, str], listing: str = LISTING) -> Estate:
    class Cos(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            body = listing if url.path == "/" else bodies[url.query.split("=")[0].split("&")[0]]
            self.answer(body.encode())

    return collect_from(Cos)


def collect_bucket(bodies: dict[str, str]) -> tuple[Bucket, Estate]:
    estate = collect_cos(bodies)
    [bucket] = estate.cos.buckets
    return bucket, estate


@pytest.fixture(scope="module")
def complete() -> Iterator[Bucket]:
    bucket, estate = collect_bucket(COMPLETE)
    assert not estate.gaps
    yield bucket


def test_a_complete_set_of_bodies_reads_in_full(complete):
    assert complete.unreadable == {}
    assert complete.versioning == "Enabled" and complete.replication is not None
    assert complete.replication.rules[0].destination_bucket == "copy-1250000001"
    assert complete.lifecycle[0].expiration_days == 30 and complete.object_lock is not None
    assert complete.object_lock.enabled and complete.tags == {"env": "prod"}
    assert complete.logging_target == "logs-1250000001"


@pytest.mark.parametrize(("subresource", "body", "attribute", "missing"), [
    ("replication", f"<ReplicationConfiguration {NS}><Role>r</Role></ReplicationConfiguration>", "replication",
     "ReplicationConfiguration.Rules"),
    ("replication", f"<ReplicationConfiguration {NS}><Role>r</Role><Rule><ID>r1</ID><Status>Enabled</Status>"
                    "</Rule></ReplicationConfiguration>", "replication", "Rules[].Destination"),
    ("replication", f"<ReplicationConfiguration {NS}><Role>r</Role><Rule><ID>r1</ID><Destination><Bucket>b"
                    "</Bucket></Destination></Rule></ReplicationConfiguration>", "replication", "Rules[].Status"),
    ("lifecycle", f"<LifecycleConfiguration {NS}></LifecycleConfiguration>", "lifecycle", "Rules"),
    ("lifecycle", f"<LifecycleConfiguration {NS}><Rule><ID>l1</ID><Expiration><Days>30</Days></Expiration></Rule>"
                  "</LifecycleConfiguration>", "lifecycle", "Rules[].Status"),
    ("object-lock", f"<ObjectLockConfiguration {NS}><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>1</Days>"
                    "</DefaultRetention></Rule></ObjectLockConfiguration>", "object_lock",
     "ObjectLockConfiguration.ObjectLockEnabled"),
    ("acl", f"<AccessControlPolicy {NS}><Owner><ID>1</ID></Owner></AccessControlPolicy>", "acl", "Grants"),
    ("tagging", f"<Tagging {NS}></Tagging>", "tags", "TagSet"),
    ("policy", "", "policy", "Policy"),
])
def test_a_body_without_a_needed_element_leaves_its_configuration_unreadable(complete, subresource, body, attribute,
                                                                           missing):
    bucket, estate = collect_bucket({**COMPLETE, subresource: body})
    assert set(bucket.unreadable) == {attribute}
    assert bucket.unreadable[attribute].endswith(f"MissingField: answer has no {missing}")
    assert not estate.gaps


@pytest.mark.parametrize(("subresource", "body", "attribute", "none"), [
    # S3 answers a bucket whose versioning was never enabled without a Status, and one that logs nowhere without
    # LoggingEnabled: both are documented as "off", not as a missing answer.
    ("versioning", f"<VersioningConfiguration {NS}></VersioningConfiguration>", "versioning", None),
    ("logging", f"<BucketLoggingStatus {NS}></BucketLoggingStatus>", "logging_target", None),
])
def test_what_s3_defines_as_off_reads_as_off(subresource, body, attribute, none):
    bucket, _ = collect_bucket({**COMPLETE, subresource: body})
    assert bucket.unreadable == {} and getattr(bucket, attribute) is none


def test_a_listing_without_its_buckets_element_is_a_gap():
    estate = collect_cos(COMPLETE, f"<ListAllMyBucketsResult {NS}><Owner><ID>1</ID></Owner></ListAllMyBucketsResult>")
    assert estate.cos.buckets == []
    [gap] = estate.gaps
    assert (gap.service, gap.operation, gap.code, gap.message) == ("cos", "ListBuckets", "MissingField",
                                                                   "answer has no Buckets")
