"""`dr-audit auditor-policy` is generated from the calls themselves: every call site's action is declared for its
module (and nothing else is), the statements are separate, AssumeRole is granted only on the roles named, and what
a full run plus `drill start` sends to the emulated cloud is exactly the policy."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import dr_audit
from dr_audit import readonly
from dr_audit.cli import main
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud
from dr_audit.estate import Gap
from dr_audit.scenarios import build

PACKAGE = Path(dr_audit.__file__).parent
API_CALLS = {"call", "offset_pages", "page_number_pages"}
ROLE = "qcs::cam::uin/100000000001:roleName/ci-deployer"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def api_call_sites(path: Path) -> set[tuple[str, str]]:
    """(service, action) of every API 3.0 call in a file: `<client>.call|offset_pages|page_number_pages(S, "A")`,
    S a literal or the module's SERVICE constant."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 for target in node.targets if isinstance(target, ast.Name)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in API_CALLS
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
            continue
        first = node.args[0]
        service = first.value if isinstance(first, ast.Constant) else \
            constants.get(first.id) if isinstance(first, ast.Name) else None
        assert isinstance(service, str), f"{path}:{node.lineno}: a call whose service cannot be read"
        found.add((service, str(node.args[1].value)))
    return found


def declared_api_reads() -> dict[str, set[tuple[str, str]]]:
    declared: dict[str, set[tuple[str, str]]] = {}
    groups = [readonly.AUDIT_API_READS, getattr(readonly, "ORGANIZATION_READS", {})]
    for group in groups:
        for module, by_service in group.items():
            declared.setdefault(module, set()).update((s, a) for s, actions in by_service.items() for a in actions)
    declared.setdefault(readonly.ASSUME_ROLE_CALLER, set()).add(readonly.ASSUME_ROLE)
    return declared


def test_every_api_call_site_is_declared_for_its_module_and_every_declaration_is_called():
    called = {module_name(path): sites for path in sorted(PACKAGE.rglob("*.py"))
              if "emulator" not in path.parts and (sites := api_call_sites(path))}
    declared = declared_api_reads()
    # A module whose file is not (yet) in this checkout cannot call anything.
    declared = {module: reads for module, reads in declared.items()
                if (PACKAGE.parent / (module.replace(".", "/") + ".py")).exists()}
    assert called == declared


def s3_operations_called(path: Path, reader: str) -> set[str]:
    """Operations named in `read(client, "Op", ...)` calls (reader "read") or boto3 method calls (reader "")."""
    from botocore import xform_name

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if reader and isinstance(node.func, ast.Name) and node.func.id == reader and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant):
            found.add(str(node.args[1].value))
        # A boto3 method is called on a client just fetched (`self._client(region).head_object(...)`).
        if not reader and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
            for operation in ("ListObjectsV2", "HeadObject", "GetObject", "ListObjects"):
                if node.func.attr == xform_name(operation):
                    found.add(operation)
    return found


def test_every_s3_operation_called_is_declared_for_its_kind_and_every_declaration_is_called():
    collector = PACKAGE / "collect" / "s3.py"
    assert s3_operations_called(collector, "read") == set(readonly.COS_AUDIT_OPERATIONS) | readonly.OFFSITE_OPERATIONS
    drill = PACKAGE / "drill" / "evidence.py"
    assert s3_operations_called(drill, "") == set(readonly.DRILL_OPERATIONS)


