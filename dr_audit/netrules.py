"""What a Tencent Cloud security group lets in: ports, protocols, sources and first-match rule evaluation.

Tencent Cloud evaluates a group's rules in order (PolicyIndex ascending, the order the Estate keeps) and the first
rule that matches a packet decides; a packet that no rule matches is dropped. An instance with several groups is
judged by their rules one group after the other, in the order the instance lists them. The network and bastion
checks ask one question of those rules: does any of this traffic reach an ACCEPT rule? The answer is ADMITTED,
DENIED, or UNKNOWN when a rule that could decide it cannot be read (an address or service template the Estate does
not resolve, a port string that does not parse).
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from .estate.base import UNKNOWN_UNTIL_APPLY
from .estate.vpc import SecurityGroupRule

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ANY_IPV4 = ipaddress.IPv4Network("0.0.0.0/0")
ANY_IPV6 = ipaddress.IPv6Network("::/0")
INTERNET = (ANY_IPV4, ANY_IPV6)
MAX_PORT = 65535
# Address sets are walked as integer spans (IP version, first, last): intersecting and cutting them is a few
# comparisons, where ipaddress objects cost a parse and an object per piece.
Span = tuple[int, int, int]

# Protocols as the API spells them in any case, plus the IANA numbers some tools write instead.
_PROTOCOL_ALIASES = {"all": "all", "-1": "all", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp",
                     "icmp": "icmp", "1": "icmp", "icmpv6": "icmpv6", "58": "icmpv6", "gre": "gre", "47": "gre"}
PORTED_PROTOCOLS = ("tcp", "udp")
PORTLESS_PROTOCOLS = ("icmp", "icmpv6", "gre")


class Admission(StrEnum):
    ADMITTED = "admitted"
    DENIED = "denied"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Probe:
    """Traffic of one protocol to one port (None for protocols without ports)."""

    protocol: str
    port: int | None = None

    def __str__(self) -> str:
        return self.protocol if self.port is None else f"{self.protocol}/{self.port}"


@dataclass(frozen=True)
class Verdict:
    """The answer for one probe, with the rule that decided it (or made it uncertain) and why."""

    admission: Admission
    rule: SecurityGroupRule | None = None
    reason: str = ""
    # The admitted part of the asked-about addresses as integer spans, spelled out as CIDR blocks only when asked
    # for (`sources`): most callers want the verdict, and spelling costs more than the walk.
    spans: tuple[Span, ...] = field(default=())

    @property
    def admitted(self) -> bool:
        return self.admission is Admission.ADMITTED

    @property
    def sources(self) -> tuple[str, ...]:
        """The admitted part of the asked-about addresses, as CIDR blocks."""
        return tuple(str(network) for network in _networks(self.spans))


def normalise_protocol(text: str | None) -> str | None:
    """`tcp`, `TCP` and `6` are the same protocol; None when the text names none we know."""
    if text is None:
        return None
    return _PROTOCOL_ALIASES.get(text.strip().lower())


def parse_ports(text: str | None) -> list[tuple[int, int]] | None:
    """Inclusive port ranges of `22`, `22-23`, `22,3389`; None for `ALL` (every port). ValueError if not understood."""
    if text is None:
        raise ValueError("no port given")
    ranges = _port_ranges(text)
    return None if ranges is None else list(ranges)


@lru_cache(maxsize=4096)
def _port_ranges(text: str) -> tuple[tuple[int, int], ...] | None:
    # Estates repeat a few port strings thousands of times: parse each once.
    cleaned = text.strip()
    if cleaned.upper() == "ALL":
        return None
    ranges: list[tuple[int, int]] = []
    for part in cleaned.split(","):
        low_text, dash, high_text = part.strip().partition("-")
        low = int(low_text)
        high = int(high_text) if dash else low
        if not 0 <= low <= high <= MAX_PORT:
            raise ValueError(f"port range {part.strip()!r} is out of bounds")
        ranges.append((low, high))
    return tuple(ranges)


@lru_cache(maxsize=65536)
def parse_network(text: str) -> Network:
    """A CIDR block or single address. Tencent maps every `0.0.0.0/n` to `0.0.0.0/0`, so do we.

    Cached: the same few thousand ranges recur in every group's rules, and the objects are immutable."""
    network = ipaddress.ip_network(text.strip(), strict=False)
    if network.network_address == ANY_IPV4.network_address and network.version == 4:
        return ANY_IPV4
    if network.network_address == ANY_IPV6.network_address and network.version == 6:
        return ANY_IPV6
    return network


