"""Drill test fixtures: a small estate with real recovery points, its objects in a moto S3 server, and a plan."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dr_audit.estate import (
    Bucket,
    CbsState,
    CdbState,
    CosState,
    Disk,
    Estate,
    MysqlBackup,
    MysqlInstance,
    OffsiteCopy,
    OffsiteState,
    Replication,
    ReplicationRule,
    Snapshot,
)

ACCOUNT = "100000000001"
PACK = Path(__file__).with_name("pack.yaml")
_names = itertools.count(1)

PLAN = """\
kind: {kind}
name: Test {kind} drill
scope:
  description: Restore the app database and disk.
tiers:
  - name: tier-1
    rto_minutes: 240
    rpo_minutes: 1560
steps:
  - name: recovery-points
    type: automated
    action: recovery_points
  - name: replica-checksums
    type: automated
    action: replica_checksums
    sample: 10
  - name: restore-database
    type: manual
    recovery: true
    evidence: ["restore log"]
  - name: restore-disk
    type: manual
    recovery: true
    evidence: ["new disk id"]
approvers:
  - name: Li Wei
    role: DR owner
  - name: Zhang Min
    role: Head of operations
"""


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns a failure's output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys moto accepts: Tencent's for COS (DESIGN.md §5), boto3's chain for the off-site cloud."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDtestonly")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "testonly")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "offsite-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "offsite-test")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "TENCENTCLOUD_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Clock:
    """The drill clock, moved forward as a drill's hours pass (dr_audit.history.clock is the one clock it reads)."""

    offset: timedelta = timedelta()

    def advance(self, minutes: float) -> None:
        self.offset += timedelta(minutes=minutes)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


CLOCK = Clock()


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every drill test starts at the real time; a test moves CLOCK forward as its drill takes time."""
    from dr_audit.history import clock as drill_clock

    CLOCK.offset = timedelta()
    monkeypatch.setattr(drill_clock, "utc_now", CLOCK.now)
    return CLOCK


@dataclass
class World:
    estate: Estate
    snapshot: Path
    source: str
    replica: str
    offsite: str
    endpoint: str

    def client(self, region: str = "ap-shanghai") -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", region_name=region, endpoint_url=self.endpoint, aws_access_key_id="x",
                            aws_secret_access_key="x", config=Config(s3={"addressing_style": "path"}))


def build_world(tmp_path: Path, endpoint: str, *, snapshot_age: timedelta = timedelta(hours=2),
                collected_at: datetime | None = None, objects: int = 12) -> World:
    now = datetime.now(UTC).replace(microsecond=0)
    n = next(_names)
    source, replica, offsite = f"media{n}-1250000001", f"media{n}-replica-1250000001", f"media{n}-offsite"
    estate = Estate(
        source="snapshot", collected_at=collected_at or now, accounts=[ACCOUNT], regions=["ap-shanghai", "ap-beijing"],
        cbs=CbsState(
            disks=[Disk(account=ACCOUNT, region="ap-shanghai", disk_id="disk-data-app1", attached=True,
                        instance_id="ins-app1")],
            snapshots=[Snapshot(account=ACCOUNT, region="ap-shanghai", snapshot_id="snap-app1",
                                disk_id="disk-data-app1", created_at=now - snapshot_age)]),
        cdb=CdbState(instances=[MysqlInstance(
            account=ACCOUNT, region="ap-shanghai", instance_id="cdb-app1",
            backups=[MysqlBackup(backup_id="b1", status="SUCCESS", started_at=now - timedelta(hours=3, minutes=20),
                                 finished_at=now - timedelta(hours=3))])]),
        cos=CosState(buckets=[
            Bucket(account=ACCOUNT, region="ap-shanghai", name=source, versioning="Enabled",
                   replication=Replication(rules=[ReplicationRule(destination_bucket=replica,
                                                                  destination_region="ap-beijing")])),
            Bucket(account=ACCOUNT, region="ap-beijing", name=replica, versioning="Enabled"),
        ]),
        offsite=OffsiteState(copies=[OffsiteCopy(account="offsite:other", target="other", endpoint_url=endpoint,
                                                 bucket=offsite, source_bucket=source,
                                                 newest_object_at=now - timedelta(hours=1))]),
    )
    world = World(estate, tmp_path / "estate.json", source, replica, offsite, endpoint)
    estate.save(world.snapshot)
    for bucket, region in ((source, "ap-shanghai"), (replica, "ap-beijing"), (offsite, "us-east-1")):
        client = world.client(region)
        if region == "us-east-1":
            client.create_bucket(Bucket=bucket)
        else:
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        for i in range(objects):
            client.put_object(Bucket=bucket, Key=f"images/{i:04d}.jpg", Body=f"image {i}".encode() * (i + 1))
    return world


def write_plan(tmp_path: Path, kind: str = "monthly", text: str | None = None) -> Path:
    path = tmp_path / f"{kind}-plan.yaml"
    path.write_text(text if text is not None else PLAN.format(kind=kind), encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from dr_audit.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
