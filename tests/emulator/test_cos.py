"""COS and the off-site copies in moto, read back with boto3 over HTTP exactly as the Estate describes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from dr_audit.emulator import EmulatedCloud
from dr_audit.estate import (
    Bucket,
    BucketAcl,
    Estate,
    LifecycleRule,
    ObjectLock,
    OffsiteCopy,
    Replication,
    ReplicationRule,
    Transition,
)

from .conftest import ACCOUNT, BJ, NOW, SH, ago

APPID = "1250000009"
MEDIA, REPLICA, LOGS, LOOSE = (f"{n}-{APPID}" for n in ("media", "media-replica", "logs", "loose"))
POLICY = {"Statement": [{"Effect": "Allow", "Principal": {"qcs": ["qcs::cam::anyone:anyone"]},
                         "Action": ["name/cos:GetObject"], "Resource": [f"qcs::cos:{SH}:uid/{APPID}:{MEDIA}/*"]}],
          "version": "2.0"}


def cos_estate() -> Estate:
    estate = Estate(source="snapshot", collected_at=NOW, accounts=[ACCOUNT], regions=[SH, BJ])
    estate.cos.buckets += [
        Bucket(account=ACCOUNT, region=SH, name=MEDIA, tags={"env": "prod"}, versioning="Enabled",
               replication=Replication(role=f"qcs::cam::uin/{ACCOUNT}:uin/{ACCOUNT}", rules=[ReplicationRule(
                   id="to-bj", destination_bucket=REPLICA, destination_region=BJ, storage_class="STANDARD_IA",
                   delete_marker_replication=False)]),
               lifecycle=[LifecycleRule(id="cold", noncurrent_transitions=[Transition(days=30,
                                                                                      storage_class="ARCHIVE")],
                                        noncurrent_expiration_days=365)],
               acl=BucketAcl(public_read=True), policy=POLICY, logging_target=LOGS, created_at=ago(days=800)),
        Bucket(account=ACCOUNT, region=BJ, name=REPLICA, tags={"dr-audit:role": "replica"}, versioning="Enabled",
               object_lock=ObjectLock(enabled=True, mode="COMPLIANCE", days=90),
               lifecycle=[LifecycleRule(id="archive", transitions=[Transition(days=7, storage_class="DEEP_ARCHIVE")])],
               created_at=ago(days=400)),
        Bucket(account=ACCOUNT, region=SH, name=LOGS, created_at=ago(days=700)),
        Bucket(account=ACCOUNT, region=SH, name=LOOSE, versioning="Suspended",
               lifecycle=[LifecycleRule(id="purge", prefix="tmp/", expiration_days=7)],
               acl=BucketAcl(public_write=True)),
    ]
    estate.offsite.copies.append(OffsiteCopy(
        account="offsite:cold", region="us-east-1", target="cold", bucket="media-offsite-copy", source_bucket=MEDIA,
        versioning="Enabled", object_lock=ObjectLock(enabled=True, mode="COMPLIANCE", years=1),
        lifecycle=[LifecycleRule(id="glacier", transitions=[Transition(days=1, storage_class="GLACIER")])],
        newest_object_at=ago(hours=20), newest_object_storage_class="GLACIER", object_count_sampled=3))
    estate.offsite.copies.append(OffsiteCopy(
        account="offsite:cold", target="cold", bucket="empty-offsite-copy", source_bucket=LOOSE))
    return estate


@pytest.fixture(scope="module")
def cloud() -> Iterator[EmulatedCloud]:
    with EmulatedCloud(cos_estate()) as running:
        yield running


def s3(url: str, region: str = SH) -> Any:
    return boto3.client("s3", region_name=region, endpoint_url=url, aws_access_key_id="AKIDcollector",
                        aws_secret_access_key="secret", config=Config(s3={"addressing_style": "path"}))


def test_list_buckets_names_every_bucket_with_its_region_and_creation_date(cloud):
    buckets = {b["Name"]: b for b in s3(cloud.cos_endpoint_url).list_buckets()["Buckets"]}
    assert set(buckets) == {MEDIA, REPLICA, LOGS, LOOSE}
    assert buckets[REPLICA]["BucketRegion"] == BJ and buckets[MEDIA]["BucketRegion"] == SH
    assert buckets[MEDIA]["CreationDate"].astimezone(UTC) == ago(days=800)


def test_head_bucket_gives_the_region(cloud):
    headers = s3(cloud.cos_endpoint_url, BJ).head_bucket(Bucket=REPLICA)["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-bucket-region"] == BJ


def test_versioning_replication_and_lifecycle(cloud):
    client = s3(cloud.cos_endpoint_url)
    assert client.get_bucket_versioning(Bucket=MEDIA)["Status"] == "Enabled"
    assert client.get_bucket_versioning(Bucket=LOOSE)["Status"] == "Suspended"
    assert "Status" not in client.get_bucket_versioning(Bucket=LOGS)
    replication = client.get_bucket_replication(Bucket=MEDIA)["ReplicationConfiguration"]
    rule = replication["Rules"][0]
    assert replication["Role"] == f"qcs::cam::uin/{ACCOUNT}:uin/{ACCOUNT}"
    assert rule["Destination"] == {"Bucket": f"qcs::cos:{BJ}::{REPLICA}", "StorageClass": "STANDARD_IA"}
    assert (rule["ID"], rule["Status"], rule["DeleteMarkerReplication"]) == ("to-bj", "Enabled", {"Status": "Disabled"})
    lifecycle = client.get_bucket_lifecycle_configuration(Bucket=MEDIA)["Rules"][0]
    assert lifecycle["NoncurrentVersionTransitions"] == [{"NoncurrentDays": 30, "StorageClass": "ARCHIVE"}]
    assert lifecycle["NoncurrentVersionExpiration"] == {"NoncurrentDays": 365}
    purge = client.get_bucket_lifecycle_configuration(Bucket=LOOSE)["Rules"][0]
    assert (purge["Filter"], purge["Expiration"]) == ({"Prefix": "tmp/"}, {"Days": 7})


def test_absent_configurations_answer_not_found(cloud):
    client = s3(cloud.cos_endpoint_url)
    for read in (client.get_bucket_replication, client.get_bucket_lifecycle_configuration,
                 client.get_object_lock_configuration, client.get_bucket_policy, client.get_bucket_tagging):
        with pytest.raises(ClientError):
            read(Bucket=LOGS)


def test_object_lock_tags_acl_policy_and_logging(cloud):
    client = s3(cloud.cos_endpoint_url)
    lock = client.get_object_lock_configuration(Bucket=REPLICA)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert (lock["Rule"]["DefaultRetention"]["Mode"], lock["Rule"]["DefaultRetention"]["Days"]) == ("COMPLIANCE", 90)
    assert client.get_bucket_tagging(Bucket=REPLICA)["TagSet"] == [{"Key": "dr-audit:role", "Value": "replica"}]
    public = {(g["Grantee"].get("URI"), g["Permission"]) for g in client.get_bucket_acl(Bucket=MEDIA)["Grants"]}
    assert ("http://acs.amazonaws.com/groups/global/AllUsers", "READ") in public
    writable = {(g["Grantee"].get("URI"), g["Permission"]) for g in client.get_bucket_acl(Bucket=LOOSE)["Grants"]}
    assert ("http://acs.amazonaws.com/groups/global/AllUsers", "WRITE") in writable
    private = client.get_bucket_acl(Bucket=REPLICA)["Grants"]
    assert not any((g["Grantee"].get("URI") or "").endswith("AllUsers") for g in private)
    assert json.loads(client.get_bucket_policy(Bucket=MEDIA)["Policy"]) == POLICY
    assert client.get_bucket_logging(Bucket=MEDIA)["LoggingEnabled"]["TargetBucket"] == LOGS
    assert "LoggingEnabled" not in client.get_bucket_logging(Bucket=REPLICA)


def test_offsite_copies_live_on_their_own_endpoint(cloud):
    offsite = s3(cloud.offsite_endpoint_url, "us-east-1")
    assert {b["Name"] for b in offsite.list_buckets()["Buckets"]} == {"media-offsite-copy", "empty-offsite-copy"}
    assert MEDIA not in {b["Name"] for b in offsite.list_buckets()["Buckets"]}
    with pytest.raises(ClientError):
        s3(cloud.cos_endpoint_url).head_bucket(Bucket="media-offsite-copy")


def test_offsite_configuration_and_newest_object_time_come_back_exactly(cloud):
    offsite = s3(cloud.offsite_endpoint_url, "us-east-1")
    assert offsite.get_bucket_versioning(Bucket="media-offsite-copy")["Status"] == "Enabled"
    lock = offsite.get_object_lock_configuration(Bucket="media-offsite-copy")["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE" and lock["Rule"]["DefaultRetention"]["Years"] == 1
    rule = offsite.get_bucket_lifecycle_configuration(Bucket="media-offsite-copy")["Rules"][0]
    assert rule["Transitions"] == [{"Days": 1, "StorageClass": "GLACIER"}]
    objects = offsite.list_objects_v2(Bucket="media-offsite-copy")["Contents"]
    assert len(objects) == 3
    newest = max(objects, key=lambda o: o["LastModified"])
    assert newest["LastModified"].astimezone(UTC) == ago(hours=20)
    assert newest["StorageClass"] == "GLACIER"
    assert offsite.list_objects_v2(Bucket="empty-offsite-copy")["KeyCount"] == 0


def test_created_at_without_a_value_is_now(cloud):
    buckets = {b["Name"]: b for b in s3(cloud.cos_endpoint_url).list_buckets()["Buckets"]}
    assert abs((buckets[LOOSE]["CreationDate"] - datetime.now(UTC)).total_seconds()) < 600