def covers_probe(rule: SecurityGroupRule, probe: Probe) -> bool | None:
    """Whether the rule's protocol and ports take in the probe; None when they cannot be read."""
    return _covers(rule.service_template, rule.protocol, rule.port, probe.protocol, probe.port)


@lru_cache(maxsize=65536)
def _covers(service_template: str | None, protocol_text: str | None, port_text: str | None, probe_protocol: str,
            probe_port: int | None) -> bool | None:
    # Estates repeat a few (protocol, ports) pairs over thousands of rules, and every probe asks each of them.
    if service_template:
        return None
    protocol = normalise_protocol(protocol_text)
    if protocol is None:
        return None
    if protocol == "all":
        return True  # the API requires Port ALL with protocol ALL
    if protocol != probe_protocol:
        return False
    if probe_port is None or protocol not in PORTED_PROTOCOLS:
        return True
    try:
        ranges = parse_ports(port_text)
    except ValueError:
        return None
    return ranges is None or any(low <= probe_port <= high for low, high in ranges)


def probed(rules: Iterable[SecurityGroupRule], probe: Probe) -> list[SecurityGroupRule]:
    """The rules that may concern `probe` (those `covers_probe` does not rule out), in their order.

    The walks below skip every other rule before looking at it, so they answer the same over these as over all the
    rules: a group's rules can be sifted once per probe and then walked for every host that has the group."""
    return [rule for rule in rules if covers_probe(rule, probe) is not False]


def rule_networks(rule: SecurityGroupRule) -> list[Network]:
    """The address blocks a rule names (CidrBlock and Ipv6CidrBlock); ValueError when one does not parse."""
    return [parse_network(text) for text in (rule.cidr, rule.ipv6_cidr) if text and text.strip()]


def unresolved_source(rule: SecurityGroupRule) -> str | None:
    """Why the rule's source cannot be known from the Estate, or None when it can."""
    return _source(rule.address_template, rule.source_security_group_id, rule.cidr, rule.ipv6_cidr)[0]


@lru_cache(maxsize=65536)
def _source(address_template: str | None, group: str | None, cidr: str | None,
            ipv6_cidr: str | None) -> tuple[str | None, tuple[Span, ...], tuple[Network, ...]]:
    """(why the source is unknown or None, its address blocks as spans and as networks), from a rule's source fields.

    Rules repeat a few thousand sources over every group, and every probe of every walk asks each rule."""
    if address_template == UNKNOWN_UNTIL_APPLY:
        return f"its source is {UNKNOWN_UNTIL_APPLY}", (), ()
    if address_template:
        return f"address template {address_template} is not resolved", (), ()
    if group:
        return None, (), ()
    try:
        networks = tuple(parse_network(text) for text in (cidr, ipv6_cidr) if text and text.strip())
    except ValueError as exc:
        return f"source {cidr or ipv6_cidr!r} does not parse ({exc})", (), ()
    if not networks:
        return "the rule names no source", (), ()
    return None, tuple(_span(network) for network in networks), networks


def describe_rule(rule: SecurityGroupRule) -> str:
    source = (rule.cidr or rule.ipv6_cidr or rule.source_security_group_id or rule.address_template or "?")
    what = rule.service_template or f"{rule.protocol}:{rule.port}"
    return f"{rule.action} {what} from {source}"


class AddressIndex:
    """Named address blocks (say, each non-prod VPC's ranges), found by overlap with a network without a scan.

    Two blocks overlap only when one contains the other. The blocks containing a network are found by looking up
    each of its shorter prefixes; the blocks inside it by bisecting the sorted first addresses.
    """

    def __init__(self, named: Mapping[str, Sequence[Network]]) -> None:
        self._by_prefix: dict[tuple[int, int, int], list[str]] = {}
        spans: dict[int, list[tuple[int, str]]] = {4: [], 6: []}
        for name, networks in named.items():
            for network in networks:
                first = int(network.network_address)
                self._by_prefix.setdefault((network.version, network.prefixlen, first), []).append(name)
                spans[network.version].append((first, name))
        self._spans = {version: sorted(entries) for version, entries in spans.items()}
        self._firsts = {version: [first for first, _ in entries] for version, entries in self._spans.items()}

    def overlapping(self, network: Network) -> set[str]:
        version, bits = network.version, network.max_prefixlen
        first, last = int(network.network_address), int(network.broadcast_address)
        names: set[str] = set()
        for length in range(network.prefixlen + 1):
            shift = bits - length
            names.update(self._by_prefix.get((version, length, first >> shift << shift), ()))
        firsts = self._firsts[version]
        low, high = bisect_left(firsts, first), bisect_right(firsts, last)
        names.update(name for _, name in self._spans[version][low:high])
        return names


