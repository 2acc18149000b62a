"""COS buckets and the configuration that keeps their data: versioning, replication, lifecycle, object lock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ..fields import new_dict, new_list
from .base import DAYS, TIMESTAMP, Model, Plausible, Resource
from .cloudaudit import AuditTrack
from .index import Indexed

if TYPE_CHECKING:
    from ..scope import Scope

# Storage classes that count as cold. COS's ARCHIVE is what S3-compatible servers call GLACIER (flexible retrieval);
# DEEP_ARCHIVE has the same name in both. GLACIER_IR (instant retrieval) is not cold enough to count.
COLD_STORAGE_CLASSES = ("ARCHIVE", "DEEP_ARCHIVE", "GLACIER")

# Values of the `dr-audit:role` tag that declare a bucket's role when the pack does not select it by name.
BACKUP_ROLES = frozenset({"backup", "replica"})
LOG_ROLES = frozenset({"logs", "audit-logs", "access-logs"})
ROLE_TAG = "dr-audit:role"
EXCLUDE_TAG = "dr-audit:exclude"


class ReplicationRule(Model):
    id: str = ""
    enabled: bool = True
    prefix: str = ""  # "" replicates the whole bucket
    destination_bucket: str  # bucket name with its APPID, e.g. data-dr-1250000000
    destination_region: str  # parsed from qcs::cos:<region>::<bucket>
    storage_class: str | None = None  # class of the copies; None keeps the source object's class
    delete_marker_replication: bool | None = None

    @property
    def cold(self) -> bool:
        return is_cold(self.storage_class)


class Replication(Model):
    role: str = ""
    rules: list[ReplicationRule] = Field(default_factory=new_list)


class Transition(Model):
    days: Annotated[int | None, DAYS] = None
    date: str | None = None  # ISO 8601 date or date-time, as the lifecycle XML gives it
    storage_class: str

    @property
    def cold(self) -> bool:
        return is_cold(self.storage_class)


class LifecycleRule(Model):
    id: str = ""
    enabled: bool = True
    prefix: str = ""
    transitions: list[Transition] = Field(default_factory=new_list)
    noncurrent_transitions: list[Transition] = Field(default_factory=new_list)
    expiration_days: Annotated[int | None, DAYS] = None
    expiration_date: str | None = None
    expired_object_delete_marker: bool = False
    noncurrent_expiration_days: Annotated[int | None, DAYS] = None


class ObjectLock(Model):
    enabled: bool = False
    mode: str | None = None  # COS supports COMPLIANCE only
    days: Annotated[int | None, DAYS] = None
    years: Annotated[int | None, Plausible(0, 100)] = None

    @property
    def retention_days(self) -> int:
        return (self.days or 0) + 365 * (self.years or 0)


class BucketAcl(Model):
    public_read: bool = False
    public_write: bool = False


class Bucket(Resource):
    """A COS bucket. A config that was read and found absent is None; one that failed is in `unreadable`.

    `unreadable` keys are this model's field names: tags, versioning, replication, lifecycle, object_lock, acl,
    policy, logging_target. A 404 "not configured" answer (no replication, lifecycle, lock, policy or tags) is a
    successful read of an absent config, not an unreadable one.
    """

    RESOURCE_TYPE = "cos.bucket"

    name: str
    tags: dict[str, str] = Field(default_factory=new_dict)
    versioning: str | None = None  # Enabled / Suspended / None (never enabled)
    replication: Replication | None = None
    lifecycle: list[LifecycleRule] = Field(default_factory=new_list)
    object_lock: ObjectLock | None = None
    acl: BucketAcl = Field(default_factory=BucketAcl)
    policy: dict[str, Any] | None = None  # the bucket policy document
    logging_target: str | None = None  # target bucket of access logging, None when off
    created_at: Annotated[datetime | None, TIMESTAMP] = None

    @property
    def resource_id(self) -> str:
        return self.name


class CosState(Indexed):
    buckets: list[Bucket] = Field(default_factory=new_list)

    def bucket(self, name: str) -> Bucket | None:
        return self._first("buckets", self.buckets, lambda b: b.name, name)

    def appids(self) -> set[str]:
        """The APPIDs of the accounts whose buckets this estate listed."""
        return {appid for b in self.buckets if (appid := appid_of(b.name))}

    def roles(self, scope: Scope, audit_tracks: Iterable[AuditTrack] = ()) -> BucketRoles:
        """Protected and backup buckets under a pack's scope; CloudAudit storage buckets are log targets."""
        return scoped_roles(self.buckets, scope, audit_storage_buckets(audit_tracks))


def scoped_roles(buckets: Sequence[Bucket], scope: Scope, audit_buckets: Sequence[str] = ()) -> BucketRoles:
    """bucket_roles with the pack scope's selections; `audit_buckets` are CloudAudit storage buckets."""
    return bucket_roles(
        buckets,
        include_protected=scope.protected_buckets.include,
        exclude_protected=scope.protected_buckets.exclude,
        include_backup=scope.backup_buckets.include,
        exclude_backup=scope.backup_buckets.exclude,
        audit_buckets=audit_buckets,
    )



