"""moto keeps one bucket namespace per process: clouds seeded in turn reuse names; overlapping ones say why not."""

from __future__ import annotations

import pytest

from dr_audit.emulator import EmulatedCloud
from dr_audit.emulator.cos import BucketNameInUse

from .test_cos import cos_estate, s3


def test_clouds_started_in_turn_can_seed_the_same_bucket_names():
    estate = cos_estate()
    for _ in range(2):
        with EmulatedCloud(estate) as cloud:
            assert len(s3(cloud.cos_endpoint_url).list_buckets()["Buckets"]) == 4


def test_a_second_running_cloud_with_the_same_names_is_refused_clearly():
    estate = cos_estate()
    with EmulatedCloud(estate):
        second = EmulatedCloud(estate)
        with pytest.raises(BucketNameInUse, match="already served"):
            second.start()
        assert second.endpoint_url  # it started the API server, then stopped everything it had started
    with EmulatedCloud(estate) as again:  # the refused cloud left no bucket behind
        assert len(s3(again.cos_endpoint_url).list_buckets()["Buckets"]) == 4
