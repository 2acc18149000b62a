"""The Estate: everything observed about an estate, typed, plus what could not be read and why.

Collectors build it, checks judge it, and it is saved and loaded as JSON (`--save-snapshot`, `--from-snapshot`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from ..errors import BadInput
from ..fields import new_list
from ..gcpause import collector_paused
from .accounts import AccountStatus
from .base import (
    ABSENT_FROM_SNAPSHOT,
    DAYS,
    DEADLINE,
    STRICT_SNAPSHOT,
    TIMESTAMP,
    Gap,
    Model,
    Origin,
    Plausible,
    Resource,
    ResourceRef,
    account_ref,
)
from .cam import AccessKey, CamAccount, CamGroup, CamPolicy, CamRole, CamState, CamUser, mask_key_id
from .cbs import CbsState, Disk, Snapshot, SnapshotPolicy, SnapshotSchedule
from .cdb import BackupConfig, CdbState, DrLink, MysqlBackup, MysqlInstance, RemoteBackupConfig, RemoteCopy
from .cloudaudit import AuditTrack, CloudAuditState
from .cos import Bucket, BucketAcl, CosState, LifecycleRule, ObjectLock, Replication, ReplicationRule, Transition
from .cvm import CvmState, Instance
from .dasb import BastionAcl, BastionDevice, BastionResource, DasbState
from .drills import DrillRecord, DrillState
from .offsite import OffsiteCopy, OffsiteState
from .vpc import Ccn, CcnAttachment, Peering, SecurityGroup, SecurityGroupRule, Vpc, VpcState

SCHEMA_VERSION: Literal[1] = 1

SERVICES = ("cam", "cvm", "cbs", "vpc", "cos", "offsite", "cdb", "dasb", "cloudaudit", "drills")
Service = Literal["cam", "cvm", "cbs", "vpc", "cos", "offsite", "cdb", "dasb", "cloudaudit", "drills"]


class EstateError(BadInput):
    """A snapshot that cannot be used; the message is one line for the user."""


class Estate(Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    source: Literal["live", "snapshot", "plan", "demo"] = "live"
    collected_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    accounts: list[str] = Field(default_factory=new_list)
    regions: list[str] = Field(default_factory=new_list)
    # The services this estate covers. A check needing a service outside it cannot judge (ERROR, or
    # not applicable under a plan).
    services: list[Service] = Field(default_factory=lambda: list(SERVICES))  # type: ignore[arg-type]
    cam: CamState = Field(default_factory=CamState)
    cvm: CvmState = Field(default_factory=CvmState)
    cbs: CbsState = Field(default_factory=CbsState)
    vpc: VpcState = Field(default_factory=VpcState)
    cos: CosState = Field(default_factory=CosState)
    offsite: OffsiteState = Field(default_factory=OffsiteState)
    cdb: CdbState = Field(default_factory=CdbState)
    dasb: DasbState = Field(default_factory=DasbState)
    cloudaudit: CloudAuditState = Field(default_factory=CloudAuditState)
    drills: DrillState = Field(default_factory=DrillState)
    gaps: list[Gap] = Field(default_factory=new_list)
    # The accounts a --role-arn or --organization run set out to audit, each audited, failed or excluded.
    account_status: list[AccountStatus] = Field(default_factory=new_list)

    def gaps_for(self, service: str) -> list[Gap]:
        return [gap for gap in self.gaps if gap.service == service]

    def to_json(self) -> str:
        return self.model_dump_json(indent=1, exclude_defaults=False)

    def sha256(self) -> str:
        """A digest of the observed state (not of when it was observed), for the report's estate_sha256.

        It covers the estate's JSON as a snapshot holds it (fields in their declared order, maps in the order they
        were read), so a run from a saved snapshot reports the digest of the run that saved it; written by
        pydantic at C speed, a quarter of the cost of sorting every key of a Python copy, and fed to the digest in
        pieces."""
        digest = hashlib.sha256()
        try:
            _feed_json(digest.update, self, skip="collected_at")
        except PydanticSerializationError:  # text UTF-8 cannot carry (a lone surrogate) is digested escaped
            digest = hashlib.sha256(json.dumps(self.model_dump(mode="json", exclude={"collected_at"}),
                                               separators=(",", ":")).encode())
        return digest.hexdigest()

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Estate:
        # Loading grew as size^1.17 with the collector running, linearly without. The estate lives as long as the
        # run, so it is frozen too: otherwise every full collection while checks run walks its millions of objects
        # again (at 300k resources about 4 of the run's 11 s of collection).
        with collector_paused(freeze=True):
            return cls._load(path)

    @classmethod
    def _load(cls, path: Path) -> Estate:
        from ..inputs import read_json

        data = read_json(path, "snapshot file", "snapshot", EstateError, parse=_validated_from_json)
        if isinstance(data, Estate):
            estate = data
            _release_freed_memory()
        else:
            estate = cls._validated(path, data)
        if why := TIMESTAMP.violation(estate.collected_at):
            raise EstateError(f"{path}: invalid snapshot: collected_at is implausible ({why})")
        estate.gaps.extend(absent_section_gaps(estate))
        return estate

    @classmethod
    def _validated(cls, path: Path, data: Any) -> Estate:
        """The estate of a snapshot's parsed JSON, or the first reason it is not one."""
        if not isinstance(data, dict):
            raise EstateError(f"{path}: not a dr-audit snapshot (expected a JSON object)")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise EstateError(
                f"{path}: snapshot schema_version {version!r} is not supported (expected {SCHEMA_VERSION})"
            )
        try:
            _validate_sections(data)
            estate = cls.model_validate(data, context={STRICT_SNAPSHOT: True})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise EstateError(f"{path}: invalid snapshot at {where}: {first['msg']}") from None
        if "collected_at" not in data:
            raise EstateError(f"{path}: invalid snapshot: collected_at is missing, so no age in it can be judged")
        return estate


