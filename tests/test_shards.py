"""`--shard I/N`: shares that are disjoint, cover every account, differ by at most one and do not depend on the
order accounts are listed in; bad values and flag combinations exit 2; the merged report renders in every format
with its group sections; and the shipped scheduler examples are YAML whose dr-audit commands the CLI accepts."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dr_audit.cli import app, main
from dr_audit.errors import BadInput
from dr_audit.merge import ShardRun, merge_group
from dr_audit.render import FORMATS
from dr_audit.shards import Shard, deal, parse_shard, take

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "org"
accounts = st.lists(st.from_regex(r"[1-9][0-9]{5,11}", fullmatch=True), min_size=1, max_size=60, unique=True)


@settings(max_examples=60, deadline=None)
@given(ids=accounts, count=st.integers(1, 12), data=st.data())
def test_shares_are_disjoint_cover_every_account_and_are_balanced(ids, count, data):
    shares = [deal(ids, str, Shard(i, count))[0] for i in range(1, count + 1)]
    assert sorted(a for share in shares for a in share) == sorted(ids)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    shuffled = data.draw(st.permutations(ids))
    assert [set(deal(shuffled, str, Shard(i, count))[0]) for i in range(1, count + 1)] == [set(s) for s in shares]
    mine, others = deal(ids, str, Shard(1, count))
    assert all(index != 1 for _, index in others) and len(mine) + len(others) == len(ids)



@settings(max_examples=40, deadline=None)
@given(ids=accounts, count=st.integers(2, 12), data=st.data())
def test_an_account_left_out_carries_the_shard_whose_share_holds_it(ids, count, data):
    index = data.draw(st.integers(1, count))
    shares = {i: set(deal(ids, str, Shard(i, count))[0]) for i in range(1, count + 1)}
    assume(shares[index])  # a shard with no account is bad input (tested below)
    mine, others = take(ids, str, Shard(index, count))
    assert set(mine) == shares[index]
    for account, where in others:
        assert where.index != index and account in shares[where.index]
        assert where.reason == f"audited by shard {where.index}/{count} (this run is --shard {index}/{count})"

@settings(max_examples=40, deadline=None)
@given(index=st.integers(-3, 40), count=st.integers(-3, 40))
def test_a_shard_is_i_of_n_counted_from_one(index, count):
    text = f"{index}/{count}"
    if 1 <= index <= count:
        assert parse_shard(text) == Shard(index, count)
    else:
        with pytest.raises(BadInput, match="--shard"):
            parse_shard(text)


@pytest.mark.parametrize("flags, words", [
    (["--shard", "0/4", "--run-group", "g"], "shards are counted from 1 to 4"),
    (["--shard", "5/4", "--run-group", "g"], "shards are counted from 1 to 4"),
    (["--shard", "1of4", "--run-group", "g"], "is not I/N"),
    (["--shard", "1/0", "--run-group", "g"], "the shard count must be"),
    (["--shard", "1/4"], "--shard needs --run-group"),
    (["--shard", "1/4", "--run-group", "bad group;"], "--run-group 'bad group;'"),
    (["--demo", "--shard", "1/2", "--run-group", "g"], "add --organization or --role-arn"),
])
def test_bad_shard_values_and_combinations_exit_2(flags, words, capsys, tmp_path):
    code = main(["run", *flags, "--history", str(tmp_path / "h.db")])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err


def test_a_shard_with_no_account_is_bad_input():
    with pytest.raises(BadInput, match="no account falls to this shard"):
        take(["100000000001"], str, Shard(2, 2))


def shard_report(accounts: list[str], shard: int, count: int, others: dict[str, int]) -> dict:
    """A shard's report: one FAIL and one PASS per account, and the accounts other shards audit."""
    findings = []
    for account in accounts:
        for n, (status, promise) in enumerate((("FAIL", "W1.1"), ("PASS", "W2.3"))):
            findings.append({"id": f"{account}-{n}", "check_id": f"check_{n}", "status": status,
                             "severity": "high", "promise": promise, "message": "m<b>|x", "remediation": "",
                             "evidence": {}, "resource": {"type": "cvm.instance", "id": f"ins-{account}",
                                                          "region": "ap-shanghai", "account": account}})
    status = [{"account": a, "status": "audited", "name": f"name-{a}", "unit": "Production", "reason": ""}
              for a in accounts]
    status += [{"account": a, "status": "excluded", "name": "", "unit": "",
                "reason": f"audited by shard {i}/{count} (this run is --shard {shard}/{count})", "shard": i}
               for a, i in others.items()]
    return {"schema_version": 1, "tool": {"name": "dr-audit", "version": "0"},
            "run": {"source": "live", "pack": "weimob-2020", "pack_sha256": "p", "started_at": "2026-12-04T00:00:00Z",
                    "finished_at": "2026-12-04T00:01:00Z", "accounts": accounts, "regions": ["ap-shanghai"],
                    "estate_sha256": "e", "account_status": status,
                    "run_group": {"id": "g", "shard": shard, "shards": count}},
            "summary": {}, "findings": findings, "checks": []}


