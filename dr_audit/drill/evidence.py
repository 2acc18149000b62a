"""Automated drill evidence, read-only: the newest recovery point per protected resource, and sampled replica objects.

Recovery points come from the Estate (CBS snapshots, MySQL backups, off-site copies as collected) and, for COS
replicas, from listing the replica buckets. Replica objects are verified with metadata reads only (ListObjectsV2 and
HeadObject): same size and ETag as the source. Whatever cannot be read is recorded with the reason, never passed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ..estate import Bucket, Estate
from ..estate.cos import bucket_roles
from .plan import DrillPlan

LIST_PAGE_LIMIT = 20  # pages of 1,000 keys read to find a replica's newest object


class ObjectReader(Protocol):
    """The two S3 reads the drill needs. Errors are raised as ReadFailed with a one-line reason."""

    def list_objects(self, bucket: str, region: str, *, prefix: str = "", pages: int = 1) -> list[dict[str, Any]]: ...

    def head_object(self, bucket: str, region: str, key: str) -> dict[str, Any] | None: ...


class ReadFailed(Exception):
    """An S3 read failed; the message is the reason (error code, never a credential)."""


def _stamp(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _minutes(later: datetime, earlier: datetime) -> float:
    return round((later - earlier).total_seconds() / 60, 2)


@dataclass
class Scoped:
    """The part of the Estate a drill plan covers."""

    estate: Estate
    plan: DrillPlan

    def includes(self, account: str, region: str) -> bool:
        accounts, regions = self.plan.scope.accounts, self.plan.scope.regions
        return (not accounts or account in accounts) and (not regions or not region or region in regions)

    def protected_buckets(self) -> list[Bucket]:
        # Audit-log buckets are log targets, not primary data (DESIGN.md §4); tracks name them without the APPID.
        audit = [t.storage_name for t in self.estate.cloudaudit.tracks if t.storage_type == "cos" and t.storage_name]
        roles = bucket_roles(self.estate.cos.buckets, audit_buckets=audit)
        # A bucket whose role is unknown may hold primary data: its copies are verified too.
        candidates = roles.protected + [bucket for bucket, _why in roles.undetermined]
        return [b for b in candidates if self.includes(b.account, b.region)]

    def accounts(self) -> list[str]:
        return [a for a in self.estate.accounts if not self.plan.scope.accounts or a in self.plan.scope.accounts]


def _gap_reason(estate: Estate, service: str, account: str, region: str) -> str | None:
    for gap in estate.gaps_for(service):
        if gap.covers(account, region):
            return gap.describe()
    return None


def recovery_points(scoped: Scoped, failure_at: datetime, reader: ObjectReader | None,
                    reader_problem: str) -> dict[str, Any]:
    """One entry per protected resource: its newest recovery point and that point's age at the simulated failure."""
    estate, plan = scoped.estate, scoped.plan
    points: list[dict[str, Any]] = []

    def add(resource_type: str, resource_id: str, account: str, region: str, point_kind: str,
            point_id: str | None, point_at: datetime | None, problem: str | None = None,
            age: float | None = None) -> None:
        tier = plan.tier_of(resource_id)
        if age is None and point_at is not None:
            age = max(0.0, _minutes(failure_at, point_at))
        entry = {"resource_type": resource_type, "resource_id": resource_id, "account": account, "region": region,
                 "tier": tier.name, "point": point_kind, "point_id": point_id, "point_at": _stamp(point_at),
                 "age_minutes": age, "rpo_target_minutes": tier.rpo_minutes}
        if problem:
            entry["problem"] = problem
        entry["within_target"] = None if age is None else age <= tier.rpo_minutes
        points.append(entry)

    for disk in estate.cbs.disks:
        if not scoped.includes(disk.account, disk.region):
            continue
        gap = disk.unknown("snapshots") or _gap_reason(estate, "cbs", disk.account, disk.region)
        # The recovery points cbs_snapshot_fresh judges: a cross-region copy would date the data too late.
        newest = max(estate.cbs.recovery_points_of(disk), key=lambda s: s.created_at, default=None)
        if newest is None:
            add("cbs.disk", disk.disk_id, disk.account, disk.region, "cbs.snapshot", None, None,
                gap or "no snapshot of this disk exists")
        else:
            add("cbs.disk", disk.disk_id, disk.account, disk.region, "cbs.snapshot", newest.snapshot_id,
                newest.created_at)
    for instance in estate.cdb.masters():
        if not scoped.includes(instance.account, instance.region):
            continue
        unreadable = instance.unknown("backups") or _gap_reason(estate, "cdb", instance.account, instance.region)
        ok = [b for b in instance.backups if b.status == "SUCCESS" and (b.finished_at or b.started_at)]
        newest_backup = max(ok, key=lambda b: b.finished_at or b.started_at, default=None)  # type: ignore[arg-type, return-value]
        if newest_backup is None:
            add("cdb.instance", instance.instance_id, instance.account, instance.region, "cdb.backup", None, None,
                unreadable or "no successful backup exists")
        else:
            add("cdb.instance", instance.instance_id, instance.account, instance.region, "cdb.backup",
                newest_backup.backup_id, newest_backup.finished_at or newest_backup.started_at)
    for source in scoped.protected_buckets():
        rules = [r for r in (source.replication.rules if source.replication else []) if r.enabled]
        if not rules:
            add("cos.bucket", source.name, source.account, source.region, "cos.replica", None, None,
                "no enabled replication rule: no replica to recover from")
            continue
        for rule in rules:
            if reader is None:
                add("cos.bucket", source.name, source.account, source.region, "cos.replica",
                    rule.destination_bucket, None, f"replica not listed: {reader_problem}")
                continue
            try:
                src_newest = _newest(reader.list_objects(source.name, source.region, prefix=rule.prefix,
                                                          pages=LIST_PAGE_LIMIT))
                dst_newest = _newest(reader.list_objects(rule.destination_bucket, rule.destination_region,
                                                          prefix=rule.prefix, pages=LIST_PAGE_LIMIT))
            except ReadFailed as exc:
                add("cos.bucket", source.name, source.account, source.region, "cos.replica",
                    rule.destination_bucket, None, f"replica not listed: {exc}")
                continue
            # Replication makes the replica as fresh as the source: data at risk is what the source holds newer
            # than the replica's newest object (zero when the replica has caught up, or the source is empty).
            if src_newest is None:
                add("cos.bucket", source.name, source.account, source.region, "cos.replica",
                    rule.destination_bucket, dst_newest, age=0.0)
            elif dst_newest is None:
                add("cos.bucket", source.name, source.account, source.region, "cos.replica",
                    rule.destination_bucket, None, "the replica holds no object although the source does")
            else:
                lag = max(0.0, _minutes(src_newest, dst_newest))
                add("cos.bucket", source.name, source.account, source.region, "cos.replica",
                    rule.destination_bucket, dst_newest, age=lag)
    for copy in estate.offsite.copies:
        problem = copy.unknown("bucket", "newest_object_at") or _gap_reason(estate, "offsite", copy.account, "")
        add("offsite.bucket", copy.resource_id, copy.account, copy.region, "offsite.object", copy.bucket,
            copy.newest_object_at, problem or (None if copy.newest_object_at else "the off-site copy holds no object"))
    for missing in estate.gaps:  # an inventory that failed hides resources: their recovery points are unknown
        if missing.service in ("cbs", "cdb", "cos") and scoped.includes(missing.account, missing.region):
            points.append({"resource_type": "service", "resource_id": missing.service, "account": missing.account,
                           "region": missing.region, "tier": plan.tiers[-1].name, "point": missing.service,
                           "point_id": None, "point_at": None, "age_minutes": None,
                           "rpo_target_minutes": plan.tiers[-1].rpo_minutes, "problem": missing.describe(),
                           "within_target": None})
    return {"failure_at": _stamp(failure_at), "points": points}


