"""The one place dr-audit makes clients that reach a cloud: Tencent Cloud API 3.0, COS, off-site S3 and drill reads.

Each client refuses any action its kind does not declare in `readonly.py` before anything is signed or sent, and
every connection it opens keeps the calling thread's deadline (`deadline.py`), so a silent or trickling server costs
a bounded time. Nothing else in the package constructs an SDK, boto3 or botocore client (a test reads the source).
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..readonly import ClientKind, allowed_operations, is_read_action
from .deadline import CONNECT_TIMEOUT, READ_TIMEOUT, RunBudget, deadline_pool, set_deadline
from .errors import Secrets

# SDK client class per service: (module, class name).
SDK_CLIENTS: dict[str, tuple[str, str]] = {
    "cam": ("tencentcloud.cam.v20190116.cam_client", "CamClient"),
    "cvm": ("tencentcloud.cvm.v20170312.cvm_client", "CvmClient"),
    "cbs": ("tencentcloud.cbs.v20170312.cbs_client", "CbsClient"),
    "vpc": ("tencentcloud.vpc.v20170312.vpc_client", "VpcClient"),
    "cdb": ("tencentcloud.cdb.v20170320.cdb_client", "CdbClient"),
    "dasb": ("tencentcloud.dasb.v20191018.dasb_client", "DasbClient"),
    "cloudaudit": ("tencentcloud.cloudaudit.v20190319.cloudaudit_client", "CloudauditClient"),
    "region": ("tencentcloud.region.v20220627.region_client", "RegionClient"),
    "sts": ("tencentcloud.sts.v20180813.sts_client", "StsClient"),
    "organization": ("tencentcloud.organization.v20210331.organization_client", "OrganizationClient"),
}


class ReadOnlyViolation(Exception):
    """A caller asked for an action its client kind does not declare; nothing was sent."""


@dataclass(frozen=True)
class Timeouts:
    """How long one request may wait to connect and for each next byte (the total is the thread's deadline)."""

    connect: float = CONNECT_TIMEOUT
    read: float = READ_TIMEOUT


# -- Tencent Cloud API 3.0 ----------------------------------------------------------------------------------------

def api_client(service: str, region: str, secrets: Secrets, endpoint_args: dict[str, str],
               timeouts: Timeouts | None = None) -> Any:
    """An SDK client for one service and region, guarded and with deadline-aware connections.

    The SDK signs and checks every request and answer as usual; only the sending is ours (`ApiTransport`): straight
    to connection pools shared by every API 3.0 client of the process, so accounts, services and threads reuse each
    other's kept-alive connections, and no request pays for requests' per-request session machinery.
    """
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    timeouts = timeouts or Timeouts()
    module_name, class_name = SDK_CLIENTS[service]
    client_class = getattr(importlib.import_module(module_name), class_name)
    http = HttpProfile(reqTimeout=timeouts.read, keepAlive=True, **endpoint_args)
    # disable_region_breaker=True and no retryer: the client layer retries (see client.py).
    profile = ClientProfile(httpProfile=http, disable_region_breaker=True, language="en-US")
    credential = Credential(secrets.secret_id, secrets.secret_key, secrets.token)
    client = client_class(credential, region, profile)
    sdk_connection = client.request.conn
    url = f"{'http' if http.scheme == 'http' else 'https'}://{client._get_endpoint()}/"
    client.request.conn = ApiTransport(sdk_connection.request_host, _proxy_for(url, sdk_connection.proxy), timeouts)
    signer = client._build_req_inter

    def guarded(action: str, params: Any, req_inter: Any, options: Any = None) -> Any:
        # Every way the SDK sends (call, call_json, call_octet_stream...) builds its request here first.
        if not is_read_action(service, action):
            raise ReadOnlyViolation(f"{service}:{action} is not a declared read; dr-audit never sends it")
        return signer(action, params, req_inter, options)

    client._build_req_inter = guarded
    return client


# Kept-alive connections per host (the API 3.0 endpoint, or each service's own): as many as the most requests that
# can be in flight together, so a burst does not open and drop connections.
API_CONNECTIONS_PER_HOST = 64


@dataclass(frozen=True)
class ApiAnswer:
    """An HTTP answer as the SDK reads one (`status_code`, `headers`, `content`), read in full."""

    status_code: int
    headers: Any  # urllib3's HTTPHeaderDict: case-insensitive, as the SDK expects
    content: bytes
    reason: str = ""


class ApiTransport:
    """Sends what an SDK client built and signed, in place of the SDK's own requests-based connection.

    It does what that connection does for our requests (POST the body with its headers, the Host header, the proxy,
    TLS verified against certifi's bundle) through the shared, deadline-aware pools (`_api_pools`). Any failure is
    an exception, which the SDK turns into ClientNetworkError as before; redirects are not followed.
    """

    def __init__(self, host: str, proxy: str | None, timeouts: Timeouts) -> None:
        from urllib3.util.timeout import Timeout

        self.request_host = host
        self.request_length = 0  # the SDK reads it after each request
        self._proxy = proxy
        self._timeout = Timeout(connect=timeouts.connect, read=timeouts.read)

    def request(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> ApiAnswer:
        headers = headers if headers is not None else {}
        headers.setdefault("Host", self.request_host)
        if "/" not in url.partition("://")[2]:  # the SDK posts to "https://host"; a proxy is sent the URL whole
            url += "/"
        pools = _api_pools()
        manager = pools.proxy_manager_for(self._proxy) if self._proxy else pools.poolmanager
        answer = manager.urlopen(method, url, body=body, headers=headers, timeout=self._timeout, retries=False,
                                 redirect=False, preload_content=True)
        return ApiAnswer(answer.status, answer.headers, answer.data, answer.reason or "")


def _proxy_for(url: str, sdk_proxy: dict[str, str] | None) -> str | None:
    """The proxy requests would use for `url`: the SDK's own choice (HttpProfile.proxy, or HTTPS_PROXY/HTTP_PROXY
    as the SDK reads them) first, else the environment's (with NO_PROXY), looked up once per client."""
    from requests.utils import select_proxy

    proxies = {**_environment_proxies(url, *(os.environ.get(name) for name in _PROXY_VARIABLES)), **(sdk_proxy or {})}
    return select_proxy(url, proxies) if proxies else None


_PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
                    "NO_PROXY")


@functools.lru_cache(maxsize=64)
def _environment_proxies(url: str, *variables: str | None) -> dict[str, str]:
    # Keyed by the variables' values too, so a changed environment is read again; reading it walks os.environ.
    from requests.utils import get_environ_proxies

    return dict(get_environ_proxies(url))


@functools.cache
def _api_pools() -> Any:
    """The connection pools of every API 3.0 client: deadline-aware, TLS verified against certifi's bundle.

    Sharing them across accounts is safe: a pool keeps nothing between requests but open connections, and each
    request carries its own signature (no cookies, no netrc, no session state of any kind).
    """
    import certifi

    return _deadline_adapter()(pool_connections=16, pool_maxsize=API_CONNECTIONS_PER_HOST,
                               tls={"cert_reqs": "CERT_REQUIRED", "ca_certs": certifi.where()})


@functools.cache
def _deadline_adapter() -> type:
    """requests' HTTPAdapter (used for its pool and proxy managers only) whose pools keep each connection to the
    calling thread's deadline."""
    from requests.adapters import HTTPAdapter
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class DeadlineAdapter(HTTPAdapter):
        def __init__(self, *args: Any, tls: dict[str, Any], **kwargs: Any) -> None:
            self._tls = tls
            super().__init__(*args, **kwargs)

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **{**kwargs, **self._tls})
            self.poolmanager.pool_classes_by_scheme = {"http": deadline_pool(HTTPConnectionPool),
                                                       "https": deadline_pool(HTTPSConnectionPool)}

        def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
            return super().proxy_manager_for(proxy, **proxy_kwargs, **self._tls)

    return DeadlineAdapter


