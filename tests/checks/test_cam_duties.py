"""Separation of duties judged per class of domain gives exactly the verdicts of walking every domain."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dr_audit import cam_policy
from dr_audit.estate import CamPolicy, CamState, CamUser, CbsState, CvmState, Disk, Instance, Snapshot
from dr_audit.registry import load_registry
from dr_audit.scope import Scope

from ..conftest import NOW, make_estate

ACCOUNTS = ("100000000001", "100000000002")
REGIONS = ("ap-shanghai", "ap-beijing")
ACTIONS = ("cbs:TerminateDisks", "cbs:DeleteSnapshots", "cvm:TerminateInstances", "cbs:*", "cvm:*", "*")
# Patterns that name whole classes of resources and patterns that name single resources.
RESOURCES = ("*", "qcs::cvm::uin/100000000001:*", "qcs::cvm:ap-beijing::*", "qcs::cvm:::snapshot/*",
             "qcs::cvm:ap-shanghai:uin/100000000001:snapshot/snap-1", "qcs::cvm:::volume/disk-2", "qcs::cos:::*")

statements = st.lists(st.fixed_dictionaries({
    "effect": st.sampled_from(["allow", "allow", "deny"]),
    "action": st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2),
    "resource": st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2)}), min_size=1, max_size=3)
disks = st.lists(st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(REGIONS), st.integers(0, 2),
                           st.booleans()), min_size=1, max_size=8)


def _estate(policy_statements, disk_rows):
    policies = [CamPolicy(account=account, policy_id=str(n), name=f"p{n}", kind="custom",
                          document={"version": "2.0", "statement": body})
                for account in ACCOUNTS for n, body in enumerate(policy_statements)]
    users = [CamUser(account=account, uin=f"{account}{n}", name=f"u{n}", policy_ids=[str(n)])
             for account in ACCOUNTS for n in range(len(policy_statements))]
    disk_models, snapshots, instances = [], [], []
    for n, (account, region, snapshot_count, attached) in enumerate(disk_rows):
        disk_id = f"disk-{n}"
        instance_id = f"ins-{n}" if attached else None
        disk_models.append(Disk(account=account, region=region, disk_id=disk_id, instance_id=instance_id,
                                attached=attached, tags={"env": "prod"}))
        if instance_id:
            instances.append(Instance(account=account, region=region, instance_id=instance_id, tags={"env": "prod"}))
        snapshots += [Snapshot(account=account, region=region, snapshot_id=f"snap-{n}{k}", disk_id=disk_id,
                               created_at=NOW) for k in range(snapshot_count)]
    return make_estate(cam=CamState(policies=policies, users=users), cbs=CbsState(disks=disk_models,
                       snapshots=snapshots), cvm=CvmState(instances=instances))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_statements=st.lists(statements, min_size=1, max_size=3), disk_rows=disks)
def test_class_representatives_decide_as_the_full_walk_does(policy_statements, disk_rows):
    load_registry()  # the built-in checks load as the dr_audit_checks package
    from dr_audit_checks.cam import CheckParams, Duties, data_domains

    estate = _estate(policy_statements, disk_rows)
    domains = data_domains(estate, CheckParams(scope=Scope()))
    grouped = Duties.of(domains)
    walk_all = Duties(domains, domains, grouped.data_actions, grouped.backup_actions)
    for user in estate.cam.users:
        # Fresh evaluators: the decision cache must not carry one walk's answers into the other.
        assert grouped.verdict(cam_policy.Evaluator(estate.cam), user) == \
            walk_all.verdict(cam_policy.Evaluator(estate.cam), user)


def _verdicts(policy_statements, disk_rows):
    load_registry()
    from dr_audit_checks.cam import CheckParams, Duties, data_domains

    estate = _estate(policy_statements, disk_rows)
    duties = Duties.of(data_domains(estate, CheckParams(scope=Scope())))
    return [duties.verdict(cam_policy.Evaluator(estate.cam), user)[:2] for user in estate.cam.users[:1]]


def test_a_region_scoped_grant_is_judged_in_its_region_only():
    scoped = [[{"effect": "allow", "action": ["cbs:TerminateDisks"], "resource": ["qcs::cvm:ap-beijing::*"]},
               {"effect": "allow", "action": ["cbs:DeleteSnapshots"], "resource": ["*"]}]]
    rows = [(ACCOUNTS[0], "ap-shanghai", 1, False), (ACCOUNTS[0], "ap-beijing", 1, False)]
    [(status, message)] = _verdicts(scoped, rows)
    assert status == "FAIL" and "disk disk-1" in message


def test_a_grant_on_one_snapshot_is_judged_on_that_snapshot():
    one = [[{"effect": "allow", "action": ["cbs:TerminateDisks"], "resource": ["*"]},
            {"effect": "allow", "action": ["cbs:DeleteSnapshots"],
             "resource": ["qcs::cvm:ap-shanghai:uin/100000000001:snapshot/snap-10"]}]]
    rows = [(ACCOUNTS[0], "ap-shanghai", 1, False), (ACCOUNTS[0], "ap-shanghai", 1, False)]
    [(status, message)] = _verdicts(one, rows)
    assert status == "FAIL" and "disk disk-1" in message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_statements=st.lists(statements, min_size=1, max_size=3), disk_rows=disks)
def test_domains_built_on_demand_are_the_domains_built_at_once(policy_statements, disk_rows):
    load_registry()
    from dr_audit_checks.cam import CheckParams, Duties, data_domains

    estate = _estate(policy_statements, disk_rows)
    params = CheckParams(scope=Scope())
    at_once = Duties.of(data_domains(estate, params))
    on_demand = Duties.of_estate(estate, params)
    assert len(on_demand.domains) == len(at_once.domains)
    assert (on_demand.representatives, on_demand.data_actions, on_demand.backup_actions) == \
        (at_once.representatives, at_once.data_actions, at_once.backup_actions)
    for user in estate.cam.users:
        assert on_demand.verdict(cam_policy.Evaluator(estate.cam), user) == \
            at_once.verdict(cam_policy.Evaluator(estate.cam), user)
    assert list(on_demand.domains) == list(at_once.domains)


@settings(max_examples=100, deadline=None)
@given(disk_rows=disks.filter(lambda rows: any(snapshot_count for _, _, snapshot_count, _ in rows)))
def test_a_disk_s_class_is_the_class_of_its_built_domain(disk_rows):
    load_registry()
    from dr_audit_checks.cam import _disk_class, _disk_domain, _prod_disks, domain_class

    estate = _estate([[{"effect": "allow", "action": ["*"], "resource": ["*"]}]], disk_rows)
    prod = _prod_disks(estate, Scope())
    assert prod  # a prod disk with a snapshot is a data domain
    for disk in prod:
        assert _disk_class(*disk) == domain_class(_disk_domain(*disk))
