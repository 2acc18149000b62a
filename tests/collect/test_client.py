"""The client layer every live read goes through: read-only guard, retries, rate limits, errors without secrets."""

from __future__ import annotations

import json

import pytest

from dr_audit.collect.client import ApiClient, Endpoint, RateLimiter, ReadOnlyViolation, RetryPolicy, TokenBucket
from dr_audit.collect.errors import CallError, Secrets, scrub
from dr_audit.readonly import api_reads, auditor_policy_json, cam_actions, is_read_action

from .fake_api import FakeApi

SECRET_ID = "AKIDtestSECRETid0000000000000000abcd"
SECRET_KEY = "test-secret-key-never-shown-0123456789"
FAST = RetryPolicy(max_attempts=4, base=0.001, cap=0.005)


def client(fake: FakeApi, **kwargs) -> ApiClient:
    options = {"retry": FAST, "timeout": 2.0, "limiter": RateLimiter(enabled=False)} | kwargs
    return ApiClient(Secrets(SECRET_ID, SECRET_KEY), "100000000001", endpoint=Endpoint(fake.url), **options)


def test_a_write_action_is_refused_before_anything_is_sent():
    with FakeApi(answers={"cvm:TerminateInstances": {}}) as fake:
        with pytest.raises(ReadOnlyViolation, match="cvm:TerminateInstances"):
            client(fake).call("cvm", "TerminateInstances", {"InstanceIds": ["ins-1"]}, "ap-shanghai")
        with pytest.raises(ReadOnlyViolation):
            client(fake).call("cam", "DeleteUser", {"Name": "x"})
        assert fake.requests == []


def test_a_read_reaches_the_override_endpoint_signed_for_its_own_service():
    with FakeApi(answers={"cbs:DescribeDisks": {"TotalCount": 0, "DiskSet": []}}) as fake:
        answer = client(fake).call("cbs", "DescribeDisks", {"Limit": 100}, "ap-shanghai")
    assert answer["DiskSet"] == []
    [seen] = fake.requests
    assert (seen.service, seen.action, seen.region, seen.params) == ("cbs", "DescribeDisks", "ap-shanghai",
                                                                     {"Limit": 100})
    assert seen.authorization.startswith("TC3-HMAC-SHA256 Credential=AKID")


def test_throttling_and_server_errors_are_retried_and_the_later_success_wins():
    with FakeApi(answers={"cam:ListUsers": {"Data": [{"Uin": 1}]}},
                 faults={"cam:ListUsers": ["RequestLimitExceeded", "InternalError",
                                           "RequestLimitExceeded.UinLimitExceeded"]}) as fake:
        api = client(fake)
        assert api.call("cam", "ListUsers") == {"Data": [{"Uin": 1}], "RequestId": "req-1"}
    assert len(fake.calls("cam:ListUsers")) == 4
    assert api.stats.sent["cam:ListUsers"] == 4 and api.stats.retried["cam:ListUsers"] == 3


def test_a_denied_read_is_not_retried_and_keeps_its_code():
    with FakeApi(faults={"cam:ListUsers": ["AuthFailure.UnauthorizedOperation"]}) as fake, \
            pytest.raises(CallError) as caught:
        client(fake).call("cam", "ListUsers")
    assert caught.value.code == "AuthFailure.UnauthorizedOperation"
    assert len(fake.requests) == 1


def test_retries_give_up_after_the_policy_allows_and_report_the_last_code():
    with FakeApi(answers={"cvm:DescribeInstances": {}},
                 faults={"cvm:DescribeInstances": ["RequestLimitExceeded"] * 10}) as fake, \
            pytest.raises(CallError) as caught:
        client(fake).call("cvm", "DescribeInstances", {}, "ap-shanghai")
    assert caught.value.code == "RequestLimitExceeded"
    assert len(fake.requests) == FAST.max_attempts


def test_a_dropped_connection_and_a_malformed_body_become_call_errors_after_retries():
    with FakeApi(faults={"cvm:DescribeInstances": ["drop"] * 10, "cbs:DescribeDisks": ["malformed"] * 10}) as fake:
        api = client(fake)
        with pytest.raises(CallError) as dropped:
            api.call("cvm", "DescribeInstances", {}, "ap-shanghai")
        with pytest.raises(CallError) as malformed:
            api.call("cbs", "DescribeDisks", {}, "ap-shanghai")
    assert dropped.value.code == "ClientNetworkError"
    assert malformed.value.code == "MalformedResponse"
    assert len(fake.calls("cbs:DescribeDisks")) == FAST.max_attempts


def test_a_stalled_answer_times_out():
    with FakeApi(answers={"cvm:DescribeInstances": {}}, faults={"cvm:DescribeInstances": [("stall", 1.5)] * 3}) as fake:
        api = client(fake, timeout=0.3, retry=RetryPolicy(max_attempts=1))
        with pytest.raises(CallError) as caught:
            api.call("cvm", "DescribeInstances", {}, "ap-shanghai")
    assert caught.value.code == "ClientNetworkError"


