"""One guarded factory for every cloud client: no client is built anywhere else in the package, and a write through
any kind of client (API 3.0, COS, off-site, drill) is refused before a single byte reaches the server."""

from __future__ import annotations

import ast
import re
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import dr_audit
from dr_audit.collect.client import ApiClient, Endpoint, ReadOnlyViolation
from dr_audit.collect.clients import api_client, s3_client
from dr_audit.collect.deadline import RunBudget
from dr_audit.collect.errors import Secrets
from dr_audit.collect.s3 import S3ReadError, make_client, read
from dr_audit.drill.evidence import S3Reader

PACKAGE = Path(dr_audit.__file__).parent
FACTORY = PACKAGE / "collect" / "clients.py"
# The emulated cloud is the other side of the wire: it seeds its own buckets (writes) with its own boto3 clients,
# and nothing of dr-audit's audit path reaches it but over HTTP.
EMULATOR = PACKAGE / "emulator"
KEYS = Secrets("AKIDguardtest0000000000000000000", "guard-test-secret")

CONSTRUCTORS = {"Session", "create_client", "get_session", "CosS3Client", "CosConfig", "HTTPAdapter", "PoolManager",
                "AbstractClient", "CommonClient"}
# dr-audit's own client layer: it gets its SDK clients from the factory (and is scanned like everything else).
OWN_CLIENTS = {"ApiClient"}
CLIENT_MODULE = re.compile(r"^(tencentcloud\..*_client|qcloud_cos(\..*)?|botocore\.session)$")


