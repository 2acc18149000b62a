"""COS and the off-site "other cloud" as moto S3 servers, seeded from the Estate (configurations through boto3).

Each server runs in this process on 127.0.0.1; each account it serves is its own moto account (a WSGI shim sets
x-moto-account-id from the signing key), so listing buckets on one endpoint never shows another's, and several
emulated clouds may serve the same bucket names at once. Two things boto3 cannot set are written into moto's in-process
state after seeding: bucket creation dates and object modification times, so `created_at` and `newest_object_at`
come back exactly as the Estate says.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

from ..estate import Bucket, LifecycleRule, OffsiteCopy

DEFAULT_REGION = "ap-guangzhou"
OFFSITE_REGION = "us-east-1"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
NEWEST_KEY = "dr-audit-emulator/newest"
SEED_KEY_ID = "AKIDemulatorseed0000"
SEED_SECRET = "emulator-seed-secret"  # noqa: S105 (moto accepts any key; nothing real)

_accounts = itertools.count(1)
_accounts_lock = threading.Lock()


def _next_account() -> str:
    with _accounts_lock:
        return f"{990000000000 + next(_accounts)}"


class MotoS3:
    """One moto S3 server on 127.0.0.1. Each Tencent account it serves is its own moto account, chosen per request
    from the signing key (`resolve` maps an access key to an account; unknown keys see the first account)."""

    def __init__(self, resolve: Callable[[str], str | None] | None = None) -> None:
        try:
            from moto.server import DomainDispatcherApplication, create_backend_app
            from werkzeug.serving import WSGIRequestHandler, make_server
        except ImportError as exc:  # a production install has no emulator: say how to get one
            from ..errors import BadInput

            raise BadInput(f"the emulated cloud needs the demo extra ({exc.name} is not installed): "
                           "pip install 'dr-audit[demo]'") from None

        class QuietHandler(WSGIRequestHandler):
            def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002
                pass  # the emulator never prints

        self.resolve = resolve or (lambda key: None)
        self.requests: list[str] = []  # the S3 operation of every request but the emulator's own seeding
        self.account = _next_account()  # the moto account of the first (or only) Tencent account
        self.moto_accounts: dict[str, str] = {}  # Tencent account -> moto account
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str | None], Any] = {}
        app = DomainDispatcherApplication(create_backend_app)

        def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            account = self._request_account(environ)
            if not _seeding(environ):
                self.requests.append(s3_operation(environ))
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = account
            path = environ.get("PATH_INFO") or "/"
            if path == "/":
                if environ.get("REQUEST_METHOD") == "GET":
                    return self._list_buckets_with_regions(app, account, environ, start_response)
            elif not _creates_bucket(environ):
                # moto would look a bucket up in any account (even another emulator's): answer as COS would.
                owner = self._owner(path.split("/")[1], account)
                if owner is None:
                    return _error(404, "NoSuchBucket", "The specified bucket does not exist", start_response)
                if owner != account:
                    return _error(403, "AccessDenied", "Access Denied", start_response)
            return app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, dispatch, threaded=True, request_handler=QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="emulated-s3", daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def moto_account(self, account: str | None) -> str:
        """The moto account holding a Tencent account's buckets (None: the first account)."""
        if account is None:
            return self.account
        with self._lock:
            found = self.moto_accounts.get(account)
            if found is None:
                found = self.account if not self.moto_accounts else _next_account()
                self.moto_accounts[account] = found
            return found

    def _request_account(self, environ: dict[str, Any]) -> str:
        match = re.search(r"Credential=([^/,\s]+)/", environ.get("HTTP_AUTHORIZATION", ""))
        key = match.group(1) if match else ""
        if key.startswith(SEED_KEY_ID + "-"):
            return self.moto_account(key[len(SEED_KEY_ID) + 1:])
        account = self.resolve(key) if key else None
        return self.moto_account(account) if account in self.moto_accounts or account is None else self.account

    def _owner(self, bucket: str, requesting: str) -> str | None:
        """Which of this server's moto accounts holds the bucket (the requesting one first), None when none does."""
        for account in (requesting, self.account, *self.moto_accounts.values()):
            if bucket in self.backend(account).buckets:
                return account
        return None

    def _list_buckets_with_regions(self, app: Callable[..., Iterable[bytes]], account: str, environ: dict[str, Any],
                                   start_response: Callable[..., Any]) -> Iterable[bytes]:
        """ListBuckets as COS and S3 answer it today: each bucket with its region (moto leaves BucketRegion out)."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(app(environ, capture))
        if captured.get("status", "").startswith("200"):
            buckets = self.backend(account).buckets

            def with_region(match: re.Match[bytes]) -> bytes:
                bucket = buckets.get(match.group(1).decode())
                region = bucket.region_name if bucket is not None else ""
                return match.group(0) + f"<BucketRegion>{region}</BucketRegion>".encode()

            body = re.sub(rb"<Name>([^<]+)</Name>", with_region, body)
        headers = [(k, v) for k, v in captured.get("headers", []) if k.lower() != "content-length"]
        start_response(captured.get("status", "500 Internal Server Error"),
                       [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def client(self, region: str, account: str | None = None) -> Any:
        """A seeding client for a Tencent account's buckets. boto3 clients are thread-safe and slow to make."""
        with self._lock:
            found = self._clients.get((region, account))
        if found is None:
            found = self._make_client(region, account)
            with self._lock:
                found = self._clients.setdefault((region, account), found)
        return found

    def _make_client(self, region: str, account: str | None) -> Any:
        key = SEED_KEY_ID if account is None else f"{SEED_KEY_ID}-{account}"
        return boto3.client(
            "s3", region_name=region, endpoint_url=self.url, aws_access_key_id=key,
            aws_secret_access_key=SEED_SECRET,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def backend(self, moto_account: str | None = None) -> Any:
        from moto.s3.models import s3_backends

        return s3_backends[moto_account or self.account]["aws"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        # Release this server's bucket names from moto's process-wide namespace.
        for account in {self.account, *self.moto_accounts.values()}:
            with contextlib.suppress(Exception):  # best effort: the server is gone either way
                self.backend(account).reset()


# How COS authorises a request (its CAM action), by S3 operation: the cloud's side of `auditor-policy`.
COS_CAM_ACTIONS: dict[str, str] = {
    "ListBuckets": "GetService", "HeadBucket": "HeadBucket", "ListObjects": "GetBucket", "ListObjectsV2": "GetBucket",
    "GetBucketVersioning": "GetBucketVersioning", "GetBucketReplication": "GetBucketReplication",
    "GetBucketLifecycleConfiguration": "GetBucketLifecycle", "GetObjectLockConfiguration":
    "GetBucketObjectLockConfiguration", "GetBucketAcl": "GetBucketACL", "GetBucketPolicy": "GetBucketPolicy",
    "GetBucketTagging": "GetBucketTagging", "GetBucketLogging": "GetBucketLogging", "GetBucketLocation":
    "GetBucketLocation", "HeadObject": "HeadObject", "GetObject": "GetObject",
}
_BUCKET_SUBRESOURCES = {"versioning": "BucketVersioning", "replication": "BucketReplication",
                        "lifecycle": "BucketLifecycleConfiguration", "object-lock": "ObjectLockConfiguration",
                        "acl": "BucketAcl", "policy": "BucketPolicy", "tagging": "BucketTagging",
                        "logging": "BucketLogging", "location": "BucketLocation"}


def s3_operation(environ: dict[str, Any]) -> str:
    """The S3 operation a request asks for, from its method, path and query (e.g. `GetBucketVersioning`)."""
    method = str(environ.get("REQUEST_METHOD") or "GET").upper()
    parts = (environ.get("PATH_INFO") or "/").strip("/").split("/", 1)
    query = {pair.split("=", 1)[0] for pair in str(environ.get("QUERY_STRING") or "").split("&") if pair}
    verb = {"GET": "Get", "HEAD": "Head", "PUT": "Put", "DELETE": "Delete", "POST": "Post"}.get(method, method)
    if not parts[0]:
        return "ListBuckets" if method == "GET" else f"{verb}Service"
    if len(parts) == 1 or not parts[1]:
        for name, resource in _BUCKET_SUBRESOURCES.items():
            if name in query:
                return f"{verb}{resource}"
        if method == "GET":
            return "ListObjectsV2" if "list-type" in query else "ListObjects"
        return f"{verb}Bucket"
    return f"{verb}Object{'Acl' if 'acl' in query else ''}"


def cam_action(operation: str) -> str:
    """The COS CAM action authorising an S3 operation; an operation COS has no read for keeps its own name."""
    return COS_CAM_ACTIONS.get(operation, operation)


def _seeding(environ: dict[str, Any]) -> bool:
    return f"Credential={SEED_KEY_ID}" in str(environ.get("HTTP_AUTHORIZATION", ""))


def _creates_bucket(environ: dict[str, Any]) -> bool:
    # A create must reach moto so that a taken name answers BucketAlreadyExists, as S3 does.
    return environ.get("REQUEST_METHOD") == "PUT" and not environ.get("QUERY_STRING") and \
        (environ.get("PATH_INFO") or "/").strip("/").count("/") == 0


def _error(status: int, code: str, message: str, start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>emulated</RequestId></Error>").encode()
    reason = {403: "Forbidden", 404: "Not Found"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def _region(region: str, default: str) -> str:
    return region or default


class BucketNameInUse(RuntimeError):
    """The Estate names one bucket twice in one account."""


_namespace_lock = threading.Lock()


def create_isolated(backend: Any, name: str, region: str) -> Any:
    """Create a bucket in one moto account even if another account (another emulator) holds the same name.

    moto keeps S3's global bucket namespace in one process-wide map that create_bucket checks; each emulated cloud
    is its own world, so the name is lifted out of that map for the create and the earlier owner put back. A bucket
    is still found through its own account first, which is the only way the emulator's endpoints reach it.
    """
    from moto.s3.models import s3_backends

    if name in backend.buckets:
        raise BucketNameInUse(f"the Estate names bucket {name} twice in one account")
    with _namespace_lock:
        earlier = s3_backends.bucket_accounts.pop(name, None)
        try:
            return backend.create_bucket(name, region)
        finally:
            if earlier is not None:
                s3_backends.bucket_accounts[name] = earlier


def _lifecycle_rules(rules: list[LifecycleRule]) -> list[dict[str, Any]]:
    converted: list[dict[str, Any]] = []
    for rule in rules:
        entry: dict[str, Any] = {"ID": rule.id or f"rule-{len(converted)}", "Filter": {"Prefix": rule.prefix},
                                 "Status": "Enabled" if rule.enabled else "Disabled"}
        if rule.transitions:
            entry["Transitions"] = [
                {"Days": t.days, "StorageClass": t.storage_class} if t.date is None
                else {"Date": t.date, "StorageClass": t.storage_class} for t in rule.transitions]
        if rule.noncurrent_transitions:
            entry["NoncurrentVersionTransitions"] = [
                {"NoncurrentDays": t.days or 0, "StorageClass": t.storage_class} for t in rule.noncurrent_transitions]
        expiration: dict[str, Any] = {}
        if rule.expiration_days is not None:
            expiration["Days"] = rule.expiration_days
        elif rule.expiration_date is not None:
            expiration["Date"] = rule.expiration_date
        elif rule.expired_object_delete_marker:
            expiration["ExpiredObjectDeleteMarker"] = True
        if expiration:
            entry["Expiration"] = expiration
        if rule.noncurrent_expiration_days is not None:
            entry["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule.noncurrent_expiration_days}
        converted.append(entry)
    return converted


def _object_lock(client: Any, name: str, days: int | None, years: int | None, mode: str | None) -> None:
    config: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
    if mode and (days or years):
        retention: dict[str, Any] = {"Mode": mode}
        # S3 takes Days or Years, not both; Days wins when an Estate holds both.
        retention.update({"Days": days} if days else {"Years": years})
        config["Rule"] = {"DefaultRetention": retention}
    client.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=config)


def seed_buckets(s3: MotoS3, buckets: list[Bucket], *, workers: int = 8) -> None:
    """Create every bucket with its configuration; logging last, once every target exists."""
    def create(bucket: Bucket) -> None:
        region = _region(bucket.region, DEFAULT_REGION)
        client = s3.client(region, bucket.account)
        backend = s3.backend(s3.moto_account(bucket.account))
        lock = bucket.object_lock is not None and bucket.object_lock.enabled
        name = bucket.name
        # Plain flags go straight into moto's backend, exactly as its own request handlers set them (a fifth of
        # the time of a boto3 round trip each); structured configurations go through boto3 and moto's XML parsing.
        created = create_isolated(backend, name, region)
        if lock and bucket.object_lock is not None:
            created.object_lock_enabled = True
            created.versioning_status = "Enabled"
            lock_config = bucket.object_lock
            backend.put_object_lock_configuration(
                name, True, lock_config.mode if lock_config.days or lock_config.years else None,
                lock_config.days or None, None if lock_config.days else lock_config.years)
        if bucket.versioning:
            backend.put_bucket_versioning(name, bucket.versioning)
        if bucket.tags:
            backend.put_bucket_tagging(name, dict(bucket.tags))
        if bucket.lifecycle:
            client.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration={"Rules": _lifecycle_rules(bucket.lifecycle)})
        if bucket.replication is not None:
            rules = []
            for n, rule in enumerate(bucket.replication.rules):
                destination: dict[str, Any] = {
                    "Bucket": f"qcs::cos:{rule.destination_region}::{rule.destination_bucket}"}
                if rule.storage_class:
                    destination["StorageClass"] = rule.storage_class
                entry: dict[str, Any] = {"ID": rule.id or f"rule-{n}", "Prefix": rule.prefix,
                                         "Status": "Enabled" if rule.enabled else "Disabled",
                                         "Destination": destination}
                if rule.delete_marker_replication is not None:
                    entry["DeleteMarkerReplication"] = {
                        "Status": "Enabled" if rule.delete_marker_replication else "Disabled"}
                rules.append(entry)
            if bucket.versioning != "Enabled":
                # COS, like S3, keeps replication only on a versioned bucket; an Estate holding replication without
                # versioning is seeded as versioning Suspended (the closest state a real bucket can be in).
                backend.put_bucket_versioning(name, "Enabled")
            client.put_bucket_replication(Bucket=name, ReplicationConfiguration={
                "Role": bucket.replication.role, "Rules": rules})
            if bucket.versioning != "Enabled":
                backend.put_bucket_versioning(name, "Suspended")
        grants = []
        if bucket.acl.public_read:
            grants.append({"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"})
        if bucket.acl.public_write:
            grants.append({"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "WRITE"})
        if grants:
            owner = client.get_bucket_acl(Bucket=name)["Owner"]
            grants.append({"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"})
            client.put_bucket_acl(Bucket=name, AccessControlPolicy={"Grants": grants, "Owner": owner})
        if bucket.policy is not None:
            client.put_bucket_policy(Bucket=name, Policy=json.dumps(bucket.policy))

    _parallel(create, buckets, workers)
    targets = {b.logging_target for b in buckets if b.logging_target}
    by_name = {b.name: b for b in buckets}

    def allow_log_delivery(target: str) -> None:
        client = s3.client(_region(by_name[target].region, DEFAULT_REGION), by_name[target].account)
        acl = client.get_bucket_acl(Bucket=target)
        grants = [g for g in acl["Grants"]] + [
            {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "WRITE"},
            {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "READ_ACP"}]
        client.put_bucket_acl(Bucket=target, AccessControlPolicy={"Grants": grants, "Owner": acl["Owner"]})

    def enable_logging(bucket: Bucket) -> None:
        client = s3.client(_region(bucket.region, DEFAULT_REGION), bucket.account)
        client.put_bucket_logging(Bucket=bucket.name, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": bucket.logging_target, "TargetPrefix": f"{bucket.name}/"}})

    _parallel(allow_log_delivery, [t for t in targets if t in by_name], workers)
    _parallel(enable_logging, [b for b in buckets if b.logging_target], workers)
    for bucket in buckets:
        if bucket.created_at is not None:
            s3.backend(s3.moto_account(bucket.account)).buckets[bucket.name].creation_date = _aware(bucket.created_at)


def seed_offsite(s3: MotoS3, copies: list[OffsiteCopy]) -> None:
    """The off-site buckets: versioning, object lock, lifecycle, and objects whose newest has the Estate's time."""
    backend_keys: list[tuple[str, str, datetime]] = []
    for copy in copies:
        region = _region(copy.region, OFFSITE_REGION)
        client = s3.client(region)
        lock = copy.object_lock is not None and copy.object_lock.enabled
        created = create_isolated(s3.backend(), copy.bucket, region)
        if lock:
            created.object_lock_enabled = True
            created.versioning_status = "Enabled"
        if copy.versioning:
            client.put_bucket_versioning(Bucket=copy.bucket, VersioningConfiguration={"Status": copy.versioning})
        if lock and copy.object_lock is not None:
            _object_lock(client, copy.bucket, copy.object_lock.days, copy.object_lock.years, copy.object_lock.mode)
        if copy.lifecycle:
            client.put_bucket_lifecycle_configuration(
                Bucket=copy.bucket, LifecycleConfiguration={"Rules": _lifecycle_rules(copy.lifecycle)})
        if copy.newest_object_at is None:
            continue
        count = max(1, copy.object_count_sampled)
        for n in range(count):
            key = NEWEST_KEY if n == count - 1 else f"dr-audit-emulator/older-{n:05d}"
            extra: dict[str, Any] = {}
            if copy.newest_object_storage_class and copy.newest_object_storage_class != "STANDARD":
                extra["StorageClass"] = copy.newest_object_storage_class
            client.put_object(Bucket=copy.bucket, Key=key, Body=b"dr-audit emulated copy\n",
                              ChecksumAlgorithm="SHA256", **extra)
            # Older objects are a day older than the newest, so "newest" is unambiguous.
            newest = n == count - 1
            backend_keys.append((copy.bucket, key, copy.newest_object_at if newest else _older(copy.newest_object_at)))
    backend = s3.backend()
    for bucket_name, key, moment in backend_keys:
        bucket = backend.buckets[bucket_name]
        naive = _aware(moment).astimezone(UTC).replace(tzinfo=None)
        for version in bucket.keys.getlist(key):
            version.last_modified = naive


def _older(moment: datetime) -> datetime:
    return moment - timedelta(days=1)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parallel(work: Callable[[Any], None], items: list[Any], workers: int) -> None:
    if len(items) <= 4:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(work, items):
            pass