def test_secrets_never_reach_an_error_message():
    with FakeApi(faults={"cam:ListUsers": ["AuthFailure.SignatureFailure"]},
                 echo_in_errors=f"{SECRET_ID} {SECRET_KEY}") as fake, pytest.raises(CallError) as caught:
        client(fake).call("cam", "ListUsers")
    shown = f"{caught.value} {caught.value.reason} {caught.value.message}"
    assert SECRET_KEY not in shown and SECRET_ID not in shown
    assert "AuthFailure.SignatureFailure" in shown
    assert SECRET_KEY not in repr(Secrets(SECRET_ID, SECRET_KEY, "tok"))


def test_scrub_masks_anything_shaped_like_a_secret_id():
    assert scrub("key AKIDabcdefghijklmnop used", None) == "key AKID**** used"


def test_offset_pages_follow_the_total_across_pages():
    disks = [{"DiskId": f"disk-{n}"} for n in range(250)]

    def page(params):
        return {"TotalCount": len(disks), "DiskSet": disks[params["Offset"]:params["Offset"] + params["Limit"]]}

    with FakeApi(answers={"cbs:DescribeDisks": page}) as fake:
        found = list(client(fake).offset_pages("cbs", "DescribeDisks", {}, "DiskSet", region="ap-shanghai"))
    assert [d["DiskId"] for d in found] == [d["DiskId"] for d in disks]
    assert [r.params["Offset"] for r in fake.requests] == [0, 100, 200]


def test_vpc_paging_sends_offset_and_limit_as_strings_and_cam_pages_count_from_one():
    vpcs = [{"VpcId": f"vpc-{n}"} for n in range(150)]
    groups = [{"GroupId": n} for n in range(45)]

    def vpc_page(params):
        start, size = int(params["Offset"]), int(params["Limit"])
        return {"TotalCount": len(vpcs), "VpcSet": vpcs[start:start + size]}

    def group_page(params):
        start = (params["Page"] - 1) * params["Rp"]
        return {"TotalNum": len(groups), "GroupInfo": groups[start:start + params["Rp"]]}

    with FakeApi(answers={"vpc:DescribeVpcs": vpc_page, "cam:ListGroups": group_page}) as fake:
        api = client(fake)
        assert len(list(api.offset_pages("vpc", "DescribeVpcs", {}, "VpcSet", region="r", as_strings=True))) == 150
        assert len(list(api.page_number_pages("cam", "ListGroups", {}, "GroupInfo"))) == 45
    assert [r.params["Offset"] for r in fake.calls("vpc:DescribeVpcs")] == ["0", "100"]
    assert [r.params["Page"] for r in fake.calls("cam:ListGroups")] == [1, 2, 3]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_token_bucket_paces_calls_at_its_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=20, clock=clock, sleep=clock.sleep)
    for _ in range(41):
        bucket.acquire()
    assert clock.now == pytest.approx(2.0)  # the first call is free, then one every 1/20 s


def test_the_rate_limiter_keeps_one_bucket_per_account_service_and_action_at_the_documented_limit():
    limiter = RateLimiter()
    assert limiter.bucket("a", "cam", "ListUsers").rate == 20
    assert limiter.bucket("a", "cvm", "DescribeInstances").rate == 40
    assert limiter.bucket("a", "vpc", "DescribeVpcs").rate == 100
    assert limiter.bucket("a", "cam", "ListUsers") is limiter.bucket("a", "cam", "ListUsers")
    assert limiter.bucket("a", "cam", "ListUsers") is not limiter.bucket("b", "cam", "ListUsers")
    assert limiter.bucket("a", "cam", "ListUsers") is not limiter.bucket("a", "cam", "GetPolicy")


def test_the_auditor_policy_is_valid_cam_json_of_read_actions_only():
    policy = json.loads(auditor_policy_json())
    assert policy["version"] == "2.0"
    [statement] = policy["statement"]
    assert statement["effect"] == "allow" and statement["resource"] == ["*"]
    actions = statement["action"]
    assert actions == cam_actions() and len(actions) == len(set(actions))
    read_verbs = ("Describe", "List", "Get", "Search", "Head", "AssumeRole")
    for name in actions:
        service, _, action = name.removeprefix("name/").partition(":")
        assert name.startswith("name/") and service and action.startswith(read_verbs), name
    assert "name/cos:GetBucketVersioning" in actions and "name/cam:DescribeSafeAuthFlagColl" in actions
    for service, names in api_reads().items():
        if service == "organization":  # granted only by `auditor-policy --organization`
            continue
        granted = [n for n in names if (service, n) != ("sts", "AssumeRole")]  # only on named roles, never on *
        assert all(is_read_action(service, n) and f"name/{service}:{n}" in actions for n in granted)
    assert "name/sts:AssumeRole" not in actions


def test_an_endpoint_override_keeps_its_protocol_and_port_and_a_bad_one_is_bad_input():
    from dr_audit.errors import BadInput

    assert Endpoint("http://127.0.0.1:8080/").http_profile_args() == {"protocol": "http", "endpoint": "127.0.0.1:8080"}
    assert Endpoint("https://api.example.test").http_profile_args() == {"protocol": "https",
                                                                        "endpoint": "api.example.test"}
    assert Endpoint(None).http_profile_args() == {}
    with pytest.raises(BadInput, match="--endpoint-url"):
        Endpoint("http://:80").http_profile_args()