def test_merging_names_missing_shards_and_their_accounts_and_renders_every_format():
    ids = [f"1000000000{n:02d}" for n in range(7)]
    by_shard = {i: deal(ids, str, Shard(i, 3))[0] for i in (1, 2, 3)}
    runs = [ShardRun(i, 3, f"run-{i}", shard_report(by_shard[i], i, 3,
                                                   {a: j for j in (1, 2, 3) if j != i for a in by_shard[j]}))
            for i in (1, 3)]
    merged = merge_group("g", 3, runs)
    assert merged["run"]["run_group"]["missing"] == [2]
    assert {m["account"] for m in merged["run"]["accounts_missing"]} == set(by_shard[2])
    assert sorted(merged["run"]["accounts_audited"]) == sorted(by_shard[1] + by_shard[3])
    assert merged["summary"]["FAIL"] == merged["summary"]["PASS"] == len(by_shard[1] + by_shard[3])
    rows = {r["account"]: r for r in merged["account_rollup"]}
    assert {a for a, r in rows.items() if r["status"] == "missing"} == set(by_shard[2])
    matrix = {r["account"]: r["cells"] for r in merged["promise_matrix"]["rows"]}
    assert matrix[by_shard[1][0]] == {"W1.1": "FAIL", "W2.3": "PASS"}
    assert set(matrix[by_shard[2][0]].values()) == {"MISSING"}
    from dr_audit.groupreport import render_merged

    for fmt in FORMATS:
        text = render_merged(merged, fmt)
        assert text
        if fmt in ("table", "markdown", "html"):
            assert "Promise by account" in text and "MISSING shard(s) 2/3" in text
            assert by_shard[2][0] in text  # the missing account is named
    assert json.loads(render_merged(merged, "json"))["promise_matrix"] == merged["promise_matrix"]
    html = render_merged(merged, "html")
    assert "<b>" not in html.split('id="run-group"')[1]


@pytest.mark.parametrize("old_shards", [(1,), (3,), (1, 3)])
def test_reports_written_before_statuses_named_the_shard_still_leave_accounts_to_it(old_shards):
    ids = [f"1000000000{n:02d}" for n in range(7)]
    by_shard = {i: deal(ids, str, Shard(i, 3))[0] for i in (1, 2, 3)}
    runs = []
    for i in (1, 3):
        report = shard_report(by_shard[i], i, 3, {a: j for j in (1, 2, 3) if j != i for a in by_shard[j]})
        if i in old_shards:  # as an earlier release wrote it: the owning shard only in the reason's words
            for status in report["run"]["account_status"]:
                status.pop("shard", None)
        runs.append(ShardRun(i, 3, f"run-{i}", report))
    merged = merge_group("g", 3, runs)
    assert {m["account"] for m in merged["run"]["accounts_missing"]} == set(by_shard[2])
    assert merged["run"]["accounts_excluded"] == []


def test_shards_of_different_packs_do_not_merge():
    one = shard_report(["100000000001"], 1, 2, {"100000000002": 2})
    two = shard_report(["100000000002"], 2, 2, {"100000000001": 1})
    two["run"]["pack"] = "other"
    with pytest.raises(BadInput, match="must audit one pack"):
        merge_group("g", 2, [ShardRun(1, 2, "a", one), ShardRun(2, 2, "b", two)])


# -- the shipped examples ------------------------------------------------------------------------------------------

def dr_audit_invocations(script: str, env: dict[str, str]) -> list[list[str]]:
    """Every dr-audit command a shell script runs, with its arguments as the shell expands them (a stub records
    them; nothing else in the script that matters runs)."""
    stub = 'dr-audit() { printf "%s\\037" "$@" >> "$DR_AUDIT_CALLS"; printf "\\036" >> "$DR_AUDIT_CALLS"; }\n'
    stub += "pip() { :; }\n"
    calls = Path(env["DR_AUDIT_CALLS"])
    calls.write_text("")
    subprocess.run(["bash", "-c", stub + script], env=env, check=False, capture_output=True)
    return [call.split("\x1f")[:-1] for call in calls.read_text().split("\x1e") if call]


