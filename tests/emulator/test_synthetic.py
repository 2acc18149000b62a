"""The synthetic estate: the requested sizes, a realistic mix, deterministic, valid, quick, and servable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dr_audit.emulator import EmulatedCloud
from dr_audit.emulator.synthetic import synthetic_estate
from dr_audit.estate import Estate

from .conftest import call, sdk_client

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def large() -> Estate:
    return synthetic_estate(now=NOW)


def test_the_default_sizes(large):
    assert len(large.regions) == 10
    assert len(large.cbs.disks) == 20_000
    assert len(large.cam.users) == 2_000
    assert len(large.cos.buckets) == 2_000
    assert len(large.cdb.instances) == 500
    assert {d.region for d in large.cbs.disks} == set(large.regions)


def test_the_mix_is_realistic(large):
    unbound = [d for d in large.cbs.disks if not d.policy_ids]
    assert 0.02 * len(large.cbs.disks) < len(unbound) < 0.3 * len(large.cbs.disks)
    assert any(not u.action_protection for u in large.cam.users) and any(u.action_protection for u in large.cam.users)
    assert any(b.versioning is None for b in large.cos.buckets) and any(b.replication for b in large.cos.buckets)
    assert any(i.dr_links for i in large.cdb.instances) and any(not i.dr_links for i in large.cdb.instances)
    stale = [s for s in large.cbs.snapshots if (NOW - s.created_at).total_seconds() > 26 * 3600]
    assert stale and len(stale) < len(large.cbs.snapshots)
    # Every replication destination exists as a bucket, so the estate is self-consistent.
    names = {b.name for b in large.cos.buckets}
    assert all(r.destination_bucket in names for b in large.cos.buckets if b.replication
               for r in b.replication.rules)


def test_it_is_deterministic_for_a_seed_and_varies_with_it():
    first = synthetic_estate(disks=500, users=50, buckets=30, mysql=10, regions=3, now=NOW, seed=4)
    again = synthetic_estate(disks=500, users=50, buckets=30, mysql=10, regions=3, now=NOW, seed=4)
    other = synthetic_estate(disks=500, users=50, buckets=30, mysql=10, regions=3, now=NOW, seed=5)
    assert first == again and first != other


def test_it_is_a_valid_estate_through_a_snapshot_round_trip():
    small = synthetic_estate(disks=301, users=40, buckets=30, mysql=7, regions=4, now=NOW)
    assert Estate.model_validate_json(small.to_json()) == small
    assert len(small.cbs.disks) == 301  # an odd count leaves one detached disk


def test_it_can_be_served_and_paged(large):
    with EmulatedCloud(large, cos=False) as cloud:
        region = large.regions[0]
        cbs = sdk_client(cloud.endpoint_url, "cbs", region)
        first = call(cbs, "DescribeDisks", {"Limit": 100})
        assert first["TotalCount"] == sum(d.region == region for d in large.cbs.disks)
        assert len(first["DiskSet"]) == 100
        assert len(call(sdk_client(cloud.endpoint_url, "cam"), "ListUsers")["Data"]) == 2_000
