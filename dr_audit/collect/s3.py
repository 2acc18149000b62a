"""COS buckets (through COS's S3-compatible API) and off-site copies in another cloud, read with boto3.

Every boto3 client here comes from the guarded factory (`clients.py`): it refuses any operation not declared for its
kind before it is sent, is path-style, and keeps each call within its deadline. Object contents are never read:
off-site buckets are only listed, for key times.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from ..estate import (
    Bucket,
    BucketAcl,
    Gap,
    LifecycleRule,
    ObjectLock,
    OffsiteCopy,
    Replication,
    ReplicationRule,
    Transition,
)
from ..scope import OffsiteTarget
from .clients import Timeouts, s3_client
from .deadline import READ_TIMEOUT, RunBudget
from .errors import Secrets, scrub
from .tasks import TaskGroup
from .tencent.common import AccountRun, Harvest, fit, mark_unreadable

# Answers that mean "read fine, nothing configured" per operation (COS spells some codes its own way, and answers
# a bucket without a policy with a bare 404).
NOT_CONFIGURED: dict[str, frozenset[str]] = {
    "GetBucketReplication": frozenset({"ReplicationConfigurationNotFoundError", "ReplicationConfigurationnotFoundError",
                                       "NoSuchReplicationConfiguration", "404"}),
    "GetBucketLifecycleConfiguration": frozenset({"NoSuchLifecycleConfiguration", "404"}),
    "GetObjectLockConfiguration": frozenset({"ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration",
                                             "404"}),
    "GetBucketPolicy": frozenset({"NoSuchBucketPolicy", "404"}),
    "GetBucketTagging": frozenset({"NoSuchTagSet", "NoSuchTagSetError", "404"}),
}
PUBLIC_GRANTEES = ("/groups/global/AllUsers", "/groups/global/AuthenticatedUsers")


class S3ReadError(Exception):
    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation} {code}: {message}")
        self.operation, self.code, self.message = operation, code, message

    @property
    def reason(self) -> str:
        return f"s3:{self.operation} failed: {self.code}: {self.message}" if self.message else \
            f"s3:{self.operation} failed: {self.code}"


def make_client(target: Literal["cos", "offsite"], endpoint_url: str, region: str, secrets: Secrets | None,
                timeout: float = READ_TIMEOUT, budget: RunBudget | None = None, account: str = "") -> Any:
    """A guarded, deadline-bound S3 client for COS (`target` "cos") or an off-site copy ("offsite")."""
    client = s3_client(target, endpoint_url, region, secrets, Timeouts(read=timeout), budget, account)
    if target == "cos":
        client.meta.events.register("before-sign.s3.ListBuckets", _add_marker)
        client.meta.events.register("after-call.s3.ListBuckets", _cos_listing)
    return client


# COS answers GET Service with each bucket's <Location> and pages with Marker/NextMarker, neither of which the S3
# model botocore parses with has a field for: read them from the raw XML, and send the marker ourselves.
_listing = threading.local()


def _add_marker(request: Any, **_: Any) -> None:
    marker = getattr(_listing, "marker", None)
    if marker:
        from urllib.parse import quote

        request.url += ("&" if "?" in request.url else "?") + f"marker={quote(marker, safe='')}"


def _cos_listing(http_response: Any = None, parsed: dict[str, Any] | None = None, **_: Any) -> None:
    if parsed is None or http_response is None or not getattr(http_response, "content", None):
        return
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(http_response.content)
    except ElementTree.ParseError:
        return

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    regions: dict[str, str] = {}
    for element in root.iter():
        if local(element.tag) == "Bucket":
            fields = {local(child.tag): (child.text or "") for child in element}
            if fields.get("Name") and fields.get("Location"):
                regions[fields["Name"]] = fields["Location"]
    top = {local(child.tag): (child.text or "") for child in root}
    parsed["CosRegions"] = regions
    if top.get("IsTruncated", "").lower() == "true":
        parsed["CosNextMarker"] = top.get("NextMarker") or ""


def read(client: Any, operation: str, secrets: Secrets | None = None, **params: Any) -> dict[str, Any] | None:
    """One S3 read; None when the answer means "not configured"; S3ReadError (secrets scrubbed) when it failed."""
    from botocore.exceptions import BotoCoreError, ClientError

    method = getattr(client, _snake(operation))
    try:
        return method(**params)
    except ClientError as exc:
        error = exc.response.get("Error") or {}
        status = str((exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode", ""))
        code = str(error.get("Code") or status or "Unknown")
        # Any 404 but a missing bucket on an optional configuration means "none configured" (COS's codes vary).
        if code in NOT_CONFIGURED.get(operation, ()) or (status == "404" and code != "NoSuchBucket"
                                                         and operation in NOT_CONFIGURED):
            return None
        raise S3ReadError(operation, scrub(code, secrets), scrub(str(error.get("Message") or ""), secrets)) from None
    except BotoCoreError as exc:
        raise S3ReadError(operation, type(exc).__name__, scrub(str(exc), secrets)) from None


def need(answer: dict[str, Any], key: str, operation: str, path: str = "") -> Any:
    """`answer[key]`, which the reader needs: an element absent from the body is a failed read, never "none"."""
    if not isinstance(answer, dict) or answer.get(key) is None:
        raise S3ReadError(operation, "MissingField", f"answer has no {path or key}")
    return answer[key]


def _snake(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))


# -- COS ------------------------------------------------------------------------------------------------------------

@dataclass
class CosSource:
    """Where COS is: an override for every request (tests, demo) or the regional `cos.<region>.myqcloud.com`."""

    endpoint_url: str | None = None

    def for_region(self, region: str) -> str:
        return self.endpoint_url or f"https://cos.{region}.myqcloud.com"

    def for_service(self) -> str:
        return self.endpoint_url or "https://service.cos.myqcloud.com"


class CosCollector:
    def __init__(self, run: AccountRun, source: CosSource, timeout: float = READ_TIMEOUT) -> None:
        self.run = run
        self.source = source
        self.secrets = run.client.secrets
        self.timeout = timeout
        self.budget = run.client.budget  # COS shares the account's run budget
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, region: str) -> Any:
        with self._lock:
            found = self._clients.get(region)
            if found is None:
                endpoint = self.source.for_region(region) if region else self.source.for_service()
                found = self._clients[region] = make_client("cos", endpoint, region or "ap-guangzhou", self.secrets,
                                                            self.timeout, self.budget, self.run.account)
            return found

    def collect(self) -> None:
        self.run.tasks.spawn("cos", self.buckets, on_crash=self._listing_failed)

    def _listing_failed(self, exc: BaseException) -> None:
        code = exc.code if isinstance(exc, S3ReadError) else "CollectorError"
        message = exc.message if isinstance(exc, S3ReadError) else f"{type(exc).__name__}: {exc}"[:300]
        self.run.harvest.gap(Gap(account=self.run.account, service="cos", region="", operation="ListBuckets",
                                 code=code, message=message))

    def buckets(self) -> None:
        client = self.client("")
        found: list[Bucket] = []
        params: dict[str, Any] = {}
        while True:  # every page: S3 servers page with ContinuationToken, COS with Marker
            _listing.marker = params.pop("Marker", None)
            try:
                response = read(client, "ListBuckets", self.secrets, **params) or {}
            finally:
                _listing.marker = None
            regions = response.get("CosRegions") or {}
            for entry in need(response, "Buckets", "ListBuckets"):
                name = str(entry["Name"])
                region = str(entry.get("BucketRegion") or regions.get(name) or "")
                found.append(Bucket(account=self.run.account, region=region, name=name,
                                    created_at=_utc(entry.get("CreationDate"))))
            if response.get("ContinuationToken"):
                params = {"ContinuationToken": response["ContinuationToken"]}
            elif "CosNextMarker" in response:
                marker = response["CosNextMarker"] or (found[-1].name if found else "")
                if not marker or marker == getattr(self, "_last_marker", None):
                    raise S3ReadError("ListBuckets", "TruncatedListing", "the listing is truncated without a marker")
                self._last_marker = marker
                params = {"Marker": marker}
            else:
                break
        self.run.harvest.add(self.run.estate.cos.buckets, found)
        for bucket in found:
            self.run.tasks.spawn("cos", self.bucket, bucket, on_crash=self._bucket_failed(bucket, _CONFIGS))

    def _bucket_failed(self, bucket: Bucket, attributes: tuple[str, ...]) -> Callable[[BaseException], None]:
        def crashed(exc: BaseException) -> None:
            reason = exc.reason if isinstance(exc, S3ReadError) else f"collector error: {type(exc).__name__}: {exc}"
            mark_unreadable(bucket, attributes, reason, self.run.harvest.lock)

        return crashed

    def bucket(self, bucket: Bucket) -> None:
        if not bucket.region:
            bucket.region = self.region_of(bucket.name)
        client = self.client(bucket.region)
        for attribute, reader in _READERS.items():
            try:
                reader(self, client, bucket)
            except S3ReadError as error:
                mark_unreadable(bucket, (attribute,), error.reason, self.run.harvest.lock)

    def region_of(self, name: str) -> str:
        response = read(self.client(""), "HeadBucket", self.secrets, Bucket=name) or {}
        headers = (response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
        region = headers.get("x-cos-bucket-region") or headers.get("x-amz-bucket-region") or response.get(
            "BucketRegion")
        if not region:
            raise S3ReadError("HeadBucket", "NoRegion", "the answer named no bucket region")
        return str(region)

    def _versioning(self, client: Any, bucket: Bucket) -> None:
        response = read(client, "GetBucketVersioning", self.secrets, Bucket=bucket.name) or {}
        bucket.versioning = response.get("Status") or None

    def _replication(self, client: Any, bucket: Bucket) -> None:
        response = read(client, "GetBucketReplication", self.secrets, Bucket=bucket.name)
        bucket.replication = replication(response) if response else None

    def _lifecycle(self, client: Any, bucket: Bucket) -> None:
        response = read(client, "GetBucketLifecycleConfiguration", self.secrets, Bucket=bucket.name)
        bucket.lifecycle = lifecycle(response)

    def _object_lock(self, client: Any, bucket: Bucket) -> None:
        bucket.object_lock = object_lock(read(client, "GetObjectLockConfiguration", self.secrets, Bucket=bucket.name))

    def _acl(self, client: Any, bucket: Bucket) -> None:
        response = read(client, "GetBucketAcl", self.secrets, Bucket=bucket.name) or {}
        bucket.acl = acl(response)

    def _policy(self, client: Any, bucket: Bucket) -> None:
        response = read(client, "GetBucketPolicy", self.secrets, Bucket=bucket.name)
        raw = (response or {}).get("Policy")
        if response is None:  # the API's "no policy"
            bucket.policy = None
            return
        if not raw:  # a policy answer without the policy is no answer
            raise S3ReadError("GetBucketPolicy", "MissingField", "answer has no Policy")
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise S3ReadError("GetBucketPolicy", "MalformedPolicy", "the bucket policy is not JSON") from None
        bucket.policy = parsed if isinstance(parsed, dict) else None

    def _tags(self, client: Any, bucket: Bucket) -> None:
        response = read(client, "GetBucketTagging", self.secrets, Bucket=bucket.name)
        tag_set = [] if response is None else need(response, "TagSet", "GetBucketTagging")
        bucket.tags = {str(t["Key"]): str(t.get("Value", "")) for t in tag_set if "Key" in t}

    def _logging(self, client: Any, bucket: Bucket) -> None:
        response = read(client, "GetBucketLogging", self.secrets, Bucket=bucket.name) or {}
        enabled = response.get("LoggingEnabled") or {}
        bucket.logging_target = enabled.get("TargetBucket") or None


_READERS: dict[str, Callable[[CosCollector, Any, Bucket], None]] = {
    "versioning": CosCollector._versioning, "replication": CosCollector._replication,
    "lifecycle": CosCollector._lifecycle, "object_lock": CosCollector._object_lock, "acl": CosCollector._acl,
    "policy": CosCollector._policy, "tags": CosCollector._tags, "logging_target": CosCollector._logging,
}
_CONFIGS = tuple(_READERS)


def resolve_destination_regions(buckets: list[Bucket]) -> None:
    """Fill a replication destination's region from the listed buckets when its ARN did not name one."""
    regions = {b.name: b.region for b in buckets}
    for bucket in buckets:
        for rule in bucket.replication.rules if bucket.replication else []:
            if not rule.destination_region:
                rule.destination_region = regions.get(rule.destination_bucket, "")