def _newest(objects: Iterable[dict[str, Any]]) -> datetime | None:
    stamps = [o["LastModified"] for o in objects if o.get("LastModified") is not None]
    return max(stamps) if stamps else None


def recovery_outcome(evidence: dict[str, Any]) -> tuple[str, str]:
    points = evidence["points"]
    late = [p for p in points if p["within_target"] is False]
    unknown = [p for p in points if p["within_target"] is None]
    if not points:
        return "fail", "no protected resource in scope: nothing shows the estate can be recovered"
    if late:
        return "fail", f"{len(late)} of {len(points)} recovery points are older than their tier's RPO"
    if unknown:
        return "fail", f"{len(unknown)} of {len(points)} resources have no readable recovery point"
    return "pass", f"all {len(points)} recovery points are within their tier's RPO"


@dataclass
class Comparison:
    source: str
    destination: str
    location: str
    sampled: int = 0
    matched: int = 0
    mismatches: list[dict[str, str]] = field(default_factory=list)
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source, "destination": self.destination, "location": self.location,
                                "sampled": self.sampled, "matched": self.matched, "mismatches": self.mismatches}
        if self.problem:
            data["problem"] = self.problem
        return data


def replica_checksums(scoped: Scoped, sample_size: int, cos: ObjectReader | None, cos_problem: str,
                      offsite: ObjectReader | None, offsite_problem: str) -> dict[str, Any]:
    """Sample each protected bucket's objects and head each one in every replica and off-site copy."""
    comparisons: list[Comparison] = []
    for source in scoped.protected_buckets():
        rules = [r for r in (source.replication.rules if source.replication else []) if r.enabled]
        copies = [c for c in scoped.estate.offsite.copies if c.source_bucket == source.name]
        targets: list[tuple[str, str, str, ObjectReader | None, str, str]] = [
            (r.destination_bucket, r.destination_region, f"cos:{r.destination_region}", cos, cos_problem, r.prefix)
            for r in rules
        ] + [(c.bucket, c.region, f"offsite:{c.target}", offsite, offsite_problem, "") for c in copies]
        if not targets:
            comparisons.append(Comparison(source.name, "", "none", problem="no replica or off-site copy exists"))
            continue
        if cos is None:
            comparisons += [Comparison(source.name, t[0], t[2], problem=f"source not sampled: {cos_problem}")
                            for t in targets]
            continue
        try:
            listed = cos.list_objects(source.name, source.region)
        except ReadFailed as exc:
            comparisons += [Comparison(source.name, t[0], t[2], problem=f"source not listed: {exc}") for t in targets]
            continue
        for bucket, region, location, reader, problem, prefix in targets:
            comparison = Comparison(source.name, bucket, location)
            comparisons.append(comparison)
            candidates = [o for o in listed if o["Key"].startswith(prefix)]
            sample = _spread(candidates, sample_size)
            if not sample:
                comparison.problem = "the source holds no object to sample"
                continue
            if reader is None:
                comparison.problem = f"not verified: {problem}"
                continue
            for obj in sample:
                comparison.sampled += 1
                try:
                    head = reader.head_object(bucket, region, obj["Key"])
                except ReadFailed as exc:
                    comparison.mismatches.append({"key": obj["Key"], "reason": f"could not be read: {exc}"})
                    continue
                reason = _difference(obj, head)
                if reason:
                    comparison.mismatches.append({"key": obj["Key"], "reason": reason})
                else:
                    comparison.matched += 1
    return {"sample_size": sample_size, "comparisons": [c.as_dict() for c in comparisons]}


