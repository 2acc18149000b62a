"""What a production install (no `demo` extra) does when asked for the emulated cloud: one line and exit 2."""

from __future__ import annotations

import subprocess
import sys

# Run the CLI with moto made unimportable, as it is when only `pip install .` was done.
WITHOUT_MOTO = "import sys; sys.modules['moto'] = None; sys.modules['moto.server'] = None; {call}"


def _without_moto(call: str, *args: str, home: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITHOUT_MOTO.format(call=call), *args], capture_output=True,
                          text=True, timeout=120, env={"HOME": home, "XDG_DATA_HOME": home, "CI": "true",
                                                       "PATH": "/usr/bin:/bin"})


def test_the_demo_without_its_extra_says_how_to_install_it(tmp_path):
    done = _without_moto("sys.argv[0] = 'dr-audit'; from dr_audit.cli import entry; entry()", "run", "--demo",
                         home=str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'dr-audit[demo]'" in lines[0]


def test_the_standalone_emulator_without_its_extra_exits_2(tmp_path):
    done = _without_moto("from dr_audit.emulator.__main__ import main; sys.exit(main([]))", home=str(tmp_path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "dr-audit[demo]" in done.stderr
