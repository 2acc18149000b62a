"""What one `run`, `plan` or `drill start` was asked to do: every flag, parsed, in one place.

A leaf module, so the sources (live collectors, the demo, the history store) can take options without importing
the runner that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .findings import Severity
from .shards import Shard


@dataclass
class RunOptions:
    pack: str | None = None
    regions: list[str] = field(default_factory=list)
    profile: str | None = None
    role_arns: list[str] = field(default_factory=list)
    endpoint_url: str | None = None
    cos_endpoint_url: str | None = None
    from_snapshot: Path | None = None
    save_snapshot: Path | None = None
    demo: bool = False
    scenario: str = "weimob-2020"
    formats: list[str] = field(default_factory=lambda: ["table"])
    output: Path | None = None
    output_dir: Path | None = None
    fail_on: Severity = Severity.HIGH
    waivers: Path | None = None
    baseline: Path | None = None
    history: Path | None = None
    history_url: str | None = None
    checks_dirs: list[Path] = field(default_factory=list)
    only: list[str] = field(default_factory=list)  # run just these check ids
    colour: bool = False
    progress: bool = False
    timeout: float | None = None  # seconds the whole collection may take (`run --timeout`); None: the default
    organization: bool = False  # audit every member of the caller's Tencent Cloud Organization
    member_role: str = "OrganizationAccessControlRole"  # the role assumed in each member (readonly.DEFAULT_MEMBER_ROLE)
    accounts: list[str] = field(default_factory=list)  # only these members (id, name or unit)
    exclude_accounts: list[str] = field(default_factory=list)  # never these members (id, name or unit)
    max_parallel_accounts: int = 32  # accounts collected at once (members.DEFAULT_MAX_PARALLEL_ACCOUNTS)
    shard: Shard | None = None  # audit only this share of the accounts (`--shard I/N`)
    run_group: str | None = None  # the id the shards of one audit share (`--run-group`)
