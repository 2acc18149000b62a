"""Where a drill's evidence comes from: the Estate of any run source, and object readers for COS and off-site copies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..estate import Estate
from .evidence import ReadFailed, S3Reader, cos_credentials
from .service import Readers

if TYPE_CHECKING:
    from ..options import RunOptions


Credentials = tuple[str, str, str | None]


class OffsiteReader:
    """Reads each off-site bucket through the endpoint its copy was collected from, with the keys its target names
    (`keys`, by bucket) or else boto3's own credential chain."""

    def __init__(self, estate: Estate, endpoint_override: str | None = None,
                 credentials: Credentials | None = None, keys: dict[str, Credentials] | None = None):
        self._endpoints = {c.bucket: endpoint_override or c.endpoint_url for c in estate.offsite.copies}
        self._readers: dict[tuple[str, Credentials | None], S3Reader] = {}
        self._credentials = credentials
        self._keys = keys or {}

    def _reader(self, bucket: str) -> S3Reader:
        endpoint = self._endpoints.get(bucket)
        if not endpoint:
            raise ReadFailed(f"no endpoint is known for off-site bucket {bucket}")
        credentials = self._credentials or self._keys.get(bucket)
        if (endpoint, credentials) not in self._readers:
            self._readers[endpoint, credentials] = S3Reader(endpoint, credentials, default_region="us-east-1")
        return self._readers[endpoint, credentials]

    def list_objects(self, bucket: str, region: str, *, prefix: str = "", pages: int = 1) -> list[dict[str, Any]]:
        return self._reader(bucket).list_objects(bucket, region, prefix=prefix, pages=pages)

    def head_object(self, bucket: str, region: str, key: str) -> dict[str, Any] | None:
        return self._reader(bucket).head_object(bucket, region, key)


@contextmanager
def drill_sources(options: RunOptions) -> Iterator[tuple[Estate, Readers]]:
    """The Estate as `dr-audit run` would build it, and readers for the automated steps, open for the drill's start."""
    from ..history.runs import fill_drills
    from ..runner import acquire_estate

    estate = fill_drills(acquire_estate(options), options)
    if options.demo and not options.cos_endpoint_url:
        with _demo_readers(estate) as readers:
            yield estate, readers
        return
    readers = Readers()
    if options.cos_endpoint_url or estate.source == "live":
        credentials = cos_credentials()
        if credentials is None:
            readers.cos_problem = "no TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY to sign COS reads"
        else:
            readers.cos = S3Reader(options.cos_endpoint_url, credentials)
    elif estate.source == "snapshot":
        readers.cos_problem = "a saved snapshot holds no objects: pass --cos-endpoint-url (or run live) to read them"
    if estate.offsite.copies:
        readers.offsite = OffsiteReader(estate, keys=pack_offsite_keys(options))
    else:
        readers.offsite_problem = "the estate has no off-site copies"
    yield estate, readers


def pack_offsite_keys(options: RunOptions) -> dict[str, Credentials]:
    """The keys each off-site bucket's target names in the pack (access_key_env/secret_key_env), when set."""
    from ..collect.config import pack_offsite_targets
    from ..collect.offsite_setup import secrets_for

    keys: dict[str, Credentials] = {}
    for target in pack_offsite_targets(options):
        secrets = secrets_for(target, chain_has_keys=True)  # None: the chain, as for the collector
        if secrets is not None:
            keys[target.bucket] = (secrets.secret_id, secrets.secret_key, secrets.token)
    return keys


@contextmanager
def _demo_readers(estate: Estate) -> Iterator[Readers]:
    try:
        from ..emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud  # type: ignore[attr-defined]
    except ImportError:
        yield Readers(cos_problem="the emulated cloud is not available in this install",
                      offsite_problem="the emulated cloud is not available in this install")
        return
    from .. import demo

    offsite_key = getattr(demo, "DEMO_OFFSITE_KEY", DEMO_SECRET_KEY)  # the demo's second cloud has its own keys
    with EmulatedCloud(estate) as cloud:
        yield Readers(cos=S3Reader(cloud.cos_endpoint_url, (DEMO_SECRET_ID, DEMO_SECRET_KEY, None)),
                      offsite=OffsiteReader(estate, cloud.offsite_endpoint_url, (offsite_key, offsite_key, None)))
