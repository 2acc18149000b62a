"""Emulated CloudAudit (2019-03-19): tracking sets. Tracks belong to the account, so every region lists them all."""

from __future__ import annotations

from ...estate import AuditTrack, Estate
from ..protocol import ApiError, Call, Item, int_param, numeric_id, page_rp
from . import ServiceBackend, action

CREATED = "2020-03-01 10:00:00"


def track_item(track: AuditTrack, account: str, appid: str) -> Item:
    has_storage = any(v is not None for v in (track.storage_type, track.storage_region, track.storage_name,
                                               track.storage_prefix))
    return {
        "Name": track.name, "ActionType": track.action_type, "ResourceType": track.resource_type,
        "Status": track.status, "EventNames": list(track.event_names),
        "Storage": None if not has_storage else {
            "StorageType": track.storage_type, "StorageRegion": track.storage_region,
            "StorageName": track.storage_name, "StoragePrefix": track.storage_prefix,
            "StorageAccountId": account, "StorageAppId": appid, "Compress": 0,
        },
        "CreateTime": CREATED, "TrackId": numeric_id(track.track_id),
    }


class CloudAuditBackend(ServiceBackend):
    service = "cloudaudit"
    version = "2019-03-19"
    regional = False

    def __init__(self, estate: Estate, account: str) -> None:
        super().__init__(estate, account)
        appids = sorted(estate.cos.appids())
        self.tracks = [track_item(t, account, appids[0] if appids else "") for t in self.mine(estate.cloudaudit.tracks)]

    @action("DescribeAuditTracks")
    def describe_audit_tracks(self, call: Call) -> Item:
        for name in ("PageNumber", "PageSize"):
            if call.params.get(name) is None:  # both are required by the real API
                raise ApiError("MissingParameter", f"the request is missing the required parameter {name}")
        offset, limit = page_rp(call.params, page="PageNumber", size="PageSize")
        return {"Tracks": self.tracks[offset:offset + limit], "TotalCount": len(self.tracks)}

    @action("DescribeAuditTrack")
    def describe_audit_track(self, call: Call) -> Item:
        track_id = int_param(call.params, "TrackId")
        if track_id is None:
            raise ApiError("MissingParameter", "the request is missing the required parameter TrackId")
        track = next((t for t in self.tracks if t["TrackId"] == track_id), None)
        if track is None:
            raise ApiError("ResourceNotFound", f"no track has id {track_id}")
        return {key: value for key, value in track.items() if key != "TrackId"} | {
            "TrackForAllMembers": 0, "Filters": None}