def ports_readable(rule: SecurityGroupRule) -> bool:
    """Whether `covers_probe` can answer for this rule whatever the probe (no template, known protocol and ports)."""
    protocol = normalise_protocol(rule.protocol)
    if rule.service_template or protocol is None:
        return False
    if protocol not in PORTED_PROTOCOLS:
        return True
    try:
        parse_ports(rule.port)
    except ValueError:
        return False
    return True


def could_admit(rules: Sequence[SecurityGroupRule], index: AddressIndex,
                counts: Callable[[list[Network]], bool] = lambda networks: True) -> set[str] | None:
    """The names in `index` that `admits_addresses(rules, …, counts=counts)` could answer other than DENIED for.

    Every other name is denied for every probe: only readable DROPs and ACCEPTs that do not count touch it. None when
    no name can be ruled out (a rule whose source is unknown could be about any address).
    """
    names: set[str] = set()
    for rule in rules:
        if rule.source_security_group_id and not rule.address_template:
            continue
        if unresolved_source(rule) is not None:
            return None
        networks = rule_networks(rule)
        action = rule.action.strip().upper()
        if action in ("ACCEPT", "DROP") and ports_readable(rule) and (action == "DROP" or not counts(networks)):
            continue
        for network in networks:
            names |= index.overlapping(network)
    return names




def _span(network: Network) -> Span:
    return network.version, int(network.network_address), int(network.broadcast_address)


def _intersect(spans: Iterable[Span], block: Span) -> list[Span]:
    version, low, high = block
    return [(v, max(a, low), min(b, high)) for v, a, b in spans if v == version and a <= high and low <= b]


def _cut(spans: Iterable[Span], block: Span) -> list[Span]:
    version, low, high = block
    kept: list[Span] = []
    for v, a, b in spans:
        if v != version or b < low or high < a:
            kept.append((v, a, b))
            continue
        if a < low:
            kept.append((v, a, low - 1))
        if high < b:
            kept.append((v, high + 1, b))
    return kept


def _networks(spans: Iterable[Span]) -> list[Network]:
    found: list[Network] = []
    for version, first, last in spans:
        if version == 4:
            found += ipaddress.summarize_address_range(ipaddress.IPv4Address(first), ipaddress.IPv4Address(last))
        else:
            found += ipaddress.summarize_address_range(ipaddress.IPv6Address(first), ipaddress.IPv6Address(last))
    return found


def subtract_all(blocks: Iterable[Network], networks: Iterable[Network]) -> list[Network]:
    """`blocks` without any address of `networks`."""
    return _networks(_subtracted(blocks, networks))


def _subtracted(blocks: Iterable[Network], networks: Iterable[Network]) -> list[Span]:
    kept = [_span(block) for block in blocks]
    for network in networks:
        kept = _cut(kept, _span(network))
    return kept


class AddressSet:
    """`blocks` without `networks`, for a question asked of many rule lists (say, every address but the bastion's).

    Kept as the few spans left by the subtraction rather than the many CIDR blocks that spell them out, so a walk
    compares each rule with two or three spans instead of thirty. A rule admitting part of it names the same
    blocks either way: both are the smallest CIDR cover of the same addresses.
    """

    def __init__(self, blocks: Iterable[Network], networks: Iterable[Network] = ()) -> None:
        self.spans: tuple[Span, ...] = tuple(_subtracted(blocks, networks))

    @property
    def networks(self) -> list[Network]:
        return _networks(self.spans)


