"""`drill init --pin NAME=FILE.pub`: a plan whose approvers' keys are pinned without editing YAML by hand, and one
clear line with exit 2 for a pin that cannot be made."""

from __future__ import annotations

from pathlib import Path

import pytest

from dr_audit.cli import main
from dr_audit.drill.plan import load_plan


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def keygen(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    code, out, err = cli(capsys, "drill", "keygen", "--output", path)
    assert code == 0, err
    (line,) = [line.strip() for line in out.splitlines() if line.strip().startswith("public_key:")]
    return line.removeprefix("public_key: ").strip('"')


def test_pinned_keys_are_the_ones_keygen_printed_and_the_plan_loads(capsys, tmp_path):
    li, zhang = keygen(capsys, tmp_path / "li.pem"), keygen(capsys, tmp_path / "zhang.pem")
    plan_path = tmp_path / "monthly.yaml"
    code, _, err = cli(capsys, "drill", "init", "--kind", "monthly", "--output", plan_path,
                       "--pin", f"li wei={tmp_path / 'li.pem.pub'}", "--pin", f"Zhang Min={tmp_path / 'zhang.pem.pub'}")
    assert code == 0, err
    plan = load_plan(plan_path)
    assert {a.name: a.public_key for a in plan.approvers} == {"Li Wei": li, "Zhang Min": zhang}
    assert "<the base64 that drill keygen prints>" not in plan_path.read_text()  # the hint it replaces is gone


def test_one_pinned_approver_leaves_the_other_unpinned(capsys, tmp_path):
    keygen(capsys, tmp_path / "li.pem")
    code, out, err = cli(capsys, "drill", "init", "--kind", "quarterly", "--pin", f"Li Wei={tmp_path / 'li.pem.pub'}")
    assert code == 0, err
    plan_path = tmp_path / "q.yaml"
    plan_path.write_text(out)
    pinned = {a.name: a.pinned for a in load_plan(plan_path).approvers}
    assert pinned["Li Wei"] and not all(pinned.values())


@pytest.mark.parametrize(("pin", "says"), [
    ("Li Wei", "NAME=FILE.pub"),
    ("=li.pem.pub", "NAME=FILE.pub"),
    ("Nobody=li.pem.pub", "not an approver in the template"),
    ("Li Wei=missing.pub", "missing.pub"),
    ("Li Wei=li.pem", "Li Wei=li.pem"),  # the private key is no public key
])
def test_a_pin_that_cannot_be_made_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, pin, says):
    monkeypatch.chdir(tmp_path)
    keygen(capsys, tmp_path / "li.pem")
    code, out, err = cli(capsys, "drill", "init", "--kind", "monthly", "--output", "plan.yaml", "--pin", pin)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err and "Traceback" not in err
    assert not (tmp_path / "plan.yaml").exists()
