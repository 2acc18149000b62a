"""Each emulated cloud is its own world: clouds running at once may serve the same bucket names, each its own."""

from __future__ import annotations

import pytest

from dr_audit.emulator import EmulatedCloud
from dr_audit.emulator.cos import BucketNameInUse
from dr_audit.estate import Bucket

from .test_cos import MEDIA, cos_estate, s3


def test_clouds_started_in_turn_can_seed_the_same_bucket_names():
    estate = cos_estate()
    for _ in range(2):
        with EmulatedCloud(estate) as cloud:
            assert len(s3(cloud.cos_endpoint_url).list_buckets()["Buckets"]) == 4


def test_clouds_running_at_once_serve_the_same_names_each_with_its_own_configuration():
    first_estate, second_estate = cos_estate(), cos_estate()
    second_estate.cos.buckets[0].versioning = "Suspended"
    with EmulatedCloud(first_estate) as first, EmulatedCloud(second_estate) as second:
        assert s3(first.cos_endpoint_url).get_bucket_versioning(Bucket=MEDIA)["Status"] == "Enabled"
        assert s3(second.cos_endpoint_url).get_bucket_versioning(Bucket=MEDIA)["Status"] == "Suspended"
        second.stop()  # stopping one leaves the other's buckets in place
        assert s3(first.cos_endpoint_url).get_bucket_versioning(Bucket=MEDIA)["Status"] == "Enabled"
        assert len(s3(first.cos_endpoint_url).list_buckets()["Buckets"]) == 4


def test_a_bucket_named_twice_in_one_account_is_refused_clearly():
    estate = cos_estate()
    estate.cos.buckets.append(Bucket(account=estate.accounts[0], region="ap-beijing", name=MEDIA))
    cloud = EmulatedCloud(estate)
    with pytest.raises(BucketNameInUse, match="twice"):
        cloud.start()
    with EmulatedCloud(cos_estate()) as again:  # the refused cloud stopped everything it had started
        assert len(s3(again.cos_endpoint_url).list_buckets()["Buckets"]) == 4
