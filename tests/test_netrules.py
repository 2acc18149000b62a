"""Security-group rule semantics: parsing the API's shapes and first-match evaluation, checked against brute force."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.estate import SecurityGroupRule
from dr_audit.netrules import (
    ANY_IPV4,
    INTERNET,
    AddressIndex,
    AddressSet,
    Admission,
    Probe,
    admits_addresses,
    admits_group,
    admits_groups,
    could_admit,
    covers_probe,
    parse_network,
    parse_ports,
    probed,
    subtract_all,
    traffic_probes,
)


def rule(action: str = "ACCEPT", protocol: str = "tcp", port: str = "22", **source: str) -> SecurityGroupRule:
    return SecurityGroupRule(action=action, protocol=protocol, port=port, **(source or {"cidr": "0.0.0.0/0"}))


@pytest.mark.parametrize(("text", "ranges"), [
    ("22", [(22, 22)]), ("22-23", [(22, 23)]), ("22,3389", [(22, 22), (3389, 3389)]), (" 80, 8000-8080 ",
     [(80, 80), (8000, 8080)]), ("ALL", None), ("all", None),
])
def test_port_strings_in_every_shape_the_api_gives(text, ranges):
    assert parse_ports(text) == ranges


@pytest.mark.parametrize("text", ["ssh", "", "23-22", "70000", "22-", None])
def test_port_strings_that_do_not_parse_are_refused(text):
    with pytest.raises(ValueError):
        parse_ports(text)


def test_protocol_case_all_and_icmp():
    assert covers_probe(rule(protocol="TCP", port="22-23"), Probe("tcp", 23)) is True
    assert covers_probe(rule(protocol="tcp", port="22,3389"), Probe("tcp", 3389)) is True
    assert covers_probe(rule(protocol="ALL", port="ALL"), Probe("tcp", 5432)) is True
    assert covers_probe(rule(protocol="UDP", port="22"), Probe("tcp", 22)) is False
    assert covers_probe(rule(protocol="icmp", port="ALL"), Probe("tcp", 22)) is False
    assert covers_probe(rule(protocol="tcp", port="ssh"), Probe("tcp", 22)) is None
    assert covers_probe(SecurityGroupRule(service_template="ppm-1", cidr="0.0.0.0/0"), Probe("tcp", 22)) is None


def test_zero_network_of_any_length_is_the_whole_internet_as_tencent_maps_it():
    assert parse_network("0.0.0.0/8") == ANY_IPV4
    assert parse_network("10.0.0.5") == ipaddress.ip_network("10.0.0.5/32")
    assert parse_network("10.0.1.7/16") == ipaddress.ip_network("10.0.0.0/16")


def test_first_match_wins_and_partial_drops_do_not_shadow():
    internet = [ANY_IPV4]
    dropped = [rule("DROP", cidr="0.0.0.0/0"), rule("ACCEPT", cidr="0.0.0.0/0")]
    assert admits_addresses(dropped, Probe("tcp", 22), internet).admission is Admission.DENIED
    partly = [rule("DROP", cidr="10.0.0.0/8"), rule("ACCEPT", cidr="0.0.0.0/0")]
    assert admits_addresses(partly, Probe("tcp", 22), internet).admitted
    split = [rule("DROP", cidr="0.0.0.0/1"), rule("DROP", cidr="128.0.0.0/1"), rule("ACCEPT", cidr="0.0.0.0/0")]
    assert admits_addresses(split, Probe("tcp", 22), internet).admission is Admission.DENIED
    assert admits_addresses([], Probe("tcp", 22), internet).admission is Admission.DENIED  # no match: dropped


def test_unreadable_rules_make_the_answer_unknown_only_where_they_could_decide():
    template = rule("ACCEPT", address_template="ipm-1")
    assert admits_addresses([template], Probe("tcp", 22), [ANY_IPV4]).admission is Admission.UNKNOWN
    shadow = [rule("DROP", port="ssh", cidr="0.0.0.0/0"), rule("ACCEPT", cidr="0.0.0.0/0")]
    assert admits_addresses(shadow, Probe("tcp", 22), [ANY_IPV4]).admission is Admission.UNKNOWN
    # A definite DROP of everything before the template settles it.
    settled = [rule("DROP", cidr="0.0.0.0/0"), template]
    assert admits_addresses(settled, Probe("tcp", 22), [ANY_IPV4]).admission is Admission.DENIED


def test_group_sources():
    rules = [rule("ACCEPT", source_security_group_id="sg-test")]
    assert admits_group(rules, Probe("tcp", 22), "sg-test").admitted
    assert admits_group(rules, Probe("tcp", 22), "sg-other").admission is Admission.DENIED
    blocked = [rule("DROP", cidr="0.0.0.0/0"), *rules]
    assert admits_group(blocked, Probe("tcp", 22), "sg-test").admission is Admission.DENIED


def test_traffic_probes_cover_every_port_stretch():
    probes = traffic_probes([rule(port="8000-8080"), rule(protocol="udp", port="53")])
    tcp_ports = {p.port for p in probes if p.protocol == "tcp"}
    assert {1, 53, 54, 8000, 8081} <= tcp_ports
    assert Probe("icmp") in probes


# Brute force over a small world: addresses 10.0.0.0/26, ports 20..25.
BLOCKS = ["10.0.0.0/26", "10.0.0.0/27", "10.0.0.32/27", "10.0.0.0/28", "10.0.0.16/28", "10.0.0.48/28",
          "10.0.0.8/29", "10.0.0.5/32", "10.0.0.40/30", "0.0.0.0/0"]
PORTS = ["ALL", "22", "20-23", "22,25", "24-25"]
rules_strategy = st.lists(st.builds(
    lambda action, protocol, port, cidr: SecurityGroupRule(action=action, protocol=protocol, port=port, cidr=cidr),
    st.sampled_from(["ACCEPT", "DROP"]), st.sampled_from(["tcp", "TCP", "udp", "ALL"]), st.sampled_from(PORTS),
    st.sampled_from(BLOCKS)), max_size=6)


def brute_force(rules: list[SecurityGroupRule], probe: Probe, block: str) -> bool:
    for address in ipaddress.ip_network(block):
        for candidate in rules:
            if covers_probe(candidate, probe) and address in parse_network(candidate.cidr or ""):
                if candidate.action == "ACCEPT":
                    return True
                break
    return False


@settings(max_examples=150, deadline=None)
@given(rules=rules_strategy, port=st.integers(20, 25), block=st.sampled_from(BLOCKS[:-1]))
def test_evaluation_matches_brute_force_first_match(rules, port, block):
    probe = Probe("tcp", port)
    verdict = admits_addresses(rules, probe, [ipaddress.ip_network(block)])
    assert verdict.admitted == brute_force(rules, probe, block)


# Small address space so generated rules and ranges overlap often: 10.0.0.0/8 cut at a few prefix lengths.
_blocks = st.builds(lambda a, b, p: str(ipaddress.ip_network(f"10.{a}.{b}.0/{p}", strict=False)),
                    st.integers(0, 3), st.integers(0, 3), st.sampled_from([8, 14, 16, 22, 24, 28]))
_sources = st.one_of(_blocks, st.just("0.0.0.0/0"), st.just("not-a-cidr"),
                     st.builds(lambda: {"address_template": "ipm-1"}), st.builds(lambda: {"sg": "sg-x"}))
_rules = st.lists(st.builds(
    lambda action, protocol, port, source: SecurityGroupRule(
        action=action, protocol=protocol, port=port,
        **({"address_template": source["address_template"]} if isinstance(source, dict) and "address_template"
           in source else {"source_security_group_id": source["sg"]} if isinstance(source, dict) else
           {"cidr": source})),
    st.sampled_from(["ACCEPT", "DROP", "ACCEPT", "LOG"]), st.sampled_from(["tcp", "udp", "ALL", "icmp", "xyz"]),
    st.sampled_from(["22", "3306", "1-1024", "ALL", "bad"]), _sources), max_size=6)
_ranges = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.lists(_blocks, min_size=1, max_size=2),
                          max_size=5)


@settings(max_examples=300, deadline=None)
@given(ranges=_ranges, probe=_blocks)
def test_the_address_index_finds_exactly_the_overlapping_ranges(ranges, probe):
    named = {name: [parse_network(c) for c in cidrs] for name, cidrs in ranges.items()}
    network = parse_network(probe)
    expected = {name for name, blocks in named.items() if any(b.overlaps(network) for b in blocks)}
    assert AddressIndex(named).overlapping(network) == expected


@settings(max_examples=300, deadline=None)
@given(rules=_rules, ranges=_ranges, ignore_internet=st.booleans())
def test_ranges_ruled_out_are_denied_for_every_probe(rules, ranges, ignore_internet):
    named = {name: [parse_network(c) for c in cidrs] for name, cidrs in ranges.items()}

    def counts(networks):
        return not (ignore_internet and any(n.prefixlen == 0 for n in networks))

    candidates = could_admit(rules, AddressIndex(named), counts)
    if candidates is None:
        return
    for name, blocks in named.items():
        if name in candidates:
            continue
        for probe in traffic_probes(rules):
            assert admits_addresses(rules, probe, blocks, counts=counts).admission is Admission.DENIED


def one_group_at_a_time(rules: list[SecurityGroupRule], probe: Probe, group_id: str) -> Admission:
    """The plain walk for one source group, as an oracle: its first readable rule, or a DROP of all IPv4, decides;
    an unreadable rule met before that may have admitted (unless it is a DROP) or dropped (unless an ACCEPT)."""
    may_admit = may_drop = False

    def unreadable(rule: SecurityGroupRule) -> None:
        nonlocal may_admit, may_drop
        may_admit = may_admit or rule.action.upper() != "DROP"
        may_drop = may_drop or rule.action.upper() != "ACCEPT"

    for candidate in rules:
        covered = covers_probe(candidate, probe)
        if covered is False:
            continue
        action = candidate.action.strip().upper()
        if candidate.address_template:
            unreadable(candidate)
        elif candidate.source_security_group_id == group_id:
            if covered is None or action not in ("ACCEPT", "DROP"):
                unreadable(candidate)
            elif action == "ACCEPT":
                return Admission.UNKNOWN if may_drop else Admission.ADMITTED
            else:
                return Admission.UNKNOWN if may_admit else Admission.DENIED
        elif not candidate.source_security_group_id and action == "DROP" and candidate.cidr == "0.0.0.0/0":
            if covered is None:
                unreadable(candidate)
            else:
                break
    return Admission.UNKNOWN if may_admit else Admission.DENIED


_group_rules = st.lists(st.builds(
    lambda action, protocol, port, source: SecurityGroupRule(
        action=action, protocol=protocol, port=port,
        **({"address_template": "ipm-1"} if source == "tpl" else {"source_security_group_id": source}
           if source.startswith("sg-") else {"cidr": source})),
    st.sampled_from(["ACCEPT", "DROP", "LOG"]), st.sampled_from(["tcp", "ALL", "udp"]),
    st.sampled_from(["22", "1-100", "ALL", "bad"]),
    st.sampled_from(["sg-a", "sg-b", "sg-c", "0.0.0.0/0", "10.0.0.0/8", "tpl"])), max_size=7)


@settings(max_examples=300, deadline=None)
@given(rules=_group_rules, port=st.sampled_from([22, 80]))
def test_one_walk_for_many_groups_answers_as_one_walk_per_group(rules, port):
    probe = Probe("tcp", port)
    # sg-d is named by no rule: groups nobody names share one answer, which must still be each one's own.
    together = admits_groups(rules, probe, ["sg-a", "sg-b", "sg-c", "sg-d"])
    for group in ("sg-a", "sg-b", "sg-c", "sg-d"):
        assert together[group].admission is one_group_at_a_time(rules, probe, group)
        assert together[group] == admits_group(rules, probe, group)


_cuts = st.lists(_blocks, max_size=3)


@settings(max_examples=200, deadline=None)
@given(rules=_rules, cuts=_cuts, port=st.sampled_from([22, 80]))
def test_an_address_set_answers_as_the_cidr_blocks_it_stands_for(rules, cuts, port):
    probe = Probe("tcp", port)
    networks = [parse_network(c) for c in cuts]
    as_set = admits_addresses(rules, probe, AddressSet(INTERNET, networks))
    as_blocks = admits_addresses(rules, probe, subtract_all(INTERNET, networks))
    assert (as_set.admission, as_set.rule, as_set.reason, as_set.sources) == \
        (as_blocks.admission, as_blocks.rule, as_blocks.reason, as_blocks.sources)


@settings(max_examples=200, deadline=None)
@given(rules=_rules, group_rules=_group_rules, cuts=_cuts, port=st.sampled_from([22, 80, 3306]))
def test_walks_over_the_rules_sifted_for_a_probe_answer_as_over_all_of_them(rules, group_rules, cuts, port):
    probe = Probe("tcp", port)
    both = rules + group_rules
    sifted = probed(both, probe)
    assert all(covers_probe(r, probe) is not False for r in sifted)
    kept = {id(r) for r in sifted}
    assert all(covers_probe(r, probe) is False for r in both if id(r) not in kept)
    addresses = AddressSet(INTERNET, [parse_network(c) for c in cuts])
    assert admits_addresses(sifted, probe, addresses) == admits_addresses(both, probe, addresses)
    groups = ["sg-a", "sg-b", "sg-c", "sg-x"]
    assert admits_groups(sifted, probe, groups) == admits_groups(both, probe, groups)


@settings(max_examples=200, deadline=None)
@given(first=_rules, opened=st.booleans(), rest=_rules, more=_group_rules, cuts=_cuts,
       port=st.sampled_from([22, 80, 3306]))
def test_addresses_let_in_by_the_first_rules_are_let_in_whatever_follows(first, opened, rest, more, cuts, port):
    # bastion_only_admin_path judges a host's first group alone once per group: when that admits, the walk of all
    # the host's groups must give the very same verdict. (Ending the first rules with an ACCEPT of everything now
    # and then makes admitting first rules common.)
    if opened:
        first = [*first, SecurityGroupRule(action="ACCEPT", protocol="ALL", port="ALL", cidr="0.0.0.0/0")]
    probe = Probe("tcp", port)
    addresses = AddressSet(INTERNET, [parse_network(c) for c in cuts])
    alone = admits_addresses(first, probe, addresses)
    if alone.admitted:
        assert admits_addresses(first + rest + more, probe, addresses) == alone
