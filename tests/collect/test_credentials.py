"""Where the live keys come from: the SDK's chain, a named profile, or nowhere (one clear line, exit 2)."""

from __future__ import annotations

import pytest

from dr_audit.cli import main
from dr_audit.collect.credentials import NO_CREDENTIALS, base_secrets
from dr_audit.errors import BadInput


def test_without_any_credentials_a_live_run_says_how_to_provide_them(capsys, tmp_path):
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: t\nchecks:\n  cbs_daily_snapshot_policy: {}\n")
    assert main(["run", "--pack", str(pack)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TENCENTCLOUD_SECRET_ID" in err and "--demo" in err


def test_environment_keys_carry_the_session_token(monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDenv")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "env-key")
    monkeypatch.setenv("TENCENTCLOUD_SESSION_TOKEN", "env-token")
    secrets = base_secrets(None)
    assert (secrets.secret_id, secrets.secret_key, secrets.token) == ("AKIDenv", "env-key", "env-token")


def test_a_named_profile_is_read_from_the_credentials_file(tmp_path):
    path = tmp_path / "home" / ".tencentcloud" / "credentials"
    path.parent.mkdir(parents=True)
    path.write_text("[default]\nsecret_id = AKIDdefault\nsecret_key = k0\n\n[audit]\nsecret_id = AKIDaudit\n"
                    "secret_key = k1\n")
    assert base_secrets("audit").secret_id == "AKIDaudit"
    assert base_secrets(None).secret_id == "AKIDdefault"
    with pytest.raises(BadInput, match="--profile nope"):
        base_secrets("nope")


def test_no_credentials_is_bad_input_with_the_hint():
    with pytest.raises(BadInput) as caught:
        base_secrets(None)
    assert str(caught.value) == NO_CREDENTIALS


def test_auditor_policy_command_prints_the_generated_policy(capsys, tmp_path):
    import json

    from dr_audit.readonly import auditor_policy

    assert main(["auditor-policy"]) == 0
    assert json.loads(capsys.readouterr().out) == auditor_policy()
    target = tmp_path / "policy.json"
    assert main(["auditor-policy", "--output", str(target)]) == 0
    assert json.loads(target.read_text()) == auditor_policy()
