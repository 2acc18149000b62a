"""Several accounts: one per --role-arn, assumed through STS, read concurrently and merged into one Estate."""

from __future__ import annotations

import re

from dr_audit.collect.run import collect_live
from dr_audit.options import RunOptions

from .fake_api import FakeApi

ROLES = {"qcs::cam::uin/300000000001:roleName/auditor": "300000000001",
         "qcs::cam::uin/300000000002:roleName/auditor": "300000000002"}


def test_each_role_arn_is_assumed_and_its_account_collected_into_one_estate(monkeypatch, tmp_path):
    def assume(params):
        account = ROLES[params["RoleArn"]]
        return {"Credentials": {"TmpSecretId": f"AKIDtmp{account}XXXXXXXXXXXXXXXX", "TmpSecretKey": "tmp-key",
                                "Token": "tmp-token"}, "ExpiredTime": 2_000_000_000}

    def caller(params, request):
        # The fake names the account after the key that signed the request, as STS would.
        signer = re.search(r"Credential=AKIDtmp(\d+)", request.authorization)
        return {"AccountId": signer.group(1) if signer else "base"}

    fake = FakeApi(answers={
        "sts:AssumeRole": assume, "sts:GetCallerIdentity": caller,
        "cvm:DescribeInstances": {"TotalCount": 1, "InstanceSet": [{"InstanceId": "ins-1"}]},
    })
    with fake:
        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDbase00000000000000000000000000")
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "base-key")
        pack = tmp_path / "no-offsite.yaml"  # a pack without off-site targets: this test is about accounts
        pack.write_text("name: accounts-only\n")
        options = RunOptions(regions=["ap-shanghai"], role_arns=list(ROLES), endpoint_url=fake.url,
                             cos_endpoint_url=fake.url, pack=str(pack))
        estate = collect_live(options)
    assert sorted(estate.accounts) == sorted(ROLES.values())
    assert sorted(i.account for i in estate.cvm.instances) == sorted(ROLES.values())
    assumed = fake.calls("sts:AssumeRole")
    assert sorted(r.params["RoleArn"] for r in assumed) == sorted(ROLES)
    assert all("AKIDbase" in r.authorization for r in assumed)
    # Every read after the exchange is signed with the temporary keys, never the base ones.
    assert all("AKIDtmp" in r.authorization for r in fake.requests if r.action != "AssumeRole")
    # What the fake does not serve is a gap for that account, never an empty inventory.
    assert {(g.account, g.service) for g in estate.gaps if g.service == "cam"} == {(a, "cam") for a in ROLES.values()}
    assert {g.code for g in estate.gaps if g.service == "cos"} == {"AccessDenied"}
    assert estate.regions == ["ap-shanghai"] and estate.source == "live"