def destination(arn: str) -> tuple[str, str]:
    """(bucket, region) of a replication destination: `qcs::cos:<region>::<bucket>` or `arn:aws:s3:::<bucket>`."""
    parts = arn.split(":")
    if len(parts) >= 6:
        return parts[-1].split("/")[0], parts[3]
    return arn.rsplit(":", 1)[-1], ""


def replication(response: dict[str, Any]) -> Replication:
    operation = "GetBucketReplication"
    config = need(response, "ReplicationConfiguration", operation)
    rules = []
    for entry in need(config, "Rules", operation, "ReplicationConfiguration.Rules"):
        need(entry, "Status", operation, "Rules[].Status")
        bucket, region = destination(str(need(need(entry, "Destination", operation, "Rules[].Destination"), "Bucket",
                                              operation, "Rules[].Destination.Bucket")))
        marker = (entry.get("DeleteMarkerReplication") or {}).get("Status")
        rules.append(ReplicationRule(
            id=str(entry.get("ID") or ""), enabled=entry.get("Status") == "Enabled", prefix=_prefix(entry),
            destination_bucket=bucket, destination_region=region,
            storage_class=(entry.get("Destination") or {}).get("StorageClass") or None,
            delete_marker_replication=None if marker is None else marker == "Enabled",
        ))
    return Replication(role=str(config.get("Role") or ""), rules=rules)


