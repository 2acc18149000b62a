"""The emulated Tencent Cloud (DESIGN.md §8): an API 3.0 server and moto S3 servers seeded from an Estate.

Used by tests, benchmarks and `--demo`: the real collectors talk to it over HTTP with real signatures.

    with EmulatedCloud(estate, rate_limits=True) as cloud:
        ... collect from cloud.endpoint_url / cloud.cos_endpoint_url / cloud.offsite_endpoint_url ...
        cloud.requests  # every API 3.0 call received, as RecordedCall(service, action, region)
        cloud.faults.listless_actions = {"cam:ListUsers"}  # faults can change while it runs (see Faults)

`EmulatedCloud(..., cos=False)` skips the moto servers (API 3.0 only), for tests and benchmarks that need no COS.

What the wire cannot carry, so does not come back from a collection unchanged:
- ids the API gives as integers (CAM uins, policy and group ids; DASB ids; CDB backup ids; CloudAudit track ids)
  must be numeric strings in the Estate; others get stable stand-in numbers;
- CCNs and CloudAudit tracks belong to the account and are listed in every region (the wire has no region for them);
- a MySQL instance without backup_config / remote_backup answers UnsupportedOperation for that read;
- `Estate.gaps` fail the reads that caused them; a resource's `unreadable` entries fail the per-resource read
  behind them (CAM flags, keys, attachments, policy documents; security group rules; CCN attachments; CDB backup
  settings and backups), answering the code a `<svc>:<Action> failed: <Code>: <message>` reason names (one call
  reads both MFA flag sets, so one of login/action protection unreadable comes back as both);
- COS in moto: ObjectLock(enabled=False) reads back as no lock, object lock turns versioning on, replication on a
  never-versioned bucket is seeded as versioning Suspended, DefaultRetention holds Days or Years (Days wins);
- the demo keys are the Estate's first account; other accounts are reached with STS AssumeRole (qcs::cam::uin/<uin>:
  roleName/<name>), whose temporary keys and token sign as that account, for API 3.0 and COS alike;
  DescribeRegions lists Estate.regions.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from ..estate import Estate
from ..gcpause import collector_paused
from .server import ApiFront, ApiServer, Faults, Principal, RecordedCall, serve
from .services import ServiceBackend
from .services.account import CvmRegionsBackend, RegionBackend, StsBackend
from .services.cam import CamBackend
from .services.cbs import CbsBackend
from .services.cdb import CdbBackend
from .services.cloudaudit import CloudAuditBackend
from .services.cvm import CvmBackend
from .services.dasb import DasbBackend
from .services.organization import OrganizationBackend, OrganizationSpec
from .services.vpc import VpcBackend

if TYPE_CHECKING:
    from .cos import MotoS3

# Demo credentials: not real keys, only ever accepted by this emulator.
DEMO_SECRET_ID = "AKIDdrauditDEMO000000000000000000000"
DEMO_SECRET_KEY = "drauditDEMOsecretKEY0000000000000"  # noqa: S105 (a fixed demo value, not a secret)
DEFAULT_ACCOUNT = "100000000001"

BACKENDS: tuple[type[ServiceBackend], ...] = (
    CamBackend, CvmBackend, CvmRegionsBackend, CbsBackend, VpcBackend, CdbBackend, DasbBackend, CloudAuditBackend,
    StsBackend, RegionBackend,
)

__all__ = ["DEMO_SECRET_ID", "DEMO_SECRET_KEY", "EmulatedCloud", "Faults", "RecordedCall", "served_account",
           "served_accounts"]


def served_account(estate: Estate) -> str:
    """The account the demo keys belong to: the Estate's first account."""
    return served_accounts(estate)[0]


def served_accounts(estate: Estate) -> list[str]:
    """Every account the emulator serves: the Estate's accounts, then any other that owns a CAM root."""
    accounts = list(dict.fromkeys([*estate.accounts, *(a.account for a in estate.cam.accounts)]))
    return accounts or [DEFAULT_ACCOUNT]


class EmulatedCloud:
    """An emulated Tencent Cloud for one Estate, on 127.0.0.1 ephemeral ports, served by threads of this process."""

    def __init__(self, estate: Estate, *, secret_id: str = DEMO_SECRET_ID, secret_key: str = DEMO_SECRET_KEY,
                 latency: float = 0.0, rate_limits: bool | Mapping[str, float] = False,
                 faults: Faults | None = None, cos: bool = True,
                 organization: OrganizationSpec | None = None) -> None:
        self.estate = estate
        self.account = served_account(estate)
        self.accounts = served_accounts(estate)
        self.secret_id = secret_id
        backends: dict[str, dict[str, list[ServiceBackend]]] = {}
        with collector_paused():  # building API state for a large estate allocates much and frees nothing
            for account in self.accounts:
                for backend_class in BACKENDS:
                    backends.setdefault(account, {}).setdefault(backend_class.service, []).append(
                        backend_class(estate, account))
        for account in self.accounts:  # TCO answers every account: the organization's, a member's, or none
            backends[account]["organization"] = [OrganizationBackend(estate, account, organization)]
        # The demo keys are the first account's; the others are reached with STS AssumeRole (--role-arn).
        self.front = ApiFront(backends, {secret_id: Principal(secret_key=secret_key, account=self.account)},
                              latency=latency, rate_limits=rate_limits, faults=faults, gaps=estate.gaps)
        for by_service in backends.values():
            for backend in by_service.get("sts", []):
                if isinstance(backend, StsBackend):
                    backend.issuer = self.front.issue_temporary
                    backend.served = frozenset(self.accounts)
                    backend.denied = self.front.faults.deny_roles  # the same set: denying later takes effect
        self.with_cos = cos
        self._server: ApiServer | None = None
        self._thread: threading.Thread | None = None
        self._cos: MotoS3 | None = None
        self._offsite: MotoS3 | None = None
        self.endpoint_url = ""
        self.cos_endpoint_url = ""
        self.offsite_endpoint_url = ""

    @property
    def requests(self) -> list[RecordedCall]:
        return self.front.requests

    def seen_actions(self) -> set[str]:
        """Every CAM action this cloud was asked to authorise: API 3.0 `name/<service>:<Action>`, and COS requests
        (the emulator's own seeding aside) as the COS CAM action of their S3 operation."""
        from .cos import cam_action

        seen = {f"name/{call.service}:{call.action}" for call in self.front.requests if call.service and call.action}
        if self._cos is not None:
            seen.update(f"name/cos:{cam_action(operation)}" for operation in self._cos.requests)
        return seen

    @property
    def faults(self) -> Faults:
        return self.front.faults

    def start(self) -> EmulatedCloud:
        self._server, self._thread = serve(self.front)
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        if self.with_cos:
            from .cos import MotoS3, seed_buckets, seed_offsite

            try:
                self._cos = cos = MotoS3(resolve=self.front.account_of)
                self.cos_endpoint_url = cos.url
                for account in self.accounts:  # in order: keys nobody knows see the first account's buckets
                    cos.moto_account(account)
                seed_buckets(cos, [b for b in self.estate.cos.buckets if b.account in self.accounts])
                self._offsite = offsite = MotoS3()
                self.offsite_endpoint_url = offsite.url
                seed_offsite(offsite, list(self.estate.offsite.copies))
            except BaseException:
                self.stop()
                raise
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for s3 in (self._cos, self._offsite):
            if s3 is not None:
                s3.stop()
        self._cos = self._offsite = None

    def __enter__(self) -> EmulatedCloud:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
