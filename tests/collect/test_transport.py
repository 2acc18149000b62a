"""The API 3.0 transport: requests go where requests would have sent them (through the proxy the SDK or the
environment names), and HTTPS is verified against certifi's bundle."""

from __future__ import annotations

import socket
import threading

import certifi
import pytest

from dr_audit.collect.client import ApiClient, Endpoint, RetryPolicy
from dr_audit.collect.clients import _api_pools
from dr_audit.collect.errors import CallError, Secrets

KEYS = Secrets("AKIDtransport0000000000000000000", "transport-test-secret")
ONCE = RetryPolicy(max_attempts=1)


class Proxy:
    """A 127.0.0.1 proxy that reads each request's first line, refuses it with 502 and closes."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.first_lines: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    received += chunk
                self.first_lines.append(received.split(b"\r\n", 1)[0].decode("latin-1"))
                connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                 "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    found = Proxy()
    yield found
    found.close()


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_an_https_endpoint_is_reached_through_the_environment_s_proxy(proxy, monkeypatch, variable):
    monkeypatch.setenv(variable, proxy.url)
    client = ApiClient(KEYS, "100000000001", endpoint=Endpoint("https://cvm.tencentcloudapi.example"), retry=ONCE)
    with pytest.raises(CallError):
        client.call("cvm", "DescribeInstances", {}, "ap-shanghai")
    assert [line.rsplit(" ", 1)[0] for line in proxy.first_lines] == ["CONNECT cvm.tencentcloudapi.example:443"]


def test_an_http_endpoint_goes_through_the_http_proxy_unless_no_proxy_names_it(proxy, monkeypatch):
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    client = ApiClient(KEYS, "100000000001", endpoint=Endpoint("http://api.example:8080"), retry=ONCE)
    with pytest.raises(CallError) as raised:
        client.call("cvm", "DescribeInstances", {}, "ap-shanghai")
    assert proxy.first_lines == ["POST http://api.example:8080/ HTTP/1.1"] and raised.value.code == "ServerNetworkError"
    monkeypatch.setenv("NO_PROXY", "bypassed.example")
    bypassing = ApiClient(KEYS, "100000000001", endpoint=Endpoint("http://bypassed.example:8080"), retry=ONCE)
    with pytest.raises(CallError):
        bypassing.call("cvm", "DescribeInstances", {}, "ap-shanghai")
    assert len(proxy.first_lines) == 1  # straight to the (unresolvable) host, not through the proxy


def test_https_pools_verify_certificates_against_certifi():
    pools = _api_pools()
    for manager in (pools.poolmanager, pools.proxy_manager_for("http://127.0.0.1:9")):
        pool = manager.connection_from_url("https://cvm.tencentcloudapi.com/")
        assert pool.cert_reqs == "CERT_REQUIRED" and pool.ca_certs == certifi.where()