def _prefix(entry: dict[str, Any]) -> str:
    if entry.get("Prefix") is not None:
        return str(entry["Prefix"])
    rule_filter = entry.get("Filter") or {}
    if "Prefix" in rule_filter:
        return str(rule_filter["Prefix"])
    return str((rule_filter.get("And") or {}).get("Prefix") or "")


def lifecycle(response: dict[str, Any] | None) -> list[LifecycleRule]:
    rules = []
    operation = "GetBucketLifecycleConfiguration"
    for entry in [] if response is None else need(response, "Rules", operation):
        need(entry, "Status", operation, "Rules[].Status")
        expiration = entry.get("Expiration") or {}
        rules.append(LifecycleRule(
            id=str(entry.get("ID") or ""), enabled=entry.get("Status") == "Enabled", prefix=_prefix(entry),
            transitions=[Transition(days=t.get("Days"), date=_date_text(t.get("Date")),
                                    storage_class=str(t.get("StorageClass") or ""))
                         for t in entry.get("Transitions") or []],
            noncurrent_transitions=[Transition(days=t.get("NoncurrentDays"), storage_class=str(t.get("StorageClass")
                                                                                                or ""))
                                    for t in entry.get("NoncurrentVersionTransitions") or []],
            expiration_days=expiration.get("Days"), expiration_date=_date_text(expiration.get("Date")),
            expired_object_delete_marker=bool(expiration.get("ExpiredObjectDeleteMarker")),
            noncurrent_expiration_days=(entry.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
        ))
    return rules


def object_lock(response: dict[str, Any] | None) -> ObjectLock | None:
    if not response:
        return None
    config = need(response, "ObjectLockConfiguration", "GetObjectLockConfiguration")
    need(config, "ObjectLockEnabled", "GetObjectLockConfiguration", "ObjectLockConfiguration.ObjectLockEnabled")
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    # A retention sets Days or Years; some servers render the other as 0, which means "not set".
    return ObjectLock(enabled=config.get("ObjectLockEnabled") == "Enabled", mode=retention.get("Mode") or None,
                      days=retention.get("Days") or None, years=retention.get("Years") or None)


def acl(response: dict[str, Any]) -> BucketAcl:
    public_read = public_write = False
    for grant in need(response, "Grants", "GetBucketAcl"):  # every ACL grants its owner: none listed is no answer
        uri = str((grant.get("Grantee") or {}).get("URI") or "")
        if not uri.endswith(PUBLIC_GRANTEES):
            continue
        permission = grant.get("Permission")
        public_read = public_read or permission in ("READ", "FULL_CONTROL")
        public_write = public_write or permission in ("WRITE", "FULL_CONTROL")
    return BucketAcl(public_read=public_read, public_write=public_write)


def _date_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


# -- off-site copies --------------------------------------------------------------------------------------------------

class OffsiteCollector:
    """Reads one configured off-site target: versioning, object lock, lifecycle, and the newest object's time and
    storage class from a full listing (pages of ListObjectsV2; contents are never read)."""

    def __init__(self, tasks: TaskGroup, harvest: Harvest, target: OffsiteTarget, secrets: Secrets | None = None,
                 timeout: float = READ_TIMEOUT, budget: RunBudget | None = None) -> None:
        self.tasks = tasks
        self.harvest = harvest
        self.target = target
        self.given_secrets = secrets  # the caller's keys (the demo's); None: the target's own, found when read
        self.secrets: Secrets | None = None
        self.timeout = timeout
        self.budget = budget

    @property
    def account(self) -> str:
        return f"offsite:{self.target.name}"

    def collect(self) -> None:
        self.tasks.spawn("offsite", self.read, on_crash=self._failed)

    def _failed(self, exc: BaseException) -> None:
        code = exc.code if isinstance(exc, S3ReadError) else "CollectorError"
        message = exc.message if isinstance(exc, S3ReadError) else f"{type(exc).__name__}: {exc}"[:300]
        operation = exc.operation if isinstance(exc, S3ReadError) else "HeadBucket"
        self._gap(Gap(account=self.account, service="offsite", region=self.target.region, operation=operation,
                      code=code, message=message))

    def _gap(self, gap: Gap) -> None:
        # Targets that share a name share an account: the same failure twice would be the same row twice.
        with self.harvest.lock:
            if gap not in self.harvest.estate.gaps:
                self.harvest.estate.gaps.append(gap)

    def read(self) -> None:
        from .offsite_setup import NotConfigured, access_for

        try:
            access = access_for(self.target, self.given_secrets)
        except NotConfigured as unconfigured:  # not a failure to read: nothing says where or with which keys
            self._gap(Gap(account=self.account, service="offsite", region=self.target.region, operation="",
                          code="NotConfigured", message=str(unconfigured)))
            return
        self.secrets = access.secrets
        client = make_client("offsite", access.endpoint_url, self.target.region, self.secrets,  # type: ignore[arg-type]
                             self.timeout, self.budget, self.account)
        try:
            read(client, "HeadBucket", self.secrets, Bucket=self.target.bucket)
        except S3ReadError as error:
            if error.code in ("404", "NoSuchBucket", "NotFound"):
                return  # the target answered: there is no such bucket, so no copy (the check FAILs)
            raise
        copy = fit(OffsiteCopy, account=self.account, region=self.target.region, target=self.target.name,
                   endpoint_url=access.endpoint_url or "", bucket=self.target.bucket,
                   source_bucket=self.target.source_bucket)
        steps: dict[str, Callable[[], None]] = {
            "versioning": lambda: setattr(copy, "versioning", (read(client, "GetBucketVersioning", self.secrets,
                                                                    Bucket=copy.bucket) or {}).get("Status") or None),
            "object_lock": lambda: setattr(copy, "object_lock", object_lock(read(
                client, "GetObjectLockConfiguration", self.secrets, Bucket=copy.bucket))),
            "lifecycle": lambda: setattr(copy, "lifecycle", lifecycle(read(
                client, "GetBucketLifecycleConfiguration", self.secrets, Bucket=copy.bucket))),
            "newest_object_at": lambda: self._newest(client, copy),
        }
        for attribute, step in steps.items():
            try:
                step()
            except S3ReadError as error:
                names = (attribute, "newest_object_storage_class") if attribute == "newest_object_at" else (attribute,)
                mark_unreadable(copy, names, error.reason, self.harvest.lock)
        self.harvest.add(self.harvest.estate.offsite.copies, [copy])

    def _newest(self, client: Any, copy: OffsiteCopy) -> None:
        newest: tuple[datetime, str | None] | None = None
        count = 0
        token: str | None = None
        while True:  # every page: the newest object can be anywhere in key order
            params: dict[str, Any] = {"Bucket": copy.bucket, "MaxKeys": 1000}
            if token:
                params["ContinuationToken"] = token
            response = read(client, "ListObjectsV2", self.secrets, **params) or {}
            contents = response.get("Contents")
            if contents is None and int(response.get("KeyCount") or 0) > 0:  # it counted keys it did not list
                raise S3ReadError("ListObjectsV2", "MissingField", "answer has no Contents")
            for entry in contents or []:
                count += 1
                modified = _utc(entry.get("LastModified"))
                if modified is not None and (newest is None or modified > newest[0]):
                    newest = (modified, entry.get("StorageClass"))
            token = response.get("NextContinuationToken") if response.get("IsTruncated") else None
            if not token:
                break
        copy.object_count_sampled = count
        copy.newest_object_at = newest[0] if newest else None
        copy.newest_object_storage_class = (newest[1] or "STANDARD") if newest else None
