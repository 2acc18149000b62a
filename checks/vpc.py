"""Network isolation (W1.3): dev, test and prod live in separate VPCs, no link joins prod to the others, and no
security group lets other environments, or the whole internet on admin ports, into production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import Field

from dr_audit.api import (
    Ccn,
    CheckParams,
    Estate,
    Instance,
    Peering,
    Result,
    Scope,
    SecurityGroup,
    SecurityGroupRule,
    Vpc,
    check,
    netrules,
)

ADMIN_AND_DATABASE_PORTS = [22, 3389, 3306, 5432, 6379, 27017]


class IsolationParams(CheckParams):
    pass


class LinkParams(CheckParams):
    # A peer VPC outside the audited estate (another account, or a region not collected) cannot be shown to be
    # prod: "error" says the audit could not tell, "fail" treats every such link from prod as a breach.
    unknown_peer: Literal["error", "fail"] = "error"


class CrossEnvironmentIngressParams(CheckParams):
    # Rules open to the whole internet (0.0.0.0/0, ::/0) are web traffic, judged by sg_no_public_admin_ports.
    ignore_internet_wide: bool = True


class PublicAdminPortsParams(CheckParams):
    admin_ports: list[int] = Field(default_factory=lambda: list(ADMIN_AND_DATABASE_PORTS), min_length=1)


def vpc_env(scope: Scope, vpc: Vpc) -> str | None:
    return scope.env_of(vpc.tags, vpc.name)


def group_environments(estate: Estate, scope: Scope) -> dict[str, set[str]]:
    """Each security group's environments: its own tag or name, and those of the instances that use it."""
    envs: dict[str, set[str]] = {}
    for group in estate.vpc.security_groups:
        own = None if group.unknown("tags") else scope.env_of(group.tags, group.name)
        envs[group.security_group_id] = {own} if own else set()
    for instance, env in zip(estate.cvm.instances, estate.cvm.environments(scope), strict=True):
        if instance.unreadable and instance.unknown("tags", "security_group_ids"):
            continue
        for group_id in instance.security_group_ids:
            if env:
                envs.setdefault(group_id, set()).add(env)
    return envs


@check(
    id="vpc_environment_isolation",
    promise="W1.3",
    severity="high",
    title="No VPC holds resources of two environments",
    remediation="Move the other environment's instances into a VPC of their own (a VPC cannot be changed in place: "
    "make an image, launch in the right VPC, retire the old instance), and tag every VPC and instance with its "
    "environment.",
    requires=("vpc", "cvm"),
    risk="Hosts of different environments in one VPC reach each other freely; a test box becomes a way into prod.",
)
def environment_isolation(estate: Estate, params: IsolationParams) -> Iterator[Result]:
    scope = params.scope
    # vpc id -> its instances, each with its environment
    members: dict[str, list[tuple[Instance, str | None]]] = {vpc.vpc_id: [] for vpc in estate.vpc.vpcs}
    placeless: dict[str, list[str]] = {}  # account -> instances whose VPC is unknown: any VPC of it may hold them
    for instance, instance_env in zip(estate.cvm.instances, estate.cvm.environments(scope), strict=True):
        if instance.unreadable and (reason := instance.unknown("vpc_id")):
            placeless.setdefault(instance.account, []).append(f"{instance.instance_id} ({reason})")
            yield Result.error(instance, f"cannot tell which VPC it is in: {reason}")
        elif instance.vpc_id and instance.vpc_id not in members:
            yield Result.error(instance, f"its VPC {instance.vpc_id} is not in the VPC inventory")
        elif instance.vpc_id:
            members[instance.vpc_id].append((instance, instance_env))
    for vpc in estate.vpc.vpcs:
        by_env: dict[str, list[str]] = {}
        unreadable: list[str] = []
        own_unknown = vpc.unknown("tags")
        own = None if own_unknown else vpc_env(scope, vpc)
        if own:
            by_env.setdefault(own, []).append(vpc.vpc_id)
        unreadable += [f"{stray}, whose VPC is unknown" for stray in placeless.get(vpc.account, [])]
        for instance, env in members[vpc.vpc_id]:
            if instance.unreadable and (reason := instance.unknown("tags")):
                unreadable.append(f"{instance.instance_id} ({reason})")
            elif env:
                by_env.setdefault(env, []).append(instance.instance_id)
        evidence: dict[str, Any] = {"vpc_environment": own, "resources_by_environment": by_env}
        if len(by_env) > 1:
            strays = sorted(f"{r} ({env})" for env, ids in by_env.items() if env != own for r in ids if r != vpc.vpc_id)
            yield Result.fail(vpc, f"holds {' and '.join(sorted(by_env))} resources: {', '.join(strays)}",
                              **evidence)
        elif own_unknown or unreadable:
            yield Result.error(vpc, f"cannot tell every environment in it: {own_unknown or ', '.join(unreadable)}",
                               **evidence)
        else:
            yield Result.ok(vpc, **evidence)


