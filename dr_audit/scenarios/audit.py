"""Scenario part: CloudAudit tracks.

`weimob-2020`: one track records write actions only, into the audit bucket that has no object lock then.
`hardened`: a track records every action of every product into the audit bucket (versioned and COMPLIANCE-locked
by the storage builder in that variant).
"""

from __future__ import annotations

from ..estate import AuditTrack, Estate
from .world import ACCOUNT, APPID, AUDIT_LOGS, PRIMARY, World

# CloudAudit names its COS bucket without the APPID.
AUDIT_STORAGE_NAME = AUDIT_LOGS.removesuffix(f"-{APPID}")


def build(world: World, estate: Estate) -> None:
    estate.cloudaudit.tracks.append(AuditTrack(
        account=ACCOUNT,
        track_id="10001",
        name="all-actions" if world.hardened else "write-actions",
        status=1,
        action_type="*" if world.hardened else "Write",
        resource_type="*",
        event_names=["*"],
        storage_type="cos",
        storage_region=PRIMARY,
        storage_name=AUDIT_STORAGE_NAME,
        storage_prefix="cloudaudit",
    ))
