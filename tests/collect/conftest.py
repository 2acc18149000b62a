"""Collection tests never probe the CVM metadata service nor read the developer's own credentials."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_ambient_credentials(monkeypatch, tmp_path):
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SESSION_TOKEN",
                 "DR_AUDIT_ENDPOINT_URL", "DR_AUDIT_COS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DR_AUDIT_NO_INSTANCE_ROLE", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr("dr_audit.collect.credentials.credentials_files",
                        lambda: [tmp_path / "home" / ".tencentcloud" / "credentials"])