class _Classifier:
    """Environments of VPCs by id, as far as the Estate can say."""

    def __init__(self, estate: Estate, scope: Scope) -> None:
        self.estate = estate
        self.scope = scope

    def env(self, vpc_id: str) -> tuple[str | None, str | None]:
        """(environment or None, why it cannot be known or None)."""
        vpc = self.estate.vpc.vpc(vpc_id)
        if vpc is None:
            return None, f"{vpc_id} is outside the audited estate (another account or an uncollected region)"
        if reason := vpc.unknown("tags"):
            return None, f"{vpc_id}: {reason}"
        return vpc_env(self.scope, vpc), None


def _judge_link(resource: Peering | Ccn, vpc_ids: list[str], classifier: _Classifier, params: LinkParams) -> Result:
    envs: dict[str, str | None] = {}
    outside: list[str] = []
    unreadable: list[str] = []
    for vpc_id in vpc_ids:
        env, why = classifier.env(vpc_id)
        envs[vpc_id] = env
        if why:
            (outside if classifier.estate.vpc.vpc(vpc_id) is None else unreadable).append(why)
    evidence: dict[str, Any] = {"vpc_environments": envs}
    prod = [v for v, env in envs.items() if env == "prod"]
    others = [f"{v} ({env})" for v, env in envs.items() if env and env != "prod"]
    untagged = [v for v, env in envs.items() if env is None and classifier.estate.vpc.vpc(v) is not None
                and not classifier.estate.vpc.vpc(v).unknown("tags")]  # type: ignore[union-attr]
    if prod and others:
        return Result.fail(resource, f"joins prod {', '.join(prod)} to {', '.join(others)}", **evidence)
    if prod and untagged:
        return Result.fail(resource, f"joins prod {', '.join(prod)} to {', '.join(untagged)}, which has no "
                           "environment tag and cannot be shown to be prod", **evidence)
    if unreadable:
        return Result.error(resource, f"cannot tell the environments it joins: {'; '.join(unreadable)}", **evidence)
    if outside and prod and params.unknown_peer == "fail":
        return Result.fail(resource, f"joins prod {', '.join(prod)} to a VPC the audit cannot see: "
                           f"{'; '.join(outside)}", **evidence)
    if outside:
        return Result.error(resource, f"cannot tell the environments it joins: {'; '.join(outside)}", **evidence)
    return Result.ok(resource, **evidence)


@check(
    id="vpc_no_cross_environment_links",
    promise="W1.3",
    severity="high",
    title="No active peering connection or CCN joins a prod VPC to a non-prod VPC",
    remediation="Delete the peering connection or detach the non-prod VPC from the CCN (console: VPC > Peering "
    "connections / Cloud Connect Network); link prod only to prod VPCs, and tag every VPC with its environment.",
    requires=("vpc",),
    risk="A route between prod and test lets anyone who owns a test box reach production hosts and databases.",
)
def no_cross_environment_links(estate: Estate, params: LinkParams) -> Iterator[Result]:
    classifier = _Classifier(estate, params.scope)
    for peering in estate.vpc.peerings:
        if reason := peering.unknown("state", "source_vpc_id", "peer_vpc_id"):
            yield Result.error(peering, reason)
        elif peering.state.strip().upper() != "ACTIVE":
            yield Result.ok(peering, f"not active ({peering.state}): carries no traffic")
        else:
            yield _judge_link(peering, [peering.source_vpc_id, peering.peer_vpc_id], classifier, params)
    for ccn in estate.vpc.ccns:
        if reason := ccn.unknown("state", "attachments"):
            yield Result.error(ccn, reason)
            continue
        if ccn.state.strip().upper() != "AVAILABLE":
            yield Result.ok(ccn, f"not available ({ccn.state}): carries no traffic")
            continue
        vpc_ids = [a.instance_id for a in ccn.attachments
                   if a.instance_type.strip().upper() == "VPC" and a.state.strip().upper() == "ACTIVE"]
        yield _judge_link(ccn, vpc_ids, classifier, params)