def _release_freed_memory() -> None:
    """Give the C heap's free memory back to the system (glibc's malloc_trim): pydantic-core's parse of a snapshot
    leaves hundreds of megabytes there, which Python's own allocator, where the run's objects live, never reuses."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory stays free for the C heap's later use
        pass


def _validated_from_json(data: bytes) -> Estate:
    """The estate of a snapshot's bytes, validated by pydantic-core as it parses them: no tree of Python values is
    made (at 290k resources 0.6-1 s of CPU less, and the estate packed in less memory). ValueError for anything
    else, a ValidationError included: read as a tree, its first problem is worded as Estate._validated words it."""
    estate = Estate.model_validate_json(data, context={STRICT_SNAPSHOT: True})
    if not {"schema_version", "collected_at"} <= estate.model_fields_set:
        raise ValueError("not a complete snapshot")
    return estate


# Resources written to JSON at a time when digesting an estate: enough to keep pydantic's writer busy, few enough
# that the bytes of a million-resource estate never exist at once.
_RESOURCES_PER_PIECE = 1000


def _feed_json(update: Callable[[bytes | memoryview], object], model: BaseModel, skip: str = "",
               top: bool = True) -> None:
    """Feed `update` the bytes to_json(model) makes, less the field `skip`, a section's field or a thousand
    resources at a time."""
    update(b"{")
    for n, name in enumerate(name for name in type(model).model_fields if name != skip):
        update(b"%s%s:" % (b"," if n else b"", to_json(name)))
        value = getattr(model, name)
        if top and isinstance(value, BaseModel):  # a service section
            _feed_json(update, value, top=False)
        elif isinstance(value, list) and len(value) > _RESOURCES_PER_PIECE:
            update(b"[")
            for start in range(0, len(value), _RESOURCES_PER_PIECE):
                piece = _list_json(value[start:start + _RESOURCES_PER_PIECE])
                update(b"," if start else b"")
                update(memoryview(piece)[1:-1])  # the items, without the piece's own brackets
            update(b"]")
        else:
            update(to_json(value))
    update(b"}")


# Per resource class, pydantic's writer of a list of them.
_LIST_WRITERS: dict[type[BaseModel], TypeAdapter[list[Any]]] = {}


def _list_json(items: list[Any]) -> bytes:
    """to_json(items): for a list of one model class, written by that list's own serializer, a fifth cheaper than
    pydantic-core working out each item's type. The same bytes."""
    kind = items[0].__class__
    if issubclass(kind, BaseModel) and all(item.__class__ is kind for item in items):
        writer = _LIST_WRITERS.get(kind)
        if writer is None:
            writer = _LIST_WRITERS[kind] = TypeAdapter(list[kind])  # type: ignore[valid-type]
        return writer.dump_json(items)
    return to_json(items)