def appid_of(bucket_name: str) -> str | None:
    """The APPID suffix of a COS bucket name (`media-1250000001` -> `1250000001`), None when there is none."""
    _, _, suffix = bucket_name.rpartition("-")
    return suffix if suffix.isdigit() else None


def names_bucket(name: str, bucket_name: str) -> bool:
    """Whether `name` names this bucket, with or without its APPID (CloudAudit stores names without it)."""
    if name == bucket_name:
        return True
    return bucket_name.startswith(f"{name}-") and appid_of(bucket_name) == bucket_name[len(name) + 1:]


def audit_storage_buckets(tracks: Iterable[AuditTrack]) -> list[str]:
    """Names (without APPID) of the COS buckets that CloudAudit tracks deliver to, whether or not a track is on."""
    return [t.storage_name for t in tracks if (t.storage_type or "").lower() == "cos" and t.storage_name]


def is_cold(storage_class: str | None, cold_classes: Iterable[str] = COLD_STORAGE_CLASSES) -> bool:
    if not storage_class:
        return False
    return storage_class.strip().upper() in {c.upper() for c in cold_classes}


@dataclass
class BucketRoles:
    """Which buckets hold primary data and which hold copies, plus what kept a bucket's role from being known.

    `undetermined` pairs each bucket whose role is unknown with why (its tags could not be read and they would
    decide it). `unmapped_sources` are buckets whose replication could not be read: the backup buckets they feed are
    unknown, so checks of backup buckets cannot claim to have seen all of them.
    """

    protected: list[Bucket] = field(default_factory=list)
    backup: list[Bucket] = field(default_factory=list)
    undetermined: list[tuple[Bucket, str]] = field(default_factory=list)
    unmapped_sources: list[Bucket] = field(default_factory=list)

    def is_backup(self, bucket: Bucket) -> bool:
        return any(b.name == bucket.name for b in self.backup)


def replication_destinations(buckets: Iterable[Bucket]) -> set[str]:
    """Names of every bucket some rule replicates into (enabled or not: a paused replica is still a replica)."""
    return {
        rule.destination_bucket
        for b in buckets if b.replication is not None
        for rule in b.replication.rules
    }


def bucket_roles(buckets: Sequence[Bucket], *, include_protected: Sequence[str] = (),
                 exclude_protected: Sequence[str] = (), include_backup: Sequence[str] = (),
                 exclude_backup: Sequence[str] = (), audit_buckets: Sequence[str] = ()) -> BucketRoles:
    """Split buckets into protected and backup buckets as DESIGN.md §4 defines them.

    Backup/replica buckets: every replication destination plus those tagged `dr-audit:role=backup` (or `replica`),
    or exactly the `include_backup` globs when given; minus `exclude_backup`.
    Protected buckets: every bucket that is not a backup bucket, not a log target and not tagged
    `dr-audit:exclude`, or exactly the `include_protected` globs when given; minus `exclude_protected`.
    Log targets are access-logging targets and buckets tagged `dr-audit:role=logs` (or `audit-logs`, `access-logs`).
    CloudAudit storage buckets (`audit_buckets`: names with or without the APPID, or globs) are never protected,
    whatever the selection.

    A bucket whose tags could not be read is classified only when every possible tag would give the same role;
    otherwise it is `undetermined`, so no check passes it under a role it may not have.
    """
    destinations = replication_destinations(buckets)
    log_targets = {b.logging_target for b in buckets if b.logging_target}
    roles = BucketRoles(unmapped_sources=[b for b in buckets if "replication" in b.unreadable])

    def role(bucket: Bucket, tags: dict[str, str]) -> tuple[bool, bool]:
        if include_backup:
            backup = _matches(bucket.name, include_backup)
        else:
            backup = bucket.name in destinations or tags.get(ROLE_TAG, "").lower() in BACKUP_ROLES
        backup = backup and not _matches(bucket.name, exclude_backup)
        if include_protected:
            protected = _matches(bucket.name, include_protected)
        else:
            log_target = bucket.name in log_targets or tags.get(ROLE_TAG, "").lower() in LOG_ROLES
            protected = not backup and not log_target and EXCLUDE_TAG not in tags
        protected = protected and not _matches(bucket.name, exclude_protected) and not audit_store(bucket.name)
        return protected, backup

    def audit_store(name: str) -> bool:
        return any(names_bucket(a, name) or fnmatchcase(name, a) for a in audit_buckets)

    for bucket in buckets:
        if reason := bucket.unknown("tags"):
            possible = {role(bucket, tags) for tags in _POSSIBLE_TAGS}
            if len(possible) > 1:
                roles.undetermined.append((bucket, f"its role (protected, backup or neither) is unknown: {reason}"))
                continue
            protected, backup = possible.pop()
        else:
            protected, backup = role(bucket, bucket.tags)
        if protected:
            roles.protected.append(bucket)
        if backup:
            roles.backup.append(bucket)
    return roles


# One representative of every tag set that could change a bucket's role, for buckets whose tags are unreadable.
_POSSIBLE_TAGS: tuple[dict[str, str], ...] = (
    {}, {ROLE_TAG: "backup"}, {ROLE_TAG: "logs"}, {EXCLUDE_TAG: ""},
)


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)