@check(
    id="sg_no_cross_environment_ingress",
    promise="W1.3",
    severity="medium",
    title="No prod security group admits traffic from a non-prod VPC CIDR or security group",
    remediation="Remove the ingress rules that accept non-prod VPC CIDRs or non-prod security groups from the prod "
    "security group (or put a DROP rule for them above every ACCEPT), and resolve or replace address templates "
    "the audit cannot read.",
    requires=("vpc", "cvm"),
    risk="Security groups are the last line between environments; a test range allowed into prod undoes the split.",
)
def no_cross_environment_ingress(estate: Estate, params: CrossEnvironmentIngressParams) -> Iterator[Result]:
    scope = params.scope
    envs = group_environments(estate, scope)
    non_prod_cidrs: dict[str, list[netrules.Network]] = {}
    unjudged: list[str] = []  # non-prod VPCs whose ranges are unknown
    for vpc in estate.vpc.vpcs:
        if vpc.unknown("tags"):
            unjudged.append(vpc.vpc_id)  # it may be non-prod, with ranges prod groups must be judged against
            continue
        env = vpc_env(scope, vpc)
        if env and env != "prod":
            # A non-prod range the audit cannot read could be admitted anywhere: say so rather than skip it.
            if reason := vpc.unknown("cidr", "extra_cidrs"):
                unjudged.append(vpc.vpc_id)
                yield Result.error(vpc, f"its address ranges are unknown, so prod groups cannot be judged against "
                                   f"them: {reason}")
                continue
            try:
                non_prod_cidrs[f"{vpc.vpc_id} ({env})"] = [netrules.parse_network(c) for c in
                                                           [vpc.cidr, *vpc.extra_cidrs] if c]
            except ValueError as exc:
                unjudged.append(vpc.vpc_id)
                yield Result.error(vpc, f"its address range does not parse ({exc}), so prod groups cannot be judged "
                                   "against it")
    non_prod_groups = {g for g, found in envs.items() if found - {"prod"}}
    index = netrules.AddressIndex(non_prod_cidrs)

    def counts(networks: list[netrules.Network]) -> bool:
        return not (params.ignore_internet_wide and netrules.is_internet_wide(networks))

    for group in estate.vpc.security_groups:
        if "prod" not in envs.get(group.security_group_id, set()):
            if group.unknown("tags"):
                yield Result.error(group, f"cannot tell whether it is a prod group: {group.unknown('tags')}")
            continue
        if reason := group.unknown("ingress"):
            yield Result.error(group, reason)
            continue
        tally = netrules.Tally()
        # A group admitting its own members is only cross-environment when non-prod instances use it too.
        referenced = sorted({r.source_security_group_id for r in group.ingress if r.source_security_group_id}
                            & non_prod_groups)
        # Only the ranges some rule could let in need walking the rules; the others are denied whatever the probe.
        candidates = netrules.could_admit(group.ingress, index, counts)
        ranges = [(name, cidrs) for name, cidrs in non_prod_cidrs.items() if candidates is None or name in candidates]
        for probe in netrules.traffic_probes(group.ingress) if ranges or referenced else ():
            for name, cidrs in ranges:
                tally.add(name, probe, netrules.admits_addresses(group.ingress, probe, cidrs, counts=counts))
            verdicts = netrules.admits_groups(group.ingress, probe, referenced) if referenced else {}
            for other in referenced:  # sorted, as the tally lists them
                tally.add(f"{other} ({'/'.join(sorted(envs[other]))})", probe, verdicts[other])
        if unjudged and not tally.admitted and any(_private_accept(r, counts) for r in group.ingress):
            yield Result.error(group, f"cannot be judged against {', '.join(unjudged)}, whose address ranges are "
                               "unknown", **tally.evidence())
            continue
        yield tally_result(group, tally, "admits non-prod traffic")