def constructions(path: Path) -> list[str]:
    """Every place a file builds (or imports the means to build) a cloud client, as `file:line what`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []

    def where(node: ast.AST, what: str) -> None:
        shown = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE.parent) else path.name
        found.append(f"{shown}:{getattr(node, 'lineno', 0)} {what}")

    # A session asked only for the credential chain (`Session().get_credentials()`) builds no client.
    chain_lookups = {id(node.value) for node in ast.walk(tree)
                     if isinstance(node, ast.Attribute) and node.attr == "get_credentials"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and id(node) in chain_lookups:
            continue
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            receiver = func.value if isinstance(func, ast.Attribute) else None
            if name in ("client", "resource") and (
                    (isinstance(receiver, ast.Name) and receiver.id == "boto3") or isinstance(receiver, ast.Call)):
                where(node, f"{ast.unparse(func)}(...)")
            elif name in CONSTRUCTORS or (name.endswith("Client") and name[:1].isupper() and name not in OWN_CLIENTS):
                where(node, f"{name}(...)")
            elif name == "import_module" and node.args and isinstance(node.args[0], ast.Constant) and \
                    CLIENT_MODULE.match(str(node.args[0].value)):
                where(node, f"import_module({node.args[0].value!r})")
        elif isinstance(node, ast.ImportFrom) and node.module and CLIENT_MODULE.match(node.module):
            where(node, f"from {node.module} import ...")
        elif isinstance(node, ast.ImportFrom) and not node.level and any(a.name.endswith("Client")
                                                                          for a in node.names):
            where(node, f"from {node.module} import {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if CLIENT_MODULE.match(alias.name):
                    where(node, f"import {alias.name}")
    return found


def test_no_cloud_client_is_built_outside_the_guarded_factory():
    outside = [hit for path in sorted(PACKAGE.rglob("*.py"))
               if path != FACTORY and EMULATOR not in path.parents for hit in constructions(path)]
    assert outside == []


def test_the_scan_sees_the_factory_s_own_constructions_and_the_emulator_s():
    # The scan is only worth something if it recognises the constructions that do exist.
    in_factory = " ".join(constructions(FACTORY))
    assert "Session().client(...)" in in_factory and "PoolManager" not in in_factory
    assert any("boto3.client(...)" in hit for path in EMULATOR.rglob("*.py") for hit in constructions(path))


def test_the_scan_flags_each_way_of_building_a_client(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import boto3\nboto3.session.Session().get_credentials()\nfrom qcloud_cos import CosConfig, CosS3Client\n"
        "from botocore.session import get_session\nfrom tencentcloud.cvm.v20170312 import cvm_client\n"
        "boto3.client('s3')\nboto3.session.Session().client('s3')\nget_session().create_client('s3')\n"
        "CosS3Client(CosConfig(Region='x'))\ncvm_client.CvmClient(None, 'r')\n", encoding="utf-8")
    hits = constructions(sample)
    for expected in ("from qcloud_cos import", "from botocore.session import",
                     "boto3.client(...)", "Session().client(...)", "create_client(...)", "CosS3Client(...)",
                     "CvmClient(...)"):
        assert any(expected in hit for hit in hits), (expected, hits)
    assert not [hit for hit in hits if hit.startswith("sample.py:2 ")]  # a credential-chain lookup is no client


class Listener:
    """A 127.0.0.1 server that counts connections and bytes received, answers nothing, and stops by itself."""

    def __init__(self, lifetime: float = 60.0) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.setblocking(False)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.connections = 0
        self.received = 0
        self._until = time.monotonic() + lifetime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        open_connections: list[socket.socket] = []
        while not self._stop.is_set() and time.monotonic() < self._until:
            ready, _, _ = select.select([self.socket, *open_connections], [], [], 0.05)
            for sock in ready:
                if sock is self.socket:
                    try:
                        connection, _ = self.socket.accept()
                    except BlockingIOError:
                        continue
                    self.connections += 1
                    open_connections.append(connection)
                else:
                    data = sock.recv(65536)
                    self.received += len(data)
                    if not data:
                        open_connections.remove(sock)
                        sock.close()
                    else:  # a request arrived: end it unanswered, so the client fails fast
                        open_connections.remove(sock)
                        sock.close()
        for sock in open_connections:
            sock.close()
        self.socket.close()

    def settle(self) -> None:
        time.sleep(0.2)  # anything sent has been accepted and counted by now

    def saw_request(self) -> bool:
        """Whether a request arrived (waiting a little: the server counts on its own thread)."""
        until = time.monotonic() + 10
        while time.monotonic() < until:
            if self.connections and self.received:
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.stop()


def api_endpoint(listener: Listener) -> dict[str, str]:
    return Endpoint(listener.url).http_profile_args()


def test_api_writes_are_refused_before_any_byte_is_sent(listener):
    sdk = api_client("cvm", "ap-shanghai", KEYS, api_endpoint(listener))
    with pytest.raises(ReadOnlyViolation, match="cvm:TerminateInstances"):
        sdk.call_json("TerminateInstances", {"InstanceIds": ["ins-1"]})
    with pytest.raises(ReadOnlyViolation, match="cvm:RunInstances"):
        sdk.call("RunInstances", {})
    with pytest.raises(ReadOnlyViolation, match="cam:DeleteUser"):
        ApiClient(KEYS, endpoint=Endpoint(listener.url)).call("cam", "DeleteUser", {"Name": "alice"})
    with pytest.raises(ReadOnlyViolation, match="cam:SearchCommand|dasb:SearchCommand"):
        ApiClient(KEYS, endpoint=Endpoint(listener.url)).call("dasb", "SearchCommand", {})  # a read never called
    listener.settle()
    assert (listener.connections, listener.received) == (0, 0)
    # The same client does reach the server with a declared read (the listener would have seen a write).
    with pytest.raises(Exception):  # noqa: B017 - the listener hangs up; only that the request left matters
        sdk.call_json("DescribeInstances", {})
    assert listener.saw_request()


@pytest.mark.parametrize("kind", ["cos", "offsite", "drill"])
def test_s3_writes_are_refused_before_any_byte_is_sent(listener, kind):
    if kind == "drill":
        client = S3Reader(listener.url, (KEYS.secret_id, KEYS.secret_key, None))._client("ap-shanghai")
    else:
        client = make_client(kind, listener.url, "ap-shanghai", KEYS)
    for write in (lambda: client.delete_bucket(Bucket="replica"),
                  lambda: client.put_object(Bucket="replica", Key="k", Body=b"x"),
                  lambda: client.delete_object(Bucket="replica", Key="k"),
                  lambda: client.put_bucket_versioning(Bucket="replica",
                                                       VersioningConfiguration={"Status": "Suspended"})):
        with pytest.raises(ReadOnlyViolation):
            write()
    with pytest.raises(ReadOnlyViolation):  # contents are never read, whatever the kind
        client.get_object(Bucket="replica", Key="k")
    listener.settle()
    assert (listener.connections, listener.received) == (0, 0)
    # A declared read of this kind leaves the client (and fails against the listener, which hangs up).
    budget = RunBudget(run_seconds=None, call_seconds=3.0)
    reader = s3_client(kind, listener.url, "ap-shanghai", KEYS, budget=budget)
    operation = "ListObjectsV2" if kind == "drill" else "HeadBucket"
    with pytest.raises(S3ReadError):
        read(reader, operation, KEYS, Bucket="replica")
    assert listener.saw_request()


def test_each_kind_sends_only_its_own_reads(listener):
    drill = s3_client("drill", listener.url, "ap-shanghai", KEYS)
    with pytest.raises(ReadOnlyViolation, match="GetBucketPolicy"):
        drill.get_bucket_policy(Bucket="b")  # an audit read, not the drill's
    offsite = s3_client("offsite", listener.url, "us-east-1", KEYS)
    with pytest.raises(ReadOnlyViolation, match="HeadObject"):
        offsite.head_object(Bucket="b", Key="k")  # the drill's read, not the off-site audit's
    listener.settle()
    assert listener.connections == 0
