"""TC3-HMAC-SHA256 verification and dispatch by credential scope, through the real SDK."""

from __future__ import annotations

import http.client
import json
import time
import types

import pytest
from tencentcloud.common import abstract_client

from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY

from .conftest import call, error_code


def test_a_request_signed_with_the_configured_key_is_answered(client):
    users = call(client("cam"), "ListUsers")["Data"]
    assert {u["Name"] for u in users} == {"alice", "bob"}


def test_an_unknown_secret_id_is_refused_as_not_found(client):
    cam = client("cam", secret_id="AKIDunknown000000000000000000000000", secret_key=DEMO_SECRET_KEY)
    assert error_code(cam, "ListUsers") == "AuthFailure.SecretIdNotFound"


def test_a_wrong_secret_key_fails_the_signature(client):
    cam = client("cam", secret_id=DEMO_SECRET_ID, secret_key="not-the-key")
    assert error_code(cam, "ListUsers") == "AuthFailure.SignatureFailure"


def test_a_timestamp_more_than_five_minutes_off_has_expired(client, monkeypatch):
    # Only the SDK's clock is moved: the server keeps the real time.
    skewed = types.SimpleNamespace(time=lambda: time.time() - 600, sleep=time.sleep)
    monkeypatch.setattr(abstract_client, "time", skewed)
    assert error_code(client("cam"), "ListUsers") == "AuthFailure.SignatureExpire"


def test_a_timestamp_within_five_minutes_is_accepted(client, monkeypatch):
    skewed = types.SimpleNamespace(time=lambda: time.time() - 200, sleep=time.sleep)
    monkeypatch.setattr(abstract_client, "time", skewed)
    assert call(client("cam"), "GetAccountSummary")["User"] == 2


def test_the_service_comes_from_the_credential_scope_not_the_endpoint(client):
    # Every service shares one endpoint: a CVM client asking for a CAM action is asking CVM, which has no such read.
    assert error_code(client("cvm", "ap-shanghai"), "ListUsers") == "InvalidAction"
    assert call(client("cvm", "ap-shanghai"), "DescribeInstances")["TotalCount"] == 3


def _post(cloud, headers: dict[str, str], body: bytes = b"{}") -> tuple[int, str, dict]:
    host, port = cloud.endpoint_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request("POST", "/", body=body, headers={"Content-Type": "application/json", **headers})
    answer = connection.getresponse()
    data = json.loads(answer.read())
    connection.close()
    return answer.status, answer.getheader("Content-Type"), data


def test_an_unsigned_request_fails_and_errors_are_exact_json(cloud):
    status, content_type, data = _post(cloud, {"X-TC-Action": "ListUsers"})
    assert status == 200 and content_type == "application/json"  # exactly: the SDK ignores errors otherwise
    assert data["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert data["Response"]["RequestId"]


def test_a_tampered_body_fails_the_signature(cloud):
    # Sign a real request with the SDK's own machinery, then change one byte of the payload.
    from tencentcloud.common.http.request import RequestInternal

    from .conftest import sdk_client

    sdk = sdk_client(cloud.endpoint_url, "cvm", "ap-shanghai")
    request = RequestInternal(cloud.endpoint_url.removeprefix("http://"), "POST", "/")
    sdk._build_req_with_tc3_signature("DescribeInstances", {"Limit": 1}, request)
    headers = dict(request.header)
    status, _, data = _post(cloud, headers, body=request.data.encode())
    assert "Error" not in data["Response"]
    status, _, data = _post(cloud, headers, body=request.data.replace("1", "2").encode())
    assert data["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("service", ["cam", "cbs", "cdb", "cloudaudit", "sts"])
def test_every_service_verifies_with_its_own_scope(client, service):
    region = "" if service in ("cam", "sts") else "ap-shanghai"
    bad = client(service, region, secret_id=DEMO_SECRET_ID, secret_key="wrong")
    action = {"cam": "ListUsers", "cbs": "DescribeDisks", "cdb": "DescribeDBInstances",
              "cloudaudit": "DescribeAuditTracks", "sts": "GetCallerIdentity"}[service]
    assert error_code(bad, action) == "AuthFailure.SignatureFailure"
