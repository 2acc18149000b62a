"""The emulated Tencent Cloud (DESIGN.md §8): an API 3.0 server and moto S3 servers seeded from an Estate.

Used by tests, benchmarks and `--demo`: the real collectors talk to it over HTTP with real signatures.

    with EmulatedCloud(estate, rate_limits=True) as cloud:
        ... collect from cloud.endpoint_url / cloud.cos_endpoint_url / cloud.offsite_endpoint_url ...
        cloud.requests  # every API 3.0 call received, as RecordedCall(service, action, region)

What the wire cannot carry, so does not come back from a collection unchanged:
- ids the API gives as integers (CAM uins, policy and group ids; DASB ids; CDB backup ids; CloudAudit track ids)
  must be numeric strings in the Estate; others get stable stand-in numbers;
- CCNs and CloudAudit tracks belong to the account and are listed in every region (the wire has no region for them);
- a MySQL instance without backup_config / remote_backup answers UnsupportedOperation for that read;
- `Estate.gaps` fail the reads that caused them; per-resource `unreadable` entries are not emulated;
- COS in moto: ObjectLock(enabled=False) reads back as no lock, object lock turns versioning on, replication on a
  never-versioned bucket is seeded as versioning Suspended, DefaultRetention holds Days or Years (Days wins);
- only the Estate's first account is served (no STS AssumeRole into others); DescribeRegions lists Estate.regions.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from ..estate import Estate
from .server import ApiFront, ApiServer, Faults, RecordedCall, serve
from .services import ServiceBackend
from .services.account import CvmRegionsBackend, RegionBackend, StsBackend
from .services.cam import CamBackend
from .services.cbs import CbsBackend
from .services.cdb import CdbBackend
from .services.cloudaudit import CloudAuditBackend
from .services.cvm import CvmBackend
from .services.dasb import DasbBackend
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

__all__ = ["DEMO_SECRET_ID", "DEMO_SECRET_KEY", "EmulatedCloud", "Faults", "RecordedCall", "served_account"]


def served_account(estate: Estate) -> str:
    """The account whose resources the emulator serves: the Estate's first account."""
    if estate.accounts:
        return estate.accounts[0]
    if estate.cam.accounts:
        return estate.cam.accounts[0].account
    return DEFAULT_ACCOUNT


class EmulatedCloud:
    """An emulated Tencent Cloud for one Estate, on 127.0.0.1 ephemeral ports, served by threads of this process."""

    def __init__(self, estate: Estate, *, secret_id: str = DEMO_SECRET_ID, secret_key: str = DEMO_SECRET_KEY,
                 latency: float = 0.0, rate_limits: bool | Mapping[str, float] = False,
                 faults: Faults | None = None, cos: bool = True) -> None:
        self.estate = estate
        self.account = served_account(estate)
        self.secret_id = secret_id
        backends: dict[str, list[ServiceBackend]] = {}
        collecting = gc.isenabled()
        gc.disable()  # building API state for a large estate allocates much and frees nothing
        try:
            for backend_class in BACKENDS:
                backends.setdefault(backend_class.service, []).append(backend_class(estate, self.account))
        finally:
            if collecting:
                gc.enable()
        self.front = ApiFront(backends, {secret_id: secret_key}, latency=latency, rate_limits=rate_limits,
                              faults=faults, gaps=[g for g in estate.gaps if g.account == self.account])
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

    @property
    def faults(self) -> Faults:
        return self.front.faults

    def start(self) -> EmulatedCloud:
        self._server, self._thread = serve(self.front)
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        if self.with_cos:
            from .cos import MotoS3, seed_buckets, seed_offsite

            try:
                self._cos = cos = MotoS3()
                self.cos_endpoint_url = cos.url
                seed_buckets(cos, [b for b in self.estate.cos.buckets if b.account == self.account])
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