def _spread(objects: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """An evenly spread, deterministic sample: the same listing always yields the same keys."""
    if len(objects) <= size:
        return objects
    step = len(objects) / size
    return [objects[int(i * step)] for i in range(size)]


def _difference(source: dict[str, Any], head: dict[str, Any] | None) -> str | None:
    if head is None:
        return "missing from the copy"
    if int(head.get("ContentLength", -1)) != int(source.get("Size", -2)):
        return f"size {head.get('ContentLength')} differs from the source's {source.get('Size')}"
    if str(head.get("ETag", "")).strip('"') != str(source.get("ETag", "")).strip('"'):
        return "ETag (checksum) differs from the source's"
    return None


def replica_outcome(evidence: dict[str, Any]) -> tuple[str, str]:
    comparisons = evidence["comparisons"]
    if not comparisons:
        return "fail", "no protected bucket in scope: no replica could be verified"
    bad = [c for c in comparisons if c["mismatches"]]
    unverified = [c for c in comparisons if c.get("problem")]
    checked = sum(c["matched"] for c in comparisons)
    if bad:
        return "fail", f"{sum(len(c['mismatches']) for c in bad)} sampled objects are missing or differ in copies"
    if unverified:
        first = unverified[0]["problem"]
        return "fail", f"{len(unverified)} of {len(comparisons)} copies could not be verified: {first}"
    return "pass", f"{checked} sampled objects match in all {len(comparisons)} copies"


class S3Reader:
    """ObjectReader over boto3 against one S3-compatible endpoint (COS, the emulator's moto, an off-site cloud)."""

    def __init__(self, endpoint_url: str | None, credentials: tuple[str, str, str | None] | None,
                 default_region: str = "ap-shanghai"):
        self.endpoint_url = endpoint_url
        self.credentials = credentials
        self.default_region = default_region
        self._clients: dict[str, Any] = {}

    def _client(self, region: str) -> Any:
        region = region or self.default_region
        if region not in self._clients:
            # The guarded factory: only the drill's metadata reads (ListObjectsV2, HeadObject) can leave it.
            from ..collect.clients import s3_client
            from ..collect.errors import Secrets

            secrets = Secrets(*self.credentials) if self.credentials is not None else None
            endpoint = self.endpoint_url or f"https://cos.{region}.myqcloud.com"
            self._clients[region] = s3_client("drill", endpoint, region, secrets)
        return self._clients[region]

    def list_objects(self, bucket: str, region: str, *, prefix: str = "", pages: int = 1) -> list[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        objects: list[dict[str, Any]] = []
        token: str | None = None
        try:
            for _ in range(pages):
                kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": 1000}
                if token:
                    kwargs["ContinuationToken"] = token
                page = self._client(region).list_objects_v2(**kwargs)
                objects += page.get("Contents", [])
                token = page.get("NextContinuationToken")
                if not page.get("IsTruncated") or not token:
                    break
        except ClientError as exc:
            raise ReadFailed(f"ListObjectsV2 {bucket}: {exc.response.get('Error', {}).get('Code', 'error')}") from None
        except BotoCoreError as exc:
            raise ReadFailed(f"ListObjectsV2 {bucket}: {type(exc).__name__}") from None
        return objects

    def head_object(self, bucket: str, region: str, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            head: dict[str, Any] = self._client(region).head_object(Bucket=bucket, Key=key)
            return head
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "error"))
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise ReadFailed(f"HeadObject {bucket}/{key}: {code}") from None
        except BotoCoreError as exc:
            raise ReadFailed(f"HeadObject {bucket}/{key}: {type(exc).__name__}") from None


def cos_credentials() -> tuple[str, str, str | None] | None:
    """COS is signed with the Tencent Cloud keys (DESIGN.md §5); read from the environment like the SDK does."""
    secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID", "").strip()
    secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY", "").strip()
    if secret_id and secret_key:
        return secret_id, secret_key, os.environ.get("TENCENTCLOUD_SESSION_TOKEN") or None
    return None