def policy(*args: str, capsys) -> dict:
    assert main(["auditor-policy", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_default_policy_is_the_audit_alone_with_no_assume_role(capsys):
    document = policy(capsys=capsys)
    assert document["version"] == "2.0"
    [audit] = document["statement"]
    assert audit["effect"] == "allow" and audit["resource"] == ["*"]
    assert "sts:AssumeRole" not in json.dumps(document)
    assert audit["action"] == readonly.audit_actions() == sorted(set(audit["action"]))
    # Reads once listed but never called are gone.
    for never in ("dasb:SearchCommand", "dasb:SearchSession", "dasb:SearchAuditLog", "cloudaudit:DescribeEvents"):
        assert f"name/{never}" not in audit["action"]


def test_role_arns_and_the_drill_each_add_a_statement_of_their_own(capsys):
    other = "qcs::cam::uin/300000000002:roleName/auditor"
    document = policy("--role-arn", ROLE, "--role-arn", other, "--drill", capsys=capsys)
    audit, drill, assume = document["statement"]
    assert audit["action"] == readonly.audit_actions()
    assert drill == {"effect": "allow", "action": ["name/cos:GetBucket", "name/cos:HeadObject"], "resource": ["*"]}
    assert assume == {"effect": "allow", "action": ["name/sts:AssumeRole"], "resource": [ROLE, other]}
    assert not set(drill["action"]) & set(audit["action"])
    only_roles = policy("--role-arn", ROLE, capsys=capsys)
    assert [s["resource"] for s in only_roles["statement"]] == [["*"], [ROLE]]


PLAN = """\
kind: monthly
name: Policy drill
tiers:
  - name: tier-1
    rto_minutes: 240
    rpo_minutes: 527040
steps:
  - name: recovery-points
    type: automated
    action: recovery_points
  - name: replica-checksums
    type: automated
    action: replica_checksums
    sample: 5
approvers:
  - name: Li Wei
    role: DR lead
"""

# Reads the policy must grant although no branch of this scenario sends them, each with the reason.
NOT_EXERCISED = {
    # Sent only when DescribeDisks answers a null AutoSnapshotPolicyIds although bindings were asked for; the
    # emulator always answers them (and does not serve the per-disk read).
    "name/cbs:DescribeDiskAssociatedAutoSnapshotPolicy",
    # Sent only when a bucket listing names no region for a bucket; the emulator's listing always names it.
    "name/cos:HeadBucket",
}


@pytest.fixture
def cloud():
    now = datetime.now(UTC).replace(microsecond=0)
    estate = build("weimob-2020", now)
    account = estate.accounts[0]
    # Weimob had no CCN: borrow the hardened estate's, so their attachments are read too.
    estate.vpc.ccns.extend(build("hardened", now).vpc.ccns)
    # Fifty-at-a-time last logins refused: the collector falls back to GetUser, user by user.
    estate.gaps.append(Gap(account=account, service="cam", region="", operation="DescribeSubAccounts",
                           code="AuthFailure.UnauthorizedOperation", message="not allowed"))
    with EmulatedCloud(estate) as emulated:
        yield estate, emulated


def test_a_full_run_and_drill_start_send_exactly_the_policy_s_actions(cloud, capsys, monkeypatch, tmp_path):
    estate, emulated = cloud
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    monkeypatch.setenv("DR_AUDIT_NO_INSTANCE_ROLE", "1")
    # Objects in a replicated bucket and its replica, so the drill has something to sample and HEAD.
    source = next(b for b in estate.cos.buckets if b.replication and b.replication.rules)
    rule = source.replication.rules[0]
    for name, region in ((source.name, source.region), (rule.destination_bucket, rule.destination_region)):
        seeding = emulated._cos.client(region or "ap-guangzhou", source.account)
        seeding.put_object(Bucket=name, Key=f"{rule.prefix}sample.bin", Body=b"dr-audit policy test\n")
    where = ["--endpoint-url", emulated.endpoint_url, "--cos-endpoint-url", emulated.cos_endpoint_url,
             "--role-arn", ROLE, "--history", str(tmp_path / "history.db")]
    assert main(["run", *where, "--format", "json", "--output", str(tmp_path / "report.json")]) in (0, 1, 3)
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    assert main(["drill", "start", str(plan), *where]) == 0
    seen = emulated.seen_actions()
    capsys.readouterr()
    granted = {action for statement in policy("--role-arn", ROLE, "--drill", capsys=capsys)["statement"]
               for action in statement["action"]}
    assert "name/cam:GetUser" in seen and "name/cos:HeadObject" in seen and "name/sts:AssumeRole" in seen
    assert seen - granted == set(), "sent but not in the policy"
    assert granted - seen == NOT_EXERCISED, "in the policy but never sent"
