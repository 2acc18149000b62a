"""Evaluate Tencent CAM policy documents (syntax 2.0): can a principal perform an action on a resource?

The grammar and rules follow Tencent's CAM documentation ("Element Reference", "Resource Description",
"Evaluation Logic", "Condition Keys and Operators"):
- a document is `{"version": "2.0", "statement": [...]}`; each statement has `effect` (allow / deny), `action`,
  `resource` (each a string or a list) and an optional `condition`;
- an action is `name/<service>:<Action>` or, as most real documents write it, `<service>:<Action>`; service and
  action compare case-insensitively and `*` may appear anywhere (`*`, `cos:*`, `cos:Delete*`). Feature sets
  (`permid/...`) name API groups whose members are not published, so they cannot be evaluated;
- a resource is `*` or the six segments `qcs:project_id:service_type:region:account:resource`; an empty service,
  region or account segment means all (the account: the policy owner's own); `*` may appear in any segment;
- requests are denied by default; a matching deny wins over any allow; otherwise a matching allow allows.
CAM has no `not_action`/`not_resource` elements (unlike AWS IAM); a statement carrying them, or anything else this
module does not understand, is reported as unevaluated rather than guessed.

Nothing here is silently decided: a condition without request context, an unknown element, or a policy whose
document could not be read makes the answer `None` (unknown) with the reasons listed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from .estate.cam import CamGroup, CamPolicy, CamRole, CamState, CamUser
from .globs import glob_matches

Principal = CamUser | CamGroup | CamRole

# Well-known preset policies whose whole document is a documented fact, so a principal holding one can be judged
# even when the collector could not read its document. Anything else with a missing document stays unknown.
KNOWN_PRESET_DOCUMENTS: dict[str, dict[str, Any]] = {
    "AdministratorAccess": {"version": "2.0", "statement": [{"effect": "allow", "action": ["*"], "resource": ["*"]}]},
    "QcloudCamFullAccess": {"version": "2.0",
                            "statement": [{"effect": "allow", "action": ["name/cam:*"], "resource": ["*"]}]},
}

# Destructive actions per CAM service name: they delete data, delete its copies, or remove what protects them.
# CBS APIs are authorised under `cvm` in CAM's resource descriptions (`qcs::cvm:...:volume/...`) while the API
# service is `cbs`; `service_aliases` makes the evaluator try both spellings.
DESTRUCTIVE_ACTIONS: dict[str, tuple[str, ...]] = {
    "cvm": ("TerminateInstances", "ResetInstance", "DeleteImages"),
    "cbs": ("TerminateDisks", "DeleteSnapshots", "DeleteAutoSnapshotPolicies", "UnbindAutoSnapshotPolicy",
            "ModifyAutoSnapshotPolicyAttribute", "ApplySnapshot", "DeleteDiskBackups"),
    "cos": ("DeleteBucket", "DeleteObject", "DeleteMultipleObject", "PutBucketLifecycle", "PutBucketVersioning",
            "PutBucketReplication", "DeleteBucketReplication", "PutObjectRetention"),
    "cdb": ("IsolateDBInstance", "OfflineIsolatedInstances", "DeleteBackup", "ModifyBackupConfig",
            "ModifyRemoteBackupConfig", "StartBatchRollback"),
    "cam": ("DeleteUser", "DeleteGroup", "DeleteRole", "DeletePolicy", "DetachUserPolicy", "DetachGroupPolicy",
            "DetachRolePolicy", "SetMfaFlag", "AttachUserPolicy", "AttachGroupPolicy", "AttachRolePolicy"),
    "cloudaudit": ("DeleteAuditTrack", "ModifyAuditTrack", "StopLogging", "DeleteAudit", "UpdateAudit"),
    "dasb": ("DeleteDevices", "DeleteAcls", "DeleteUsers", "ModifyAcl"),
}

SERVICE_ALIASES: dict[str, tuple[str, ...]] = {"cbs": ("cbs", "cvm")}


def destructive_action_names() -> list[str]:
    """The catalogue above as `service:Action` strings (the default of the checks' parameters)."""
    return [f"{service}:{action}" for service, actions in DESTRUCTIVE_ACTIONS.items() for action in actions]


def spellings(action: str) -> list[str]:
    """Every CAM spelling under which `service:Action` may be authorised (CBS: `cbs:` and `cvm:`)."""
    return list(_spellings(action))


@lru_cache(maxsize=4096)
def _spellings(action: str) -> tuple[str, ...]:
    # Checks ask every distinct policy set the same few dozen actions: spell each once.
    text = action.strip()
    if text[:5].lower() == "name/":
        text = text[5:]
    service, _, name = text.partition(":")
    service = service.lower()
    return tuple(f"{alias}:{name}" for alias in SERVICE_ALIASES.get(service, (service,)))


# COS API actions (Tencent's COS action list, the names bucket policies use after `name/cos:`), by whether they
# change data or configuration. Reads get, head, list or query; everything else writes.
COS_READ_ACTIONS: tuple[str, ...] = (
    "GetService", "HeadBucket", "GetBucket", "GetBucketObjectVersions", "ListMultipartUploads", "ListParts",
    "GetObject", "HeadObject", "OptionsObject", "SelectObjectContent", "GetObjectACL", "GetObjectTagging",
    "GetObjectRetention", "GetBucketACL", "GetBucketCORS", "GetBucketLifecycle", "GetBucketPolicy",
    "GetBucketReferer", "GetBucketVersioning", "GetBucketReplication", "GetBucketLogging", "GetBucketTagging",
    "GetBucketWebsite", "GetBucketInventory", "ListBucketInventoryConfigurations", "GetBucketEncryption",
    "GetBucketDomain", "GetBucketOrigin", "GetBucketIntelligentTiering", "GetBucketAccelerate",
    "GetBucketObjectLockConfiguration", "GetBucketDomainCertificate",
)
COS_WRITE_ACTIONS: tuple[str, ...] = (
    "PutBucket", "DeleteBucket", "PutObject", "PostObject", "AppendObject", "PutObjectCopy", "DeleteObject",
    "DeleteMultipleObject", "InitiateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
    "AbortMultipartUpload", "PostObjectRestore", "PutObjectACL", "PutObjectTagging", "DeleteObjectTagging",
    "PutObjectRetention", "PutBucketACL", "PutBucketCORS", "DeleteBucketCORS", "PutBucketLifecycle",
    "DeleteBucketLifecycle", "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketReferer", "PutBucketVersioning",
    "PutBucketReplication", "DeleteBucketReplication", "PutBucketLogging", "PutBucketTagging", "DeleteBucketTagging",
    "PutBucketWebsite", "DeleteBucketWebsite", "PutBucketInventory", "DeleteBucketInventory", "PutBucketEncryption",
    "DeleteBucketEncryption", "PutBucketDomain", "DeleteBucketDomain", "PutBucketOrigin", "DeleteBucketOrigin",
    "PutBucketIntelligentTiering", "PutBucketAccelerate", "PutBucketObjectLockConfiguration",
    "PutBucketDomainCertificate", "DeleteBucketDomainCertificate",
)
# Bucket policies written for the S3-compatible API name the same operations under `s3:`.
COS_POLICY_SERVICES = ("cos", "s3")
_READ_VERBS = ("get", "head", "list", "options", "select")
_COS_READS = frozenset(a.lower() for a in COS_READ_ACTIONS)
_COS_WRITES = frozenset(a.lower() for a in COS_WRITE_ACTIONS)


def may_write_cos(pattern: str) -> bool:
    """Could this action pattern of a bucket policy allow a COS write?

    A wildcard counts only if it matches a write action of the catalogue (`cos:GetObject*` reads, `cos:*Object`
    writes). A name the catalogue does not know writes unless it starts with a read verb; a feature set
    (`permid/...`) or a pattern without a service cannot be expanded, so it may write.
    """
    if _feature_set(pattern):
        return True
    text = normalise_action(pattern)
    service, colon, name = text.partition(":")
    if not colon:  # `*` alone is every action; anything else is no action name we can read
        return True
    if "*" in text:
        return any(action_matches(pattern, f"{svc}:{action}") for svc in COS_POLICY_SERVICES for action in _COS_WRITES)
    if service not in COS_POLICY_SERVICES or name in _COS_READS:
        return False
    return name in _COS_WRITES or not name.startswith(_READ_VERBS)


# --------------------------------------------------------------------------------------------------- patterns


def glob_match(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """`*` matches any run of characters (including none); nothing else is special. Without backtracking: a policy
    full of stars costs no more than a plain one."""
    return glob_matches(pattern, text, False, ignore_case)


def normalise_action(action: str) -> str:
    """`name/CVM:Describe*` -> `cvm:describe*`: the `name/` prefix is optional and case does not matter."""
    text = action.strip()
    if text[:5].lower() == "name/":
        text = text[5:]
    return text.lower()


def _feature_set(action: str) -> bool:
    """An action such as `permid/...` names a feature set: a group of APIs this module cannot expand."""
    text = action.strip()
    return "/" in text.split(":", 1)[0] and text[:5].lower() != "name/"


EVERY_ACTION = "*"  # as a query: "every action at once"


@lru_cache(maxsize=65536)
def action_matches(pattern: str, action: str) -> bool:
    """Does an action pattern of a statement cover the queried action (`service:Action`, or `*` for all)?"""
    pattern, action = normalise_action(pattern), normalise_action(action)
    if action == EVERY_ACTION:
        return pattern in ("*", "*:*")
    return glob_match(pattern, action, ignore_case=True)


@dataclass(frozen=True)
class ResourceName:
    """A concrete resource in six-segment form. `owners` lists the account identities that name its owner
    (`uin/<account>`, and for COS `uid/<appid>`), any of which a policy may use."""

    service: str
    region: str
    path: str
    owners: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"qcs::{self.service}:{self.region}:{self.owners[0] if self.owners else ''}:{self.path}"

    @classmethod
    def parse(cls, text: str) -> ResourceName | None:
        parts = text.strip().split(":", 5)
        if len(parts) != 6 or parts[0].lower() != "qcs":
            return None
        _, _, service, region, account, path = parts
        return cls(service=service, region=region, path=path, owners=(account,) if account else ())


EVERY_RESOURCE = "*"  # as a query: all resources (only a `*` resource in a statement covers it)
SOME_RESOURCE = "<some>"  # as a query: at least one resource (any resource pattern covers it; a deny needs `*`)

ResourceQuery = str | ResourceName

_LEGACY_COS_PATH = re.compile(r"^prefix//(?P<appid>\d+)/(?P<bucket>[^/]+)(?P<rest>/.*)?$")


def _pattern_path(service: str, path: str) -> str:
    """Legacy COS paths `prefix//<appid>/<bucket>/<key>` mean `<bucket>-<appid>/<key>`."""
    if service.lower() in ("cos", "") and (m := _LEGACY_COS_PATH.match(path)):
        return f"{m['bucket']}-{m['appid']}{m['rest'] or ''}"
    return path


def resource_matches(pattern: str, resource: ResourceQuery, *, effect: str) -> bool | None:
    """Does a resource pattern of a statement cover the queried resource? None when the pattern is not understood."""
    parsed_pattern = _parse_pattern(pattern)
    if parsed_pattern is None:
        return None
    if not isinstance(parsed_pattern, tuple):
        return True
    service, region, account, path = parsed_pattern
    if resource == EVERY_RESOURCE:
        return False
    if resource == SOME_RESOURCE:
        # An allow on any resource grants the action on some resource; a deny on a subset does not take it away.
        return effect == "allow"
    if isinstance(resource, str):
        parsed = ResourceName.parse(resource)
        if parsed is None:
            return None
        resource = parsed
    if service and not glob_match(service, resource.service, ignore_case=True):
        return False
    if region and not glob_match(region, resource.region, ignore_case=True):
        return False
    if account and resource.owners and not any(glob_match(account, o, ignore_case=True) for o in resource.owners):
        return False
    return glob_match(path, resource.path)


@lru_cache(maxsize=8192)
def _parse_pattern(pattern: str) -> tuple[str, str, str, str] | Literal[True] | None:
    """True for `*`; (service, region, account, path) for a six-segment pattern; None when not understood."""
    text = pattern.strip()
    if text == "*":
        return True
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0].lower() != "qcs":
        return None
    _, _, service, region, account, path = parts
    return service, region, account, _pattern_path(service, path)


# ------------------------------------------------------------------------------------------------- conditions

Context = Mapping[str, Sequence[str]]


def _values(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(v) for v in raw]
    return [str(raw)]


def _compare(kind: str, left: str, right: str) -> int | None:
    try:
        if kind == "numeric":
            a, b = float(left), float(right)
        elif kind == "date":
            a_dt = datetime.fromisoformat(left.replace("Z", "+00:00"))
            b_dt = datetime.fromisoformat(right.replace("Z", "+00:00"))
            a, b = a_dt.timestamp(), b_dt.timestamp()
        else:
            return None
    except (ValueError, TypeError):
        return None
    return (a > b) - (a < b)


_ORDER = {"equal": lambda c: c == 0, "not_equal": lambda c: c != 0, "less_than": lambda c: c < 0,
          "less_than_equal": lambda c: c <= 0, "greater_than": lambda c: c > 0,
          "greater_than_equal": lambda c: c >= 0}


def _clause(operator: str, expected: list[str], actual: Sequence[str]) -> bool | None:
    """One operator over one key: the request value matches any expected value (negated operators: none does)."""
    op = operator.lower()
    if op in ("string_equal", "string_equal_ignore_case", "string_not_equal", "string_not_equal_ignore_case"):
        fold = op.endswith("ignore_case")
        exp = {v.lower() if fold else v for v in expected}
        hit = any((a.lower() if fold else a) in exp for a in actual)
        return not hit if "not_equal" in op else hit
    if op == "bool_equal":
        return any(a.lower() == e.lower() for a in actual for e in expected)
    if op in ("ip_equal", "ip_not_equal"):
        try:
            networks = [ipaddress.ip_network(e, strict=False) for e in expected]
            hit = any(ipaddress.ip_address(a) in n for a in actual for n in networks)
        except ValueError:
            return None
        return not hit if op == "ip_not_equal" else hit
    for kind in ("numeric", "date"):
        if op.startswith(kind + "_") and op[len(kind) + 1:] in _ORDER:
            test = _ORDER[op[len(kind) + 1:]]
            outcomes = [_compare(kind, a, e) for a in actual for e in expected]
            if any(o is None for o in outcomes):
                return None
            if op.endswith("not_equal"):
                return all(test(o) for o in outcomes if o is not None)
            return any(test(o) for o in outcomes if o is not None)
    return None


def evaluate_condition(condition: Any, context: Context | None) -> tuple[bool | None, list[str]]:
    """All clauses must hold (three-valued). Returns the outcome and a description of clauses left unevaluated."""
    if not isinstance(condition, dict):
        return None, [f"condition {condition!r} is not an object"]
    outcome: bool | None = True
    pending: list[str] = []
    for operator, clauses in condition.items():
        if not isinstance(clauses, dict):
            pending.append(f"{operator}: {clauses!r}")
            outcome = None if outcome is not False else False
            continue
        for key, raw in clauses.items():
            described = f"{operator} {key} {_values(raw)}"
            actual = None if context is None else context.get(key)
            result = None if actual is None else _clause(str(operator), _values(raw), list(actual))
            if result is False:
                outcome = False
            elif result is None:
                pending.append(described)
                if outcome is True:
                    outcome = None
    return outcome, pending


# ------------------------------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Statement:
    effect: Literal["allow", "deny"]
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Any = None
    problems: tuple[str, ...] = ()  # elements this module cannot evaluate (feature sets, not_action, ...)
    # The actions a query can match (feature sets cannot be), worked out once: statements are asked many times.
    matchable: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matchable", tuple(a for a in self.actions if not _feature_set(a)))


class MalformedPolicy(ValueError):
    """A document that is not CAM syntax 2.0 as documented."""


def _as_list(value: Any, element: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MalformedPolicy(f"{element} must be a string or a list of strings")


def parse_document(document: Mapping[str, Any]) -> list[Statement]:
    """The statements of a policy document; element names are matched case-insensitively for robustness."""
    if not isinstance(document, Mapping):
        raise MalformedPolicy("the document is not a JSON object")
    top = {str(k).lower(): v for k, v in document.items()}
    raw = top.get("statement")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise MalformedPolicy("the document has no statement list")
    statements = []
    for item in raw:
        if not isinstance(item, dict):
            raise MalformedPolicy("a statement is not a JSON object")
        fields = {str(k).lower(): v for k, v in item.items()}
        effect = str(fields.get("effect", "")).lower()
        if effect not in ("allow", "deny"):
            raise MalformedPolicy(f"a statement has effect {fields.get('effect')!r}")
        problems = [f"unsupported element {name!r}" for name in fields
                    if name not in ("effect", "action", "resource", "condition", "principal", "sid")]
        actions = _as_list(fields["action"], "action") if "action" in fields else ()
        resources = _as_list(fields["resource"], "resource") if "resource" in fields else ()
        if not actions and not problems:
            problems.append("statement has no action")
        if not resources and not problems:
            problems.append("statement has no resource")
        problems.extend(f"feature set action {a!r}" for a in actions if _feature_set(a))
        statements.append(Statement(effect=effect, actions=actions, resources=resources,  # type: ignore[arg-type]
                                    condition=fields.get("condition"), problems=tuple(problems)))
    return statements


@dataclass(frozen=True)
class PolicyView:
    """A policy as the evaluator sees it: its name and statements, or why its document is unknown."""

    name: str
    statements: tuple[Statement, ...] | None
    unknown_reason: str = ""
    # The statements each asked action may concern, by action: a policy is shared by many policy sets, and each set
    # asks the same actions.
    _by_action: dict[str, tuple[Statement, ...]] = field(default_factory=dict, init=False, repr=False,
                                                         compare=False, hash=False)

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """The statements whose actions may match `action` (a listed one does, or an element this module cannot
        read might): every other statement leaves any question about `action` undecided by it."""
        found = self._by_action.get(action)
        if found is None:
            found = self._by_action[action] = tuple(
                s for s in self.statements or () if s.problems or any(action_matches(a, action) for a in s.matchable))
        return found


def view_of(policy: CamPolicy | None, policy_id: str = "") -> PolicyView:
    """Fail closed: an absent or unreadable document is unknown, except the documented well-known presets."""
    if policy is None:
        return PolicyView(policy_id, None, f"policy {policy_id} is attached but was not collected")
    document = policy.document
    if (document is None or "document" in policy.unreadable) and policy.kind == "preset":
        document = KNOWN_PRESET_DOCUMENTS.get(policy.name)
    elif "document" in policy.unreadable:
        document = None
    if document is None:
        reason = policy.unreadable.get("document", "document not collected")
        return PolicyView(policy.name, None, f"policy {policy.name}: {reason}")
    try:
        return PolicyView(policy.name, tuple(parse_document(document)))
    except MalformedPolicy as exc:
        return PolicyView(policy.name, None, f"policy {policy.name}: {exc}")


# -------------------------------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Unevaluated:
    """A statement that might apply but could not be evaluated (a condition, an unknown element)."""

    policy: str
    effect: str
    detail: str

    def __str__(self) -> str:
        return f"{self.policy} ({self.effect}): {self.detail}"


@dataclass(frozen=True)
class Decision:
    """The answer: True allowed, False not allowed, None unknown (see `unevaluated` and `unknown_policies`)."""

    allowed: bool | None
    allowed_by: tuple[str, ...] = ()
    denied_by: tuple[str, ...] = ()
    unevaluated: tuple[Unevaluated, ...] = ()
    unknown_policies: tuple[str, ...] = ()

    @property
    def why_unknown(self) -> str:
        reasons = [*self.unknown_policies, *(f"cannot evaluate {u}" for u in self.unevaluated)]
        return "; ".join(reasons)


def _statement_applies(statement: Statement, action: str, resource: ResourceQuery,
                       context: Context | None) -> tuple[bool | None, list[str]]:
    if not any(action_matches(a, action) for a in statement.matchable):
        if not statement.problems:
            return False, []
        # The listed actions do not match; a feature set or unknown element still might.
        return None, list(statement.problems)
    resource_hits = [resource_matches(r, resource, effect=statement.effect) for r in statement.resources]
    pending = list(statement.problems)
    if True in resource_hits:
        resource_ok: bool | None = True
    elif None in resource_hits:
        resource_ok = None
        pairs = zip(statement.resources, resource_hits, strict=True)
        pending.extend(f"resource {r!r}" for r, hit in pairs if hit is None)
    else:
        return False, []
    outcome: bool | None = None if pending else resource_ok
    if statement.condition is not None:
        held, conditions = evaluate_condition(statement.condition, context)
        if held is False:
            return False, []
        if held is None:
            pending.extend(f"condition {c}" for c in conditions)
            outcome = None
    return outcome, pending


def decide(policies: Iterable[PolicyView], action: str, resource: ResourceQuery = EVERY_RESOURCE,
           context: Context | None = None) -> Decision:
    """CAM's evaluation: an explicit deny wins, then an allow, else the default deny; unknowns make it None."""
    allowed_by: list[str] = []
    maybe_allowed: list[Unevaluated] = []
    denied_by: list[str] = []
    maybe_denied: list[Unevaluated] = []
    unknown: list[str] = []
    for policy in policies:
        if policy.statements is None:
            unknown.append(policy.unknown_reason or f"policy {policy.name}: document unknown")
            continue
        for statement in policy.statements_for(action):
            applies, pending = _statement_applies(statement, action, resource, context)
            if applies is False:
                continue
            definite = applies is True
            if statement.effect == "deny":
                if definite:
                    denied_by.append(policy.name)
                else:
                    maybe_denied.extend(Unevaluated(policy.name, "deny", p) for p in pending)
            elif definite:
                allowed_by.append(policy.name)
            else:
                maybe_allowed.extend(Unevaluated(policy.name, "allow", p) for p in pending)
    if not (allowed_by or maybe_allowed or denied_by or unknown):
        return _NOT_ALLOWED  # the common answer, with nothing to tell: one immutable decision serves every ask
    allowed_by, denied_by = list(dict.fromkeys(allowed_by)), list(dict.fromkeys(denied_by))
    if denied_by:
        return Decision(False, tuple(allowed_by), tuple(denied_by))
    pending_all = tuple(maybe_denied + maybe_allowed)
    if unknown:
        return Decision(None, tuple(allowed_by), (), pending_all, tuple(unknown))
    if not allowed_by and not maybe_allowed:
        return Decision(False)
    if maybe_denied or not allowed_by:
        return Decision(None, tuple(allowed_by), (), pending_all)
    return Decision(True, tuple(allowed_by))


_NOT_ALLOWED = Decision(False)


# ----------------------------------------------------------------------------------------------- principals


@dataclass
class Evaluator:
    """Answers questions about principals of one CamState, caching per distinct set of attached policies."""

    cam: CamState
    context: Context | None = None
    _cache: dict[tuple[Any, ...], Decision] = field(default_factory=dict, repr=False)
    # Parsing documents is the costly part: once per policy, and once per principal for its list of policies.
    _views: dict[tuple[str, str], PolicyView] = field(default_factory=dict, repr=False)
    # Per principal: its policies and the key of their set (see `signature`).
    _principal_views: dict[int, tuple[Principal, list[PolicyView], tuple[Any, ...]]] = field(
        default_factory=dict, repr=False)
    # Principals read in full that hold the same attachments (most users of a team) share their policies.
    _attached_views: dict[tuple[Any, ...], tuple[list[PolicyView], tuple[Any, ...]]] = field(
        default_factory=dict, repr=False)
    _paths_matter: dict[tuple[str, ...], bool] = field(default_factory=dict, repr=False)
    _any_cache: dict[tuple[Any, ...], tuple[Decision, str]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, cam: CamState) -> Evaluator:
        """The evaluator of `cam` without request context that every check of a run shares: its answers depend on
        the state alone, so each is worked out once a run, not once a check. Made anew when a list of the state was
        replaced or grew (collectors and plan mapping only append to them, before evaluation starts)."""
        lists: tuple[list[Any], ...] = (cam.accounts, cam.users, cam.groups, cam.roles, cam.policies)
        lengths = tuple(len(items) for items in lists)
        private = cam.__pydantic_private__
        assert private is not None  # a model with private attributes always has them
        made = private["_evaluator"]
        if made is None or made[1] != lengths or any(a is not b for a, b in zip(made[0], lists, strict=True)):
            made = private["_evaluator"] = (lists, lengths, cls(cam))
        evaluator: Evaluator = made[2]
        return evaluator

    def policies_of(self, principal: Principal) -> list[PolicyView]:
        """Direct and inherited (through groups) policies; unreadable attachments appear as unknown policies."""
        return self._known(principal)[1]

    def _known(self, principal: Principal) -> tuple[Principal, list[PolicyView], tuple[Any, ...]]:
        known = self._principal_views.get(id(principal))
        if known is not None and known[0] is principal:
            return known
        if principal.unreadable:  # its views name it in their reasons: not shared
            views = self._collect_views(principal)
            known = (principal, views, self._set_key(principal.account, views))
        else:
            attached = (type(principal), principal.account, tuple(principal.policy_ids),
                        tuple(principal.group_ids) if isinstance(principal, CamUser) else ())
            shared = self._attached_views.get(attached)
            if shared is None:
                views = self._collect_views(principal)
                shared = self._attached_views[attached] = (views, self._set_key(principal.account, views))
            known = (principal, *shared)
        self._principal_views[id(principal)] = known
        return known

    @staticmethod
    def _set_key(account: str, views: list[PolicyView]) -> tuple[Any, ...]:
        return account, tuple(v.name for v in views), tuple(v.unknown_reason for v in views)

    def _view(self, account: str, policy_id: str) -> PolicyView:
        key = (account, policy_id)
        if key not in self._views:
            self._views[key] = view_of(self.cam.policy(account, policy_id), policy_id)
        return self._views[key]

    def _collect_views(self, principal: Principal) -> list[PolicyView]:
        views: list[PolicyView] = []
        if reason := principal.unknown("policy_ids"):
            views.append(PolicyView("(attached policies)", None, f"{principal.name}: {reason}"))
        if isinstance(principal, CamUser):
            if reason := principal.unknown("group_ids"):
                views.append(PolicyView("(group memberships)", None, f"{principal.name}: {reason}"))
            for group_id in principal.group_ids:
                group = self.cam.group(principal.account, group_id)
                if group is None:
                    views.append(PolicyView(f"group {group_id}", None, f"group {group_id} was not collected"))
                elif reason := group.unknown("policy_ids"):
                    views.append(PolicyView(f"group {group.name}", None, f"group {group.name}: {reason}"))
        for policy_id in self.cam.effective_policy_ids(principal):
            views.append(self._view(principal.account, policy_id))
        return views

    def signature(self, principal: Principal) -> tuple[Any, ...]:
        """Principals with the same signature hold exactly the same permissions (same policies, same unknowns)."""
        return self._known(principal)[2]

    def paths_matter(self, principal: Principal) -> bool:
        """Whether the principal's policies tell resources apart by path (a resource pattern other than `…:*`).

        When they do not, any two resources of one service, region and owner get the same answer to every question.
        """
        _, views, policy_set = self._known(principal)
        key = policy_set[1]  # the policies' names
        found = self._paths_matter.get(key)
        if found is None:
            found = self._paths_matter[key] = any(
                isinstance(parsed := _parse_pattern(pattern), tuple) and parsed[3] != "*"
                for view in views for statement in view.statements or () for pattern in statement.resources)
        return found

    def resource_class(self, principal: Principal, resource: ResourceQuery) -> Any:
        """What of `resource` can change the principal's answers: all of it, or only its service, region and owner."""
        if isinstance(resource, str) or self.paths_matter(principal):
            return str(resource)
        return resource.service, resource.region, resource.owners

    def decide(self, principal: Principal, action: str, resource: ResourceQuery = EVERY_RESOURCE) -> Decision:
        _, views, policy_set = self._known(principal)
        return self._decided(views, policy_set, self.resource_class(principal, resource), action, resource)

    def _decided(self, views: list[PolicyView], policy_set: tuple[Any, ...], resource_class: Any, action: str,
                 resource: ResourceQuery) -> Decision:
        key = (policy_set, normalise_action(action), resource_class)
        if (found := self._cache.get(key)) is None:
            found = self._cache[key] = decide(views, action, resource, self.context)
        return found

    def decide_any(self, principal: Principal, actions: Iterable[str],
                   resource: ResourceQuery = EVERY_RESOURCE) -> tuple[Decision, str]:
        """The first action of `actions` allowed, else the first unknown, else the last denied (with its spelling).

        Remembered per (policy set, actions, resource class): a check asks every user the same long list of
        actions, and users share their teams' policies."""
        asked = tuple(actions)
        key = (self._known(principal)[2], asked, self.resource_class(principal, resource))
        found = self._any_cache.get(key)
        if found is None:
            found = self._any_cache[key] = self._first_allowed(principal, asked, resource)
        return found

    def _first_allowed(self, principal: Principal, actions: tuple[str, ...],
                       resource: ResourceQuery) -> tuple[Decision, str]:
        first_unknown: tuple[Decision, str] | None = None
        last: tuple[Decision, str] = (Decision(False), "")
        # The principal's policies and the resource's class are the same for every action asked: found once.
        _, views, policy_set = self._known(principal)
        resource_class = self.resource_class(principal, resource)
        for action in actions:
            for spelled in _spellings(action):
                decision = self._decided(views, policy_set, resource_class, spelled, resource)
                if decision.allowed is True:
                    return decision, spelled
                if decision.allowed is None and first_unknown is None:
                    first_unknown = (decision, spelled)
                last = (decision, spelled)
        return first_unknown or last

    def is_full_admin(self, principal: Principal) -> Decision:
        """Does the principal hold every action on every resource (`*` on `*`)?"""
        return self.decide(principal, EVERY_ACTION, EVERY_RESOURCE)


# ------------------------------------------------------------------------------------------ document helpers


def grants_full_admin(document: Mapping[str, Any]) -> bool | None:
    """Does this document alone allow `*` on `*`? None when it cannot be told (a condition, an unknown element)."""
    try:
        view = PolicyView("document", tuple(parse_document(document)))
    except MalformedPolicy:
        return None
    return decide([view], EVERY_ACTION, EVERY_RESOURCE).allowed


@dataclass(frozen=True)
class WildcardGrant:
    """An allow statement whose wildcard action pattern, on resource `*`, covers destructive actions."""

    pattern: str
    actions: tuple[str, ...]
    conditions: tuple[str, ...] = ()


def wildcard_destructive_grants(document: Mapping[str, Any],
                                destructive: Iterable[str] | None = None) -> list[WildcardGrant]:
    """Destructive actions this document grants through wildcard action patterns on resource `*`, except those
    the same document denies outright. Raises MalformedPolicy for a document that is not CAM syntax."""
    targets = list(destructive) if destructive is not None else destructive_action_names()
    statements = parse_document(document)
    view = PolicyView("document", tuple(statements))
    grants: list[WildcardGrant] = []
    for statement in statements:
        if statement.effect != "allow" or "*" not in (r.strip() for r in statement.resources):
            continue
        conditions: tuple[str, ...] = ()
        if statement.condition is not None:
            conditions = tuple(evaluate_condition(statement.condition, None)[1])
        for pattern in statement.actions:
            if "*" not in pattern or _feature_set(pattern):
                continue
            covered = [
                spelled for target in targets for spelled in _spellings(target)
                if action_matches(pattern, spelled) and decide([view], spelled, EVERY_RESOURCE).allowed is not False
            ]
            if covered:
                grants.append(WildcardGrant(pattern, tuple(dict.fromkeys(covered)), conditions))
    return grants
