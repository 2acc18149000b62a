"""The CI examples and the pre-commit hook: they run `dr-audit plan` and publish the files it really writes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from dr_audit.cli import main
from dr_audit.runner import EXTENSIONS

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "examples" / "ci"


def dr_audit_invocation(script: str) -> tuple[list[str], dict[str, list[str]]]:
    """The formats and options of a `dr-audit plan …` command inside a shell script."""
    command = next(line for line in script.replace("\\\n", " ").splitlines() if "dr-audit plan" in line)
    words = shlex.split(command)
    words = words[words.index("dr-audit") + 1:]
    options: dict[str, list[str]] = {}
    for flag, value in zip(words, [*words[1:], ""], strict=True):
        if flag.startswith("--"):
            options.setdefault(flag, []).append(value)
    return words, options


def written_files(options: dict[str, list[str]]) -> dict[str, str]:
    directory = options["--output-dir"][0]
    return {fmt: f"{directory}/dr-audit.{EXTENSIONS[fmt]}" for fmt in options["--format"]}


def test_github_actions_plans_runs_dr_audit_and_uploads_sarif_and_junit():
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    steps = workflow["jobs"]["plan-audit"]["steps"]
    scripts = "\n".join(step.get("run", "") for step in steps)
    assert "terraform show -json tfplan > tfplan.json" in scripts
    audit = next(step for step in steps if "dr-audit plan" in step.get("run", ""))
    words, options = dr_audit_invocation(audit["run"])
    assert words[:2] == ["plan", "tfplan.json"]
    files = written_files(options)
    assert {"sarif", "junit"} <= set(files)
    workdir = workflow["jobs"]["plan-audit"]["defaults"]["run"]["working-directory"]
    uploads = [step["with"] for step in steps if "upload" in step.get("uses", "")]
    assert {"sarif_file": f"{workdir}/{files['sarif']}", "category": "dr-audit"} in uploads
    assert any(u.get("path") == f"{workdir}/{files['junit']}" for u in uploads)
    # Uploads run even when dr-audit exits 1, or a failing gate would hide its own results.
    assert all(step.get("if", "").startswith("always()") for step in steps if "upload" in step.get("uses", ""))
    assert workflow["permissions"]["security-events"] == "write"


def test_gitlab_ci_runs_dr_audit_and_reports_junit_and_keeps_sarif():
    pipeline = yaml.safe_load((CI / "gitlab-ci.yml").read_text())
    plan_job, audit_job = pipeline["terraform-plan"], pipeline["dr-audit-plan"]
    assert any("terraform show -json" in line for line in plan_job["script"])
    script = "\n".join(audit_job["script"])
    words, options = dr_audit_invocation(script)
    assert words[:2] == ["plan", "tfplan.json"]
    root = pipeline["variables"]["TF_ROOT"]
    files = {fmt: f"{root}/{path}" for fmt, path in written_files(options).items()}
    assert audit_job["artifacts"]["reports"]["junit"] == files["junit"]
    assert files["sarif"] in audit_job["artifacts"]["paths"]
    assert audit_job["artifacts"]["when"] == "always"


def test_the_example_invocation_really_works(tmp_path):
    """The flags the examples use are accepted and produce the files they upload."""
    steps = yaml.safe_load((CI / "github-actions.yml").read_text())["jobs"]["plan-audit"]["steps"]
    _, options = dr_audit_invocation(next(step["run"] for step in steps if "dr-audit plan" in step.get("run", "")))
    fixture = ROOT / "tests" / "fixtures" / "terraform" / "bucket_versioning_disabled.plan.json"
    args = ["plan", str(fixture), "--pack", str(ROOT / "tests" / "fixtures" / "terraform" / "pack.yaml"),
            "--output-dir", str(tmp_path / "out"), "--fail-on", options["--fail-on"][0]]
    for fmt in options["--format"]:
        args += ["--format", fmt]
    assert main(args) == 1
    for path in written_files(options).values():
        assert (tmp_path / "out" / Path(path).name).stat().st_size > 0


def test_pre_commit_hook_runs_dr_audit_plan_on_a_directory():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "dr-audit-tf")
    assert re.fullmatch(r"[a-z0-9-]+", hook["id"])
    assert hook["entry"] == "dr-audit plan"
    assert hook["pass_filenames"] is False
    assert hook["language"] == "python"
    assert re.search(hook["files"], "infra/main.tf") and not re.search(hook["files"], "README.md")
    assert {"id", "name", "entry", "language"} <= set(hook)


def test_the_example_waivers_file_is_valid():
    from datetime import date

    from dr_audit.waivers import load_waivers

    waivers = load_waivers(CI / "dr-audit-waivers.yaml", max_days=90, today=date(2026, 11, 22))
    assert [w.check for w in waivers.waivers] == ["cos_versioning_enabled", "sg_no_public_admin_ports"]
    assert waivers.waivers[1].region == "ap-shanghai"
