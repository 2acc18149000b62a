"""Scenario part: COS buckets, their replication, lifecycle, object lock, access and logging.

Before the incident (`weimob-2020`) media was unversioned, public and copied nowhere, order exports were "backed up"
into a bucket in the same region and purged after a week, and the stray replica buckets were neither locked nor
cold. The `hardened` estate replicates every protected bucket to the DR regions into locked, archived replicas.
Everything here is expressible through the S3-compatible COS API (versioning before replication and object lock).
"""

from __future__ import annotations

from typing import Any

from ..estate import Bucket, BucketAcl, Estate, LifecycleRule, ObjectLock, Replication, ReplicationRule, Transition
from .world import (
    ACCESS_LOGS,
    ACCOUNT,
    AUDIT_LOGS,
    MEDIA,
    MEDIA_REPLICA_BJ,
    MEDIA_REPLICA_NJ,
    ORDERS,
    ORDERS_COPY,
    ORDERS_REPLICA_BJ,
    PRIMARY,
    World,
)

REPLICATION_ROLE = f"qcs::cam::uin/{ACCOUNT}:uin/{ACCOUNT}"
PROD = {"env": "prod"}
BACKUP = {"env": "prod", "dr-audit:role": "backup"}


def build(world: World, estate: Estate) -> None:
    buckets = hardened_buckets(world) if world.hardened else weimob_2020_buckets(world)
    estate.cos.buckets.extend(buckets)


def make_bucket(world: World, name: str, region: str, *, age_days: int, **config: Any) -> Bucket:
    return Bucket(account=ACCOUNT, region=region, name=name, created_at=world.ago(days=age_days), **config)


def replicate(rule_id: str, destination: str, region: str) -> ReplicationRule:
    """A whole-bucket rule. Deletes are not replicated, so a replica keeps what its source loses."""
    return ReplicationRule(id=rule_id, enabled=True, prefix="", destination_bucket=destination,
                           destination_region=region, delete_marker_replication=False)


def archive_after(days: int, storage_class: str = "ARCHIVE") -> list[LifecycleRule]:
    """The replicas' rule: every version goes cold after `days`, and nothing is ever expired."""
    cold = [Transition(days=days, storage_class=storage_class)]
    return [LifecycleRule(id=f"to-{storage_class.lower()}", transitions=cold, noncurrent_transitions=list(cold))]


def log_buckets(world: World, *, audit_lock: bool) -> list[Bucket]:
    """The audit-log and access-log targets: the same in both variants except the audit bucket's lock."""
    lock = ObjectLock(enabled=True, mode="COMPLIANCE", days=180) if audit_lock else None
    return [
        make_bucket(world, AUDIT_LOGS, PRIMARY, age_days=1200, versioning="Enabled", object_lock=lock,
                    tags={"dr-audit:role": "audit-logs"}),
        # Access logs are operational data, kept half a year; as a log target this bucket is not primary data.
        make_bucket(world, ACCESS_LOGS, PRIMARY, age_days=1200, tags={"dr-audit:role": "access-logs"},
                    lifecycle=[LifecycleRule(id="expire-access-logs", expiration_days=180)]),
    ]


def weimob_2020_buckets(world: World) -> list[Bucket]:
    return [
        # Product images served straight from the bucket to browsers: public-read, unversioned, one copy.
        make_bucket(world, MEDIA, PRIMARY, age_days=1500, tags=PROD | {"app": "mall"},
                    acl=BucketAcl(public_read=True)),
        # Order exports "backed up" next door in the same region, and purged after a week to save space.
        make_bucket(world, ORDERS, PRIMARY, age_days=1400, tags=PROD | {"app": "mall"}, versioning="Enabled",
                    replication=Replication(role=REPLICATION_ROLE,
                                            rules=[replicate("orders-backup", ORDERS_COPY, PRIMARY)]),
                    lifecycle=[LifecycleRule(id="purge-old-exports", expiration_days=7)]),
        make_bucket(world, ORDERS_COPY, PRIMARY, age_days=1400, tags=PROD, versioning="Enabled"),
        # Replicas from a one-off migration: hot storage, deletable by anyone who can delete the originals.
        make_bucket(world, MEDIA_REPLICA_BJ, "ap-beijing", age_days=700, tags=BACKUP, versioning="Enabled"),
        make_bucket(world, MEDIA_REPLICA_NJ, "ap-nanjing", age_days=700, tags=BACKUP, versioning="Suspended"),
        make_bucket(world, ORDERS_REPLICA_BJ, "ap-beijing", age_days=700, tags=BACKUP,
                    lifecycle=[LifecycleRule(id="to-ia", transitions=[Transition(days=30,
                                                                                 storage_class="STANDARD_IA")])]),
        *log_buckets(world, audit_lock=False),
    ]


def hardened_buckets(world: World) -> list[Bucket]:
    replica_lock = ObjectLock(enabled=True, mode="COMPLIANCE", days=90)
    return [
        make_bucket(world, MEDIA, PRIMARY, age_days=1500, tags=PROD | {"app": "mall"}, versioning="Enabled",
                    replication=Replication(role=REPLICATION_ROLE, rules=[
                        replicate("media-to-beijing", MEDIA_REPLICA_BJ, "ap-beijing"),
                        replicate("media-to-nanjing", MEDIA_REPLICA_NJ, "ap-nanjing"),
                    ]),
                    # Old versions go cold but are never deleted: data only grows.
                    lifecycle=[LifecycleRule(id="archive-old-versions",
                                             noncurrent_transitions=[Transition(days=30, storage_class="ARCHIVE")])],
                    logging_target=ACCESS_LOGS),
        make_bucket(world, ORDERS, PRIMARY, age_days=1400, tags=PROD | {"app": "mall"}, versioning="Enabled",
                    replication=Replication(role=REPLICATION_ROLE,
                                            rules=[replicate("orders-to-beijing", ORDERS_REPLICA_BJ, "ap-beijing")]),
                    logging_target=ACCESS_LOGS),
        make_bucket(world, MEDIA_REPLICA_BJ, "ap-beijing", age_days=700, tags=BACKUP, versioning="Enabled",
                    object_lock=replica_lock, lifecycle=archive_after(30)),
        make_bucket(world, MEDIA_REPLICA_NJ, "ap-nanjing", age_days=700, tags=BACKUP, versioning="Enabled",
                    object_lock=replica_lock, lifecycle=archive_after(14, "DEEP_ARCHIVE")),
        make_bucket(world, ORDERS_REPLICA_BJ, "ap-beijing", age_days=700, tags=BACKUP, versioning="Enabled",
                    object_lock=replica_lock, lifecycle=archive_after(30)),
        *log_buckets(world, audit_lock=True),
    ]
