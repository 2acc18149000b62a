"""Latency, documented rate limits, injected faults, the read-only refusal and the record of every call."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from dr_audit.emulator import EmulatedCloud, Faults, RecordedCall
from dr_audit.emulator.server import documented_rate

from .conftest import SH, call, error_code, sdk_client


@pytest.fixture
def faulty(estate):
    """Start an emulated cloud (API only) with the given options; stopped after the test."""
    started: list[EmulatedCloud] = []

    def start(**options) -> EmulatedCloud:
        cloud = EmulatedCloud(estate, cos=False, **options).start()
        started.append(cloud)
        return cloud

    yield start
    for cloud in started:
        cloud.stop()


def codes(client, action: str, times: int, workers: int = 8) -> list[str]:
    def one(_: int) -> str:
        try:
            client.call_json(action, {})
            return "ok"
        except TencentCloudSDKException as exc:
            return exc.get_code()

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(times)))


def test_every_call_is_recorded_with_service_action_and_region(faulty):
    cloud = faulty()
    call(sdk_client(cloud.endpoint_url, "cam"), "ListUsers")
    call(sdk_client(cloud.endpoint_url, "cbs", SH), "DescribeDisks")
    error_code(sdk_client(cloud.endpoint_url, "cvm", SH), "TerminateInstances", {"InstanceIds": ["ins-sh0001"]})
    assert cloud.requests == [RecordedCall("cam", "ListUsers", ""), RecordedCall("cbs", "DescribeDisks", SH),
                              RecordedCall("cvm", "TerminateInstances", SH)]


def test_a_non_read_action_is_refused_and_recorded(faulty):
    cloud = faulty()
    cam = sdk_client(cloud.endpoint_url, "cam")
    assert error_code(cam, "DeleteUser", {"Name": "alice"}) == "UnauthorizedOperation"
    assert error_code(sdk_client(cloud.endpoint_url, "cbs", SH), "DeleteSnapshots") == "UnauthorizedOperation"
    assert RecordedCall("cam", "DeleteUser", "") in cloud.requests
    assert "alice" in {u["Name"] for u in call(cam, "ListUsers")["Data"]}


def test_an_unknown_read_action_is_invalid(client):
    assert error_code(client("cbs", SH), "DescribeDiskColours") == "InvalidAction"


def test_latency_is_added_to_every_answer(faulty):
    cloud = faulty(latency=0.15)
    cam = sdk_client(cloud.endpoint_url, "cam")
    started = time.monotonic()
    call(cam, "GetAccountSummary")
    call(cam, "GetAccountSummary")
    assert time.monotonic() - started >= 0.3


def test_documented_rate_limits_answer_request_limit_exceeded(faulty):
    assert documented_rate("cam", "ListUsers") == 20
    assert documented_rate("cvm", "DescribeInstances") == 40
    assert documented_rate("vpc", "DescribeVpcs") == 100
    cloud = faulty(rate_limits=True)
    started = time.monotonic()
    results = codes(sdk_client(cloud.endpoint_url, "cam"), "GetAccountSummary", 150)
    elapsed = time.monotonic() - started
    # A burst against 20/s: one second's worth up front plus 20 for every second the burst lasted, no more.
    assert 20 <= results.count("ok") <= 20 + 20 * elapsed + 1
    assert set(results) == {"ok", "RequestLimitExceeded"}
    time.sleep(0.3)  # the bucket refills at 20/s
    assert call(sdk_client(cloud.endpoint_url, "cam"), "GetAccountSummary")["User"] == 2


def test_rate_limits_are_per_action(faulty):
    cloud = faulty(rate_limits={"cam:ListUsers": 2})
    cam = sdk_client(cloud.endpoint_url, "cam")
    started = time.monotonic()
    passed = codes(cam, "ListUsers", 12, workers=1).count("ok")
    assert 2 <= passed <= 2 + 2 * (time.monotonic() - started) + 1
    assert set(codes(cam, "GetAccountSummary", 12, workers=1)) == {"ok"}  # no limit set for it


def test_denied_services_answer_unauthorized_operation(faulty):
    cloud = faulty(faults=Faults(deny_services={"cdb"}))
    assert error_code(sdk_client(cloud.endpoint_url, "cdb", SH), "DescribeDBInstances") \
        == "AuthFailure.UnauthorizedOperation"
    assert call(sdk_client(cloud.endpoint_url, "cbs", SH), "DescribeDisks")["TotalCount"] == 7


def test_a_throttle_fraction_throttles_about_that_share_reproducibly(faulty):
    first = codes(sdk_client(faulty(faults=Faults(throttle_fraction=0.5, seed=3)).endpoint_url, "cam"),
                  "GetAccountSummary", 100, workers=1)
    second = codes(sdk_client(faulty(faults=Faults(throttle_fraction=0.5, seed=3)).endpoint_url, "cam"),
                   "GetAccountSummary", 100, workers=1)
    assert first == second
    assert 30 <= first.count("RequestLimitExceeded") <= 70


def test_internal_errors_for_the_named_actions_only(faulty):
    cloud = faulty(faults=Faults(internal_error_actions={"cbs:DescribeSnapshots"}))
    cbs = sdk_client(cloud.endpoint_url, "cbs", SH)
    assert error_code(cbs, "DescribeSnapshots") == "InternalError"
    assert call(cbs, "DescribeDisks")["TotalCount"] == 7


def test_a_malformed_body_is_not_json(faulty):
    from tencentcloud.cvm.v20170312 import models

    cloud = faulty(faults=Faults(malformed_actions={"cvm:DescribeInstances"}))
    cvm = sdk_client(cloud.endpoint_url, "cvm", SH)
    # The generated methods wrap the decoding failure as an SDK exception named after it.
    with pytest.raises(TencentCloudSDKException) as raised:
        cvm.DescribeInstances(models.DescribeInstancesRequest())
    assert raised.value.get_code() == "JSONDecodeError"


def test_a_dropped_connection_is_a_client_network_error(faulty):
    cloud = faulty(faults=Faults(drop_actions={"vpc:DescribeVpcs"}))
    vpc = sdk_client(cloud.endpoint_url, "vpc", SH)
    assert error_code(vpc, "DescribeVpcs") == "ClientNetworkError"
    assert call(vpc, "DescribeSecurityGroups")["TotalCount"] == 1


def test_bad_signature_fault_fails_every_request(faulty):
    cloud = faulty(faults=Faults(bad_signature=True))
    assert error_code(sdk_client(cloud.endpoint_url, "cam"), "ListUsers") == "AuthFailure.SignatureFailure"


def test_a_wrong_api_version_is_refused(client):
    cvm = client("cvm", SH)
    cvm._apiVersion = "2099-01-01"
    assert error_code(cvm, "DescribeInstances") == "NoSuchVersion"


def test_the_estates_read_gaps_fail_the_reads_that_caused_them(estate):
    from dr_audit.estate import Gap

    gapped = estate.model_copy(update={"gaps": [
        Gap(account=estate.accounts[0], service="cbs", region=SH, operation="DescribeSnapshots",
            code="AuthFailure.UnauthorizedOperation", message="denied by policy"),
        Gap(account=estate.accounts[0], service="cdb", region="", code="InternalError"),
        Gap(account="999", service="cam", code="AuthFailure.UnauthorizedOperation")]})
    with EmulatedCloud(gapped, cos=False) as cloud:
        cbs = sdk_client(cloud.endpoint_url, "cbs", SH)
        with pytest.raises(TencentCloudSDKException) as raised:
            cbs.call_json("DescribeSnapshots", {})
        assert (raised.value.get_code(), raised.value.get_message()) == (
            "AuthFailure.UnauthorizedOperation", "denied by policy")
        assert call(cbs, "DescribeDisks")["TotalCount"] == 7  # only the named operation fails
        assert call(sdk_client(cloud.endpoint_url, "cbs", "ap-beijing"), "DescribeSnapshots")["TotalCount"] == 18
        for region in (SH, "ap-beijing"):  # a gap without a region covers every region
            assert error_code(sdk_client(cloud.endpoint_url, "cdb", region), "DescribeDBInstances") == "InternalError"
        assert call(sdk_client(cloud.endpoint_url, "cam"), "ListUsers")["Data"]  # another account's gap


def test_a_listless_answer_keeps_only_its_scalars_for_the_named_actions(faulty):
    cloud = faulty(faults=Faults(listless_actions={"cbs:DescribeDisks", "cam:DescribeSafeAuthFlag"}))
    cbs = sdk_client(cloud.endpoint_url, "cbs", SH)
    disks = call(cbs, "DescribeDisks")
    assert "DiskSet" not in disks and disks["TotalCount"] == 7 and disks["RequestId"]
    assert "LoginFlag" not in call(sdk_client(cloud.endpoint_url, "cam"), "DescribeSafeAuthFlag")  # objects go too
    assert len(call(cbs, "DescribeSnapshots")["SnapshotSet"]) == 18  # other actions answer in full


def test_every_action_can_lose_its_lists_or_every_field(faulty):
    cloud = faulty(faults=Faults(listless_actions={"*"}))
    assert "Data" not in call(sdk_client(cloud.endpoint_url, "cam"), "ListUsers")
    assert "InstanceSet" not in call(sdk_client(cloud.endpoint_url, "cvm", SH), "DescribeInstances")
    cloud.faults.listless_actions.clear()
    cloud.faults.emptied_actions.add("cdb:DescribeBackupConfig")
    assert set(call(sdk_client(cloud.endpoint_url, "cdb", SH), "DescribeBackupConfig",
                    {"InstanceId": "cdb-sh0001"})) == {"RequestId"}
    assert call(sdk_client(cloud.endpoint_url, "cvm", SH), "DescribeInstances")["InstanceSet"]