def _validate_sections(data: dict[str, Any]) -> None:
    """Replace each service section of a snapshot's tree by its validated state, in place, so the section's part of
    the tree is freed before the next is validated: the tree and the whole estate never coexist at the peak.

    At the first section that is not valid it stops, leaving that and later sections as read: validating the whole
    estate then reports the same first error as validating it at once."""
    for service in SERVICES:
        section = data.get(service)
        if isinstance(section, dict):
            state = cast(type[Model], Estate.model_fields[service].annotation)
            try:
                data[service] = state.model_validate(section, context={STRICT_SNAPSHOT: True})
            except ValidationError:
                return


def absent_section_gaps(estate: Estate) -> list[Gap]:
    """A Gap for each part of a snapshot that is absent, so the checks needing it answer ERROR.

    Absent is not empty: only a present, empty list says "none". A missing service section or inventory list was
    not collected; a missing `gaps` list leaves every read's outcome unknown. What was present is what each model
    was given when it was validated from the snapshot.
    """
    given = estate.model_fields_set
    missing: list[tuple[str, str]] = []
    for service in estate.services:
        if service not in given:
            missing.append((service, f"section {service!r}"))
            continue
        state = getattr(estate, service)
        missing += [(service, f"{service}.{name}") for name in type(state).model_fields
                    if name not in state.model_fields_set]
    if "gaps" not in given:
        missing += [(service, "the list of failed reads ('gaps')") for service in estate.services]
    accounts = estate.accounts or [""]
    return [Gap(account=account, service=service, operation="read snapshot", code="AbsentFromSnapshot",
                message=f"{what} is {ABSENT_FROM_SNAPSHOT}, so it was not collected")
            for service, what in missing for account in accounts]


__all__ = [
    "ABSENT_FROM_SNAPSHOT", "DAYS", "DEADLINE", "SCHEMA_VERSION", "SERVICES", "STRICT_SNAPSHOT", "TIMESTAMP",
    "AccessKey", "AccountStatus", "AuditTrack", "BackupConfig", "BastionAcl", "BastionDevice",
    "BastionResource", "Bucket", "BucketAcl", "CamAccount", "CamGroup", "CamPolicy", "CamRole", "CamState", "CamUser",
    "Ccn", "CcnAttachment", "CbsState", "CdbState", "CloudAuditState", "CosState", "CvmState", "DasbState", "Disk",
    "DrLink", "DrillRecord", "DrillState", "Estate", "EstateError", "Gap", "Instance", "LifecycleRule", "Model",
    "MysqlBackup", "MysqlInstance", "ObjectLock", "OffsiteCopy", "OffsiteState", "Origin", "Peering", "Plausible",
    "RemoteBackupConfig", "RemoteCopy", "Replication", "ReplicationRule", "Resource", "ResourceRef", "SecurityGroup",
    "SecurityGroupRule", "Snapshot", "SnapshotPolicy", "SnapshotSchedule", "Transition", "Vpc", "VpcState",
    "account_ref", "mask_key_id",
]
