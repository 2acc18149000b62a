"""CloudAudit: the tracking sets (tracks), what each records and where it delivers the records."""

from __future__ import annotations

from typing import Any

from ...estate import AuditTrack
from .common import AccountRun, fit, items, optional_int, optional_text, text

SERVICE = "cloudaudit"
PAGE = 50


def collect(run: AccountRun) -> None:
    """Tracks belong to the account, not to a region: one listing, sent to the first audited region."""
    run.spawn_inventory(SERVICE, "", tracks, run, run.regions[0] if run.regions else "ap-guangzhou")


def tracks(run: AccountRun, endpoint_region: str) -> None:
    found = [track(run.account, "", e)
             for e in run.client.page_number_pages(SERVICE, "DescribeAuditTracks", {}, "Tracks",
                                                   region=endpoint_region,
                                                   size=PAGE, page_key="PageNumber", size_key="PageSize",
                                                   total_key="TotalCount")]
    run.harvest.add(run.estate.cloudaudit.tracks, found)


def track(account: str, region: str, entry: dict[str, Any]) -> AuditTrack:
    raw = entry.get("Storage")
    storage: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return fit(
        AuditTrack, account=account, region=region, track_id=text(entry.get("TrackId")), name=text(entry.get("Name")),
        status=optional_int(entry.get("Status")) or 0, action_type=text(entry.get("ActionType")),
        resource_type=text(entry.get("ResourceType")), event_names=[text(n) for n in items(entry.get("EventNames"))],
        storage_type=optional_text(storage.get("StorageType")),
        storage_region=optional_text(storage.get("StorageRegion")),
        storage_name=optional_text(storage.get("StorageName")),
        storage_prefix=optional_text(storage.get("StoragePrefix")),
    )
