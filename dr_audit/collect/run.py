"""What `dr-audit run` collects live: the accounts of the caller's own keys, one account per --role-arn, or every
member of the organization (--organization), each read by the same path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BadInput
from ..shards import take
from .config import CollectConfig, pack_offsite_targets, run_timeout
from .credentials import ROLE_ACCOUNT, base_secrets
from .live import collect
from .members import Excluded, Target, collect_targets
from .organization import collect_organization

if TYPE_CHECKING:
    from ..estate import Estate
    from ..options import RunOptions


def collect_live(options: RunOptions) -> Estate:
    """`dr-audit run` against live accounts: credentials by the SDK chain; one account per --role-arn, or every
    member of the organization (--organization), read concurrently by the same path."""
    if options.organization and options.role_arns:
        raise BadInput("give --organization or --role-arn, not both (an organization run finds its accounts)")
    if not options.organization and (options.accounts or options.exclude_accounts):
        raise BadInput("--accounts and --exclude-accounts choose among an organization's members: add --organization")
    config = CollectConfig(endpoint_url=options.endpoint_url, cos_endpoint_url=options.cos_endpoint_url,
                           regions=list(options.regions), offsite_targets=pack_offsite_targets(options),
                           progress=options.progress, run_timeout=run_timeout(options))
    base = base_secrets(options.profile)
    if options.organization:
        return collect_organization(base, config, options)
    if not options.role_arns:
        return collect([base], config)
    targets = []
    for arn in options.role_arns:
        named = ROLE_ACCOUNT.match(arn.strip())
        targets.append(Target(account=named["account"] if named else "", role_arn=arn))
    # --shard: an ARN whose account cannot be read from it is dealt out by the ARN itself.
    mine, others = take(targets, lambda t: t.account or t.role_arn or "", options.shard)
    excluded = [Excluded(account=t.account or t.role_arn or "", reason=where.reason, shard=where.index)
                for t, where in others]
    return collect_targets(base, mine, config, max_parallel=options.max_parallel_accounts, excluded=excluded)
