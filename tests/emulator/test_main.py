"""`python -m dr_audit.emulator`: prints the endpoints and demo credentials, serves them, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY

from .conftest import call, sdk_client


def test_the_module_serves_a_scenario_until_terminated():
    process = subprocess.Popen([sys.executable, "-m", "dr_audit.emulator", "--scenario", "weimob-2020"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=os.environ | {"PYTHONUNBUFFERED": "1"})
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.strip())
            if line.startswith("serving until interrupted"):
                break
        endpoint = next(line.split()[-1] for line in lines if line.startswith("API 3.0 endpoint:"))
        assert any(line.startswith("COS endpoint:") and "http://127.0.0.1:" in line for line in lines)
        assert f"export TENCENTCLOUD_SECRET_ID={DEMO_SECRET_ID}" in lines
        assert f"export TENCENTCLOUD_SECRET_KEY={DEMO_SECRET_KEY}" in lines
        assert call(sdk_client(endpoint, "sts"), "GetCallerIdentity")["AccountId"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_an_unknown_scenario_is_bad_input():
    result = subprocess.run([sys.executable, "-m", "dr_audit.emulator", "--scenario", "nope"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "unknown scenario" in result.stderr and result.stdout == ""
