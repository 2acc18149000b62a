"""cam_access_key_hygiene: each finding's remediation fits it, a root key's says to delete root keys and a
sub-user's stale key's says to disable and delete that sub-user's key, with the pack's threshold."""

from __future__ import annotations

from datetime import timedelta

from dr_audit.estate import AccessKey, CamAccount, CamState, CamUser

from ..conftest import ACCOUNT, NOW, make_estate, run_check


def key(suffix: str, used_days_ago: int | None, created_days_ago: int = 400) -> AccessKey:
    used = None if used_days_ago is None else NOW - timedelta(days=used_days_ago)
    return AccessKey(key_id=f"AKID****{suffix}", status="Active", created_at=NOW - timedelta(days=created_days_ago),
                     last_used_at=used)


def estate(root_keys: list[AccessKey], *users: CamUser, read_root: bool = True):
    accounts = [CamAccount(account=ACCOUNT, uin=ACCOUNT, root_access_keys=root_keys)] if read_root else []
    return make_estate(cam=CamState(users=list(users), accounts=accounts))


def sub_user(name: str, *keys: AccessKey) -> CamUser:
    return CamUser(account=ACCOUNT, uin=f"uin-{name}", name=name, access_keys=list(keys))


def remediations(findings) -> dict[str, tuple[str, str]]:
    return {f.resource.id: (f.status.value, f.remediation) for f in findings}


def test_a_sub_users_stale_key_is_told_to_disable_that_key_not_about_the_root_account(registry):
    users = estate([], sub_user("stale", key("bbbb", 120)), sub_user("never", key("cccc", None)))
    found = remediations(run_check(registry, "cam_access_key_hygiene", users, max_unused_days=60))
    for name in ("stale", "never"):
        status, remediation = found[name]
        assert status == "FAIL"
        assert remediation.startswith("Disable the sub-user's keys unused for 60 days")
        assert "root" not in remediation


def test_a_root_key_is_told_to_delete_the_root_accounts_keys(registry):
    status, remediation = remediations(run_check(registry, "cam_access_key_hygiene", estate([key("r00t", 1)])))[ACCOUNT]
    assert status == "FAIL"
    assert remediation.startswith("Delete the root account's API keys")
    assert "Disable the sub-user" not in remediation


def test_what_could_not_be_read_keeps_the_checks_whole_remediation_and_a_pass_none(registry):
    fresh = sub_user("fresh", key("aaaa", 2))
    found = remediations(run_check(registry, "cam_access_key_hygiene", estate([], fresh, read_root=False)))
    status, remediation = found[ACCOUNT]
    assert status == "ERROR"
    # Either fix may be the one needed: the check's remediation covers both.
    assert "root account" in remediation and "unused for 90 days" in remediation
    assert found["fresh"] == ("PASS", "")