# -- S3-compatible: COS, off-site copies, drill reads -------------------------------------------------------------

_SHARED_SESSION_LOCK = threading.Lock()


@functools.cache
def _shared_session() -> Any:
    import boto3

    return boto3.session.Session()


@functools.cache
def _deadline_error() -> Any:
    """Raised before an S3 request when its call's time is spent: a botocore error, so readers report it as one."""
    from botocore.exceptions import BotoCoreError

    class DeadlineExceeded(BotoCoreError):
        fmt = "{reason}"

    return DeadlineExceeded


def s3_client(kind: ClientKind, endpoint_url: str, region: str, secrets: Secrets | None,
              timeouts: Timeouts | None = None, budget: RunBudget | None = None, account: str = "") -> Any:
    """A path-style boto3 S3 client that can only send the operations declared for `kind` (cos/offsite/drill).

    Retries are botocore's "standard" mode (which, unlike the Tencent SDK's retryer, keeps no stale error), and
    every attempt of one call shares the call's deadline: a silent endpoint is not retried past it.
    """
    import boto3
    from botocore.awsrequest import AWSHTTPConnectionPool, AWSHTTPSConnectionPool
    from botocore.config import Config

    timeouts = timeouts or Timeouts()
    budget = budget or RunBudget(run_seconds=None)
    allowed = allowed_operations(kind)
    config = Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "max_attempts": 3},
                    connect_timeout=timeouts.connect, read_timeout=timeouts.read, signature_version="s3v4",
                    max_pool_connections=32)
    credentials: dict[str, Any] = {}
    if secrets is not None:
        credentials = {"aws_access_key_id": secrets.secret_id, "aws_secret_access_key": secrets.secret_key,
                       "aws_session_token": secrets.token}
    if credentials:  # one shared session loads the S3 model once (a new one costs ~150 ms CPU a client)
        with _SHARED_SESSION_LOCK:  # a boto3 session is not thread-safe; the clients it makes are
            client = _shared_session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config,
                                              **credentials)
    else:  # the AWS chain is resolved, and cached, per session: keep each client's own
        client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
    session = client._endpoint.http_session
    pools = {"http": deadline_pool(AWSHTTPConnectionPool), "https": deadline_pool(AWSHTTPSConnectionPool)}
    session._pool_classes_by_scheme = pools
    session._manager.pool_classes_by_scheme = pools
    exceeded = _deadline_error()
    service = "offsite" if kind == "offsite" else "cos"

    def guard(model: Any = None, **_: Any) -> None:
        name = getattr(model, "name", "")
        if name not in allowed:
            raise ReadOnlyViolation(f"s3:{name} is not a declared {kind} read; dr-audit never sends it")

    def start_call(context: Any = None, **_: Any) -> None:
        from .deadline import BudgetSpent

        try:
            deadline = budget.call_deadline(account, service)
        except BudgetSpent as spent:
            raise exceeded(reason=spent.reason) from None
        if context is not None:
            context["dr_audit_deadline"] = (time.monotonic(), deadline)

    def before_send(request: Any = None, **_: Any) -> None:
        started, deadline = (request.context.get("dr_audit_deadline") if request is not None else None) or (
            time.monotonic(), None)
        if deadline is not None and time.monotonic() >= deadline:
            raise exceeded(reason=budget.spent_reason(account, service, started))
        set_deadline(deadline)

    def end_call(**_: Any) -> None:
        set_deadline(None)  # a finished call's deadline must not cut this thread's next request

    client.meta.events.register("before-parameter-build.s3", guard)
    client.meta.events.register("before-call.s3", start_call)
    client.meta.events.register("before-send.s3", before_send)
    client.meta.events.register("after-call.s3", end_call)
    client.meta.events.register("after-call-error.s3", end_call)
    return client
