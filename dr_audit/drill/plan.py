"""Drill plans: what a monthly or quarterly drill covers, its RTO/RPO targets per tier, its steps and approvers."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import BadInput
from ..fields import new_list
from ..history.chain import key_fingerprint, public_pem_of
from ..inputs import parse_yaml, read_config_text
from ..resources import bundled_dir

AUTOMATED_ACTIONS = ("recovery_points", "replica_checksums")
MAX_OBJECTIVE_MINUTES = 366 * 24 * 60


class PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tier(PlanModel):
    name: str
    # At most a year: beyond that an objective is a typo (and 1e400 would be infinity).
    rto_minutes: float = Field(gt=0, le=MAX_OBJECTIVE_MINUTES, allow_inf_nan=False)
    rpo_minutes: float = Field(gt=0, le=MAX_OBJECTIVE_MINUTES, allow_inf_nan=False)
    # Globs over resource ids (disk-*, cdb-*, bucket names, target/bucket of off-site copies); empty = everything
    # not claimed by an earlier tier.
    resources: list[str] = Field(default_factory=new_list)

    def claims(self, resource_id: str) -> bool:
        return not self.resources or any(fnmatchcase(resource_id, p) for p in self.resources)


class Scope(PlanModel):
    description: str = ""
    accounts: list[str] = Field(default_factory=new_list)  # empty: every account of the estate
    regions: list[str] = Field(default_factory=new_list)  # empty: every region of the estate


class Step(PlanModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    type: Literal["automated", "manual"]
    action: Literal["recovery_points", "replica_checksums"] | None = None  # what an automated step gathers
    description: str = ""
    evidence: list[str] = Field(default_factory=new_list)  # what the step must leave behind
    recovery: bool = False  # its finish counts towards the measured RTO
    tier: str | None = None  # the tier it recovers; None = all tiers
    sample: int = Field(20, ge=1, le=1000)  # replica_checksums: objects sampled per bucket

    @model_validator(mode="after")
    def _action_matches_type(self) -> Step:
        if self.type == "automated" and self.action is None:
            raise ValueError(f"automated step {self.name!r} needs an action ({' or '.join(AUTOMATED_ACTIONS)})")
        if self.type == "manual" and self.action is not None:
            raise ValueError(f"manual step {self.name!r} cannot have an action")
        return self


class Approver(PlanModel):
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)
    # The approver's Ed25519 public key (`ed25519:<base64>` as `drill keygen` prints it, or PEM), or only its
    # fingerprint. Pinned here, outside the store, so that whoever administers the store cannot sign in their name.
    public_key: str | None = None
    key_fingerprint: str | None = Field(None, pattern=r"^SHA256:[0-9a-f]{32}$")

    @model_validator(mode="after")
    def _key_parses(self) -> Approver:
        if self.public_key is not None:
            try:
                pem = public_pem_of(self.public_key)
            except ValueError as exc:
                raise ValueError(f"approver {self.name!r}: public_key is not usable: {exc}") from None
            if self.key_fingerprint is not None and self.key_fingerprint != key_fingerprint(pem):
                raise ValueError(f"approver {self.name!r}: key_fingerprint does not match public_key")
        return self

    @property
    def pinned(self) -> str | None:
        """The fingerprint a sign-off by this approver must carry, or None when the plan pins no key."""
        if self.public_key is not None:
            return key_fingerprint(public_pem_of(self.public_key))
        return self.key_fingerprint


class DrillPlan(PlanModel):
    kind: Literal["monthly", "quarterly"]
    name: str = ""
    scope: Scope = Field(default_factory=Scope)
    tiers: list[Tier] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    approvers: list[Approver] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> DrillPlan:
        for label, names in (("step", [s.name for s in self.steps]), ("tier", [t.name for t in self.tiers]),
                             ("approver", [a.name.casefold() for a in self.approvers])):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"{label} names must be unique: {', '.join(duplicates)} repeated")
        tiers = {t.name for t in self.tiers}
        for step in self.steps:
            if step.tier is not None and step.tier not in tiers:
                raise ValueError(f"step {step.name!r} names tier {step.tier!r}, which is not in tiers")
        return self

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise BadInput(f"step {name!r} is not in the drill's plan (steps: {', '.join(s.name for s in self.steps)})")

    def tier_of(self, resource_id: str) -> Tier:
        for tier in self.tiers:
            if tier.claims(resource_id):
                return tier
        return self.tiers[-1]

    @property
    def pins_keys(self) -> bool:
        return any(a.pinned for a in self.approvers)

    def approver(self, name: str, role: str) -> Approver:
        for approver in self.approvers:
            if approver.name.casefold() == name.strip().casefold():
                if approver.role.casefold() != role.strip().casefold():
                    raise BadInput(f"{approver.name} is an approver of this drill as {approver.role!r}, not {role!r}")
                return approver
        names = ", ".join(f"{a.name} ({a.role})" for a in self.approvers)
        raise BadInput(f"{name!r} is not an approver of this drill's plan (approvers: {names})")


def load_plan(path: Path) -> DrillPlan:
    data = parse_yaml(read_config_text(path, "drill plan"), path)
    if not isinstance(data, dict):
        raise BadInput(f"{path}: a drill plan is a YAML mapping (kind, scope, tiers, steps, approvers)")
    try:
        return DrillPlan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "plan"
        message = first["msg"].removeprefix("Value error, ")
        raise BadInput(f"{path}: invalid drill plan at {where}: {message}") from None


def plan_template(kind: str) -> str:
    """The commented example plan of this kind, as bundled under reports/."""
    if kind not in ("monthly", "quarterly"):
        raise BadInput(f"--kind must be monthly or quarterly, not {kind!r}")
    return (bundled_dir("reports") / f"drill-plan-{kind}.yaml").read_text(encoding="utf-8")


def pin_keys(template: str, keys: dict[str, Path]) -> str:
    """The template with each named approver's public key (a file `drill keygen` wrote) pinned: `drill init --pin`,
    so a plan can be made ready to sign without editing YAML by hand."""
    from ..history.chain import raw_public_key

    wanted = {name.strip().casefold(): (name, path) for name, path in keys.items()}
    lines: list[str] = []
    pinned: set[str] = set()
    approver: str | None = None
    in_approvers = False
    for line in template.splitlines(keepends=True):
        if line.startswith("approvers:"):
            in_approvers = True
        elif in_approvers and line.startswith("  - name: "):
            approver = line.removeprefix("  - name: ").strip().casefold()
        elif in_approvers and approver in pinned and line.lstrip().startswith("# public_key:"):
            continue  # the hint the pinned key replaces
        lines.append(line)
        if in_approvers and approver in wanted and approver not in pinned and line.startswith("    role: "):
            name, path = wanted[approver]
            try:
                key = raw_public_key(public_pem_of(read_config_text(path, "public key")))
            except ValueError as exc:
                raise BadInput(f"--pin {name}={path}: {exc}") from None
            lines.append(f'    public_key: "{key}"\n')
            pinned.add(approver)
    missing = [name for key, (name, _) in wanted.items() if key not in pinned]
    if missing:
        raise BadInput(f"--pin names {', '.join(map(repr, missing))}, who is not an approver in the template "
                       "(pin the approvers it lists, or add the key to your own plan by hand)")
    return "".join(lines)