def _private_accept(rule: SecurityGroupRule, counts: Callable[[list[netrules.Network]], bool]) -> bool:
    """An ACCEPT rule that could let in some private range (not one judged elsewhere as internet-wide)."""
    if rule.action.strip().upper() == "DROP":
        return False
    try:
        return counts(netrules.rule_networks(rule)) and bool(rule.cidr or rule.ipv6_cidr)
    except ValueError:
        return True


def tally_result(group: SecurityGroup, tally: netrules.Tally, failing: str) -> Result:
    make, message, evidence = tally_verdict(tally, failing)
    return make(group, message, **evidence)


def tally_verdict(tally: netrules.Tally, failing: str) -> tuple[Callable[..., Result], str, dict[str, Any]]:
    """(result factory, message, evidence) for a group whose rules gave `tally`."""
    if admitted := tally.admitted_lines():
        more = f" (and {len(admitted) - 3} more)" if len(admitted) > 3 else ""
        return Result.fail, f"{failing}: {'; '.join(admitted[:3])}{more}", tally.evidence()
    if undecided := tally.undecided_lines():
        return Result.error, f"cannot tell: {undecided[0]}", tally.evidence()
    return Result.ok, "", {}


@check(
    id="sg_no_public_admin_ports",
    promise="W1.3",
    severity="high",
    title="No security group admits the whole internet to admin or database ports",
    remediation="Remove the ACCEPT rules from 0.0.0.0/0 or ::/0 to ports {admin_ports} (or put a DROP rule for them "
    "above); reach hosts through the bastion and databases from the application's own security group.",
    requires=("vpc",),
    risk="SSH, RDP and database ports open to the internet are scanned within minutes and brute-forced for ever.",
)
def no_public_admin_ports(estate: Estate, params: PublicAdminPortsParams) -> Iterator[Result]:
    internets = [(netrules.AddressSet([internet]), str(internet)) for internet in netrules.INTERNET]
    # Groups made from one template hold the same address rules, and so get the same verdict: judge each once.
    verdicts: dict[tuple[tuple[str | None, ...], ...], tuple[Callable[..., Result], str, dict[str, Any]]] = {}
    for group in estate.vpc.security_groups:
        if reason := group.unknown("ingress"):
            yield Result.error(group, reason)
            continue
        key = _address_rules(group)
        if (verdict := verdicts.get(key)) is None:
            verdict = verdicts[key] = _public_admin_ports(group, params.admin_ports, internets)
        make, message, evidence = verdict
        yield make(group, message, **evidence)


def _address_rules(group: SecurityGroup) -> tuple[tuple[str | None, ...], ...]:
    """All that decides which addresses a group admits: its rules about addresses, as they read. Rules naming a
    source group are about that group's members, which no address question reaches."""
    return tuple((r.action, r.protocol, r.port, r.service_template, r.cidr, r.ipv6_cidr, r.address_template,
                  r.source_security_group_id) for r in group.ingress
                 if not r.source_security_group_id or r.address_template)


def _public_admin_ports(group: SecurityGroup, admin_ports: list[int], internets: list[tuple[netrules.AddressSet, str]],
                        ) -> tuple[Callable[..., Result], str, dict[str, Any]]:
    """(result factory, message, evidence) for the group's admin ports seen from the internet."""
    tally = netrules.Tally()
    open_ports: set[int] = set()
    for port in admin_ports:
        probe = netrules.Probe("tcp", port)
        rules = netrules.probed(group.ingress, probe)  # sifted once for both internets
        for internet, label in internets:
            verdict = netrules.admits_addresses(rules, probe, internet, counts=netrules.is_internet_wide)
            if verdict.admitted:
                open_ports.add(port)
            tally.add(label, probe, verdict)
    ports = ", ".join(str(p) for p in sorted(open_ports))
    return tally_verdict(tally, f"admits the internet to port {ports}")