class _Doubt:
    """Rules met on the way that could not be read: one that might have let the traffic in, or shut it out."""

    def __init__(self) -> None:
        self.may_admit: SecurityGroupRule | None = None
        self.may_drop: SecurityGroupRule | None = None
        self.reason = ""

    def note(self, rule: SecurityGroupRule, reason: str) -> None:
        action = rule.action.strip().upper()
        if action != "DROP" and self.may_admit is None:
            self.may_admit = rule
            self.reason = self.reason or reason
        if action != "ACCEPT" and self.may_drop is None:
            self.may_drop = rule
            self.reason = self.reason or reason

    def copy(self) -> _Doubt:
        twin = _Doubt()
        twin.may_admit, twin.may_drop, twin.reason = self.may_admit, self.may_drop, self.reason
        return twin

    def admitted(self, rule: SecurityGroupRule, sources: Sequence[Span] = ()) -> Verdict:
        """A rule lets the traffic in, unless an unreadable rule before it might have dropped it first."""
        if self.may_drop is not None:
            return Verdict(Admission.UNKNOWN, self.may_drop, f"{describe_rule(self.may_drop)} could not be read "
                           f"({self.reason}) and may come before {describe_rule(rule)}")
        return Verdict(Admission.ADMITTED, rule, describe_rule(rule), tuple(sources))

    def denied(self) -> Verdict:
        if self.may_admit is not None:
            return Verdict(Admission.UNKNOWN, self.may_admit,
                           f"{describe_rule(self.may_admit)} could not be read ({self.reason})")
        return _DENIED


_DENIED = Verdict(Admission.DENIED)  # immutable: one serves every plain denial


def admits_addresses(
    rules: Sequence[SecurityGroupRule],
    probe: Probe,
    addresses: Sequence[Network] | AddressSet,
    *,
    counts: Callable[[list[Network]], bool] = lambda networks: True,
) -> Verdict:
    """Whether some of `addresses` reaches an ACCEPT rule for `probe` that `counts` (given the rule's networks).

    Addresses a rule decides are taken out as the rules are walked, so an earlier DROP hides a later ACCEPT for
    the addresses it covers, and an ACCEPT that does not count (say, one narrow address in a question about the
    whole internet) still decides the addresses it names. Rules naming a security group are about its members,
    not about addresses, and are left to `admits_group`.
    """
    remaining = list(addresses.spans) if isinstance(addresses, AddressSet) else [_span(a) for a in addresses]
    doubt = _Doubt()
    for rule in rules:
        if not remaining:
            break
        covered = covers_probe(rule, probe)
        if covered is False:
            continue
        if rule.source_security_group_id and not rule.address_template:
            continue
        unresolved, blocks, networks = _source(rule.address_template, rule.source_security_group_id, rule.cidr,
                                               rule.ipv6_cidr)
        if unresolved is not None:
            doubt.note(rule, unresolved)
            continue
        touched = [piece for block in blocks for piece in _intersect(remaining, block)]
        if not touched:
            continue
        if covered is None:
            doubt.note(rule, f"ports {rule.service_template or rule.port!r} cannot be read")
            continue
        action = rule.action.strip().upper()
        if action == "ACCEPT" and counts(list(networks)):
            return doubt.admitted(rule, touched)
        if action not in ("ACCEPT", "DROP"):
            doubt.note(rule, f"action {rule.action!r} is not ACCEPT or DROP")
            continue
        for block in blocks:
            remaining = _cut(remaining, block)
    return doubt.denied()


def admits_group(rules: Sequence[SecurityGroupRule], probe: Probe, group_id: str) -> Verdict:
    """Whether traffic from the members of security group `group_id` reaches an ACCEPT rule for `probe`.

    Members of a group are private addresses, so a DROP of the whole IPv4 space before a group's ACCEPT shuts them
    out; narrower DROPs are not taken as doing so (the members' addresses are not the question here).
    """
    return admits_groups(rules, probe, (group_id,))[group_id]