def parses(argv: list[str]) -> None:
    """The CLI's own parser accepts `argv` (types, choices and required options), and its --shard and --run-group
    values are valid, without running the command."""
    import typer.main

    from dr_audit.shards import check_run_group

    group = typer.main.get_command(app)
    context = group.context_class(group, info_name="dr-audit")
    command = group.get_command(context, argv[0])
    assert command is not None, argv
    sub = command.make_context(argv[0], list(argv[1:]), parent=context)
    if sub.params.get("shard") is not None:
        parse_shard(sub.params["shard"])
    if sub.params.get("run_group") is not None:
        check_run_group(sub.params["run_group"])


def github_expressions(text: str, shard: int) -> str:
    values = {"matrix.shard": str(shard), "strategy.job-total": "4", "github.run_id": "9876543210",
              "github.run_attempt": "1"}
    return re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", lambda m: values.get(m[1], "x"), text)


def test_the_github_actions_matrix_runs_every_shard_and_then_merges_them(tmp_path):
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    shard_job, report_job = workflow["jobs"]["shard"], workflow["jobs"]["report"]
    assert report_job["needs"] == "shard" and shard_job["strategy"]["fail-fast"] is False
    seen: list[str] = []
    for shard in shard_job["strategy"]["matrix"]["shard"]:
        env = {k: github_expressions(str(v), shard) for k, v in workflow["env"].items()}
        env |= {"DR_AUDIT_CALLS": str(tmp_path / "calls"), "PATH": "/usr/bin:/bin"}
        for job in (shard_job, report_job):
            for step in job["steps"]:
                if "run" not in step:
                    continue
                for argv in dr_audit_invocations(github_expressions(step["run"], shard), env):
                    parses(argv)
                    seen.append(" ".join(argv[:1] + argv[argv.index("--run-group"):argv.index("--run-group") + 2]))
                    if argv[0] == "run":
                        assert argv[argv.index("--shard") + 1] == f"{shard}/4"
    # Every shard and the report use one run group.
    assert set(seen) == {"run --run-group org-9876543210-1", "report --run-group org-9876543210-1"}
    assert len(shard_job["strategy"]["matrix"]["shard"]) == 4


def test_the_kubernetes_indexed_job_maps_each_completion_index_to_a_shard(tmp_path):
    [job] = list(yaml.safe_load_all((EXAMPLES / "k8s-indexed-job.yaml").read_text()))
    [report_job] = list(yaml.safe_load_all((EXAMPLES / "k8s-report-job.yaml").read_text()))
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    completions = spec["completions"]
    [container] = spec["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["SHARDS"]) == completions
    shards = []
    for index in range(completions):
        run_env = env | {"JOB_COMPLETION_INDEX": str(index), "DR_AUDIT_CALLS": str(tmp_path / "calls"),
                         "PATH": "/usr/bin:/bin"}
        [argv] = dr_audit_invocations(container["args"][0], run_env)
        parses(argv)
        shards.append(argv[argv.index("--shard") + 1])
        assert argv[argv.index("--run-group") + 1] == env["RUN_GROUP"]
    assert shards == [f"{i}/{completions}" for i in range(1, completions + 1)]
    [reporter] = report_job["spec"]["template"]["spec"]["containers"]
    report_env = {e["name"]: e["value"] for e in reporter["env"]}
    assert report_env["RUN_GROUP"] == env["RUN_GROUP"]
    calls = dr_audit_invocations(reporter["args"][0], report_env | {"DR_AUDIT_CALLS": str(tmp_path / "calls"),
                                                                   "PATH": "/usr/bin:/bin"})
    assert calls and all(argv[0] == "report" for argv in calls)
    for argv in calls:
        parses(argv)


@pytest.mark.parametrize("argv", [["run", "--organisation"], ["report"], ["run", "--shard", "0/4"],
                                  ["report", "--run-group", "g", "--fail-on", "severe"]])
def test_the_example_check_rejects_what_the_cli_would(argv):
    from dr_audit.cli import click_errors

    with pytest.raises((click_errors.UsageError, BadInput)):
        parses(argv)