def admits_groups(rules: Sequence[SecurityGroupRule], probe: Probe, group_ids: Iterable[str]) -> dict[str, Verdict]:
    """`admits_group` for each of `group_ids`, in one walk of the rules.

    Unreadable rules that could concern any source (address templates, an unreadable DROP of everything) count for
    every group still undecided; those naming one group count for that group alone.
    """
    wanted = set(group_ids)
    # A group no rule names is decided by the rules about every source alone, the same for each such group: one
    # answer serves them all, however many there are.
    pending = wanted & {rule.source_security_group_id for rule in rules if rule.source_security_group_id}
    unnamed = wanted - pending
    shared = _Doubt()
    own: dict[str, _Doubt] = {}
    decided: dict[str, Verdict] = {}

    def note_all(rule: SecurityGroupRule, reason: str) -> None:
        shared.note(rule, reason)
        for group, doubt in own.items():
            if group in pending:
                doubt.note(rule, reason)

    for rule in rules:
        if not pending and not unnamed:
            break
        covered = covers_probe(rule, probe)
        if covered is False:
            continue
        action = rule.action.strip().upper()
        if rule.address_template:
            note_all(rule, unresolved_source(rule) or "")
            continue
        if rule.source_security_group_id:
            group = rule.source_security_group_id
            if group not in pending:
                continue
            if (doubt := own.get(group)) is None:
                doubt = own[group] = shared.copy()
            if covered is None or action not in ("ACCEPT", "DROP"):
                doubt.note(rule, f"ports {rule.service_template or rule.port!r} or action cannot be read")
                continue
            decided[group] = doubt.admitted(rule) if action == "ACCEPT" else doubt.denied()
            pending.discard(group)
            continue
        if action == "DROP" and _drops_every_ipv4(rule.cidr, rule.ipv6_cidr):
            if covered is None:
                note_all(rule, f"ports {rule.service_template or rule.port!r} cannot be read")
                continue
            break
    for group in pending:
        decided[group] = own.get(group, shared).denied()
    if unnamed:
        verdict = shared.denied()
        decided.update(dict.fromkeys(unnamed, verdict))
    return decided


@lru_cache(maxsize=65536)
def _drops_every_ipv4(cidr: str | None, ipv6_cidr: str | None) -> bool:
    """Whether a DROP rule with these sources shuts out the whole IPv4 space: asked of every DROP of every walk of
    a host's groups, answered once per distinct pair of sources (parsing and comparing networks costs microseconds)."""
    try:
        return ANY_IPV4 in [parse_network(text) for text in (cidr, ipv6_cidr) if text and text.strip()]
    except ValueError:
        return False


def traffic_probes(rules: Iterable[SecurityGroupRule]) -> list[Probe]:
    """Enough probes to see everything the rules let in: one port per stretch where no rule's ports begin or end."""
    points = {1}
    for rule in rules:
        if normalise_protocol(rule.protocol) not in PORTED_PROTOCOLS:
            continue
        try:
            ranges = parse_ports(rule.port)
        except ValueError:
            continue
        for low, high in ranges or ():
            points.update((low, high + 1))
    ports = sorted(p for p in points if 1 <= p <= MAX_PORT)
    return [Probe(protocol, port) for protocol in PORTED_PROTOCOLS for port in ports] + [
        Probe(protocol) for protocol in PORTLESS_PROTOCOLS]


def is_internet_wide(networks: Sequence[Network]) -> bool:
    return any(network.prefixlen == 0 for network in networks)


class Tally:
    """Verdicts gathered over many probes, grouped by what was let in and by which rule, for one message."""

    def __init__(self) -> None:
        self.admitted: dict[tuple[str, str], list[str]] = {}
        self.undecided: dict[tuple[str, str], list[str]] = {}

    def add(self, source: str, probe: Probe | str, verdict: Verdict) -> None:
        if verdict.admission is Admission.DENIED:
            return
        bucket = self.admitted if verdict.admitted else self.undecided
        traffic = bucket.setdefault((source, verdict.reason), [])
        if str(probe) not in traffic:
            traffic.append(str(probe))

    @staticmethod
    def _lines(bucket: dict[tuple[str, str], list[str]], joiner: str) -> list[str]:
        return [f"{source} {joiner} {reason} ({', '.join(traffic[:4])}{', …' if len(traffic) > 4 else ''})"
                for (source, reason), traffic in bucket.items()]

    def admitted_lines(self) -> list[str]:
        return self._lines(self.admitted, "by")

    def undecided_lines(self) -> list[str]:
        return self._lines(self.undecided, ":")

    def evidence(self) -> dict[str, list[dict[str, object]]]:
        def rows(bucket: dict[tuple[str, str], list[str]]) -> list[dict[str, object]]:
            return [{"source": s, "rule": r, "traffic": t} for (s, r), t in bucket.items()]

        return {"admitted": rows(self.admitted), "undecided": rows(self.undecided)}
