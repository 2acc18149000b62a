"""The `dr-audit` command line: parse, call, render, exit. Heavy modules are imported inside commands.

The command modules (this one, drill/cli.py, history/cli.py) keep their annotations as objects, without `from
__future__ import annotations`: typer reads every command's signature on each start, and evaluating string
annotations cost about 25 ms a run.
"""

import atexit
import contextlib
import gc
import os
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from .runner import Outcome

try:  # typer >= 0.16 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

app = typer.Typer(
    name="dr-audit",
    help="Prove that disaster-recovery and access-control promises hold on a Tencent Cloud estate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
checks_app = typer.Typer(help="The check catalogue.", no_args_is_help=True)
pack_app = typer.Typer(help="Promise packs: show, validate, or start your own.", no_args_is_help=True)
app.add_typer(checks_app, name="checks")
app.add_typer(pack_app, name="pack")
from .drill.cli import drill_app  # noqa: E402 - the sub-apps import their heavy modules inside commands
from .history.cli import history_app  # noqa: E402

app.add_typer(drill_app, name="drill")
app.add_typer(history_app, name="history")


class FailOn(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


PackOption = Annotated[str | None, typer.Option("--pack", help="Bundled pack name or a YAML file [weimob-2020].")]
ChecksDirOption = Annotated[
    list[Path] | None, typer.Option("--checks-dir", help="Also load checks from this directory (repeatable).")
]


FormatOption = Annotated[
    list[str] | None, typer.Option("--format", help="table|json|markdown|html|sarif|junit|csv (repeatable).")
]
OutputOption = Annotated[Path | None, typer.Option(help="Write the report here instead of stdout.")]
OutputDirOption = Annotated[Path | None, typer.Option(help="Write one report per --format here.")]
FailOnOption = Annotated[FailOn, typer.Option(help="Exit 1 when a FAIL at or above this severity.")]
WaiversOption = Annotated[Path | None, typer.Option(help="Waivers YAML file.")]
BaselineOption = Annotated[
    Path | None, typer.Option(help="Fail only on findings new or regressed since this JSON report.")
]
HistoryOption = Annotated[Path | None, typer.Option(help="History store (SQLite file) [user data dir].")]
HistoryUrlOption = Annotated[
    str | None, typer.Option(envvar="DR_AUDIT_HISTORY_URL", help="History store URL: SQLite or PostgreSQL.")
]
PlanHistoryOption = Annotated[
    Path | None, typer.Option("--history", help="Record this plan in this history store (SQLite file) [not recorded].")
]
OnlyOption = Annotated[list[str] | None, typer.Option("--check", help="Run only this check id (repeatable).")]


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


# The outcome of the command, kept until `main` returns. Freeing a report of a million findings object by object
# takes seconds; `entry`, which ends the process without freeing anything, asks `main` not to let go of it.
_KEPT: list[object] = []


def _finish(outcome: "Outcome") -> NoReturn:
    """Print what the run produced, then exit with its code (2 if the history store could not record it)."""
    from .render.escape import terminal

    _KEPT.append(outcome)
    if outcome.stdout:
        sys.stdout.write(outcome.stdout)
    for path in outcome.written:
        sys.stderr.write(f"wrote {terminal(path)}\n")
    for note in outcome.notes:
        sys.stderr.write(f"dr-audit: note: {terminal(note)}\n")
    if outcome.history_error:  # the report is out; now say the run could not be recorded
        _fail(outcome.history_error)
    raise typer.Exit(outcome.exit_code)


def _fail(message: str, code: int = 2) -> NoReturn:
    from .render.escape import terminal  # a message may echo a name from a file or the cloud

    sys.stderr.write(f"dr-audit: error: {terminal(message)}\n")
    raise typer.Exit(code)


@app.command()
def run(
    pack: PackOption = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="Region to audit (repeatable) [all].")] = None,
    profile: Annotated[str | None, typer.Option(help="Tencent Cloud credentials profile.")] = None,
    role_arn: Annotated[list[str] | None, typer.Option("--role-arn", help="Assume this role (repeatable).")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(envvar="DR_AUDIT_ENDPOINT_URL", help="Send API 3.0 requests here.")
    ] = None,
    cos_endpoint_url: Annotated[
        str | None, typer.Option(envvar="DR_AUDIT_COS_ENDPOINT_URL", help="Send COS requests here (path-style).")
    ] = None,
    from_snapshot: Annotated[Path | None, typer.Option(help="Evaluate a saved Estate instead of the cloud.")] = None,
    save_snapshot: Annotated[Path | None, typer.Option(help="Save the collected Estate as JSON.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Audit the bundled demo estate (Weimob before 2020).")] = False,
    scenario: Annotated[str, typer.Option(help="Demo scenario: weimob-2020 or hardened.")] = "weimob-2020",
    fmt: FormatOption = None,
    output: OutputOption = None,
    output_dir: OutputDirOption = None,
    fail_on: FailOnOption = FailOn.high,
    waivers: WaiversOption = None,
    baseline: BaselineOption = None,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
    checks_dir: ChecksDirOption = None,
    only: OnlyOption = None,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds the whole collection may take; what is not read by then is ERROR "
                                        "[1800].", min=1)
    ] = None,
    organization: Annotated[bool, typer.Option(
        "--organization", help="Audit every member of the caller's Tencent Cloud Organization.")] = False,
    member_role: Annotated[str, typer.Option(
        help="Role assumed in each member account.")] = "OrganizationAccessControlRole",
    accounts: Annotated[list[str] | None, typer.Option(
        "--accounts", help="Only these members: account id, name or unit (repeatable or comma-separated).")] = None,
    exclude_accounts: Annotated[list[str] | None, typer.Option(
        "--exclude-accounts", help="Never these members: account id, name or unit (repeatable).")] = None,
    max_parallel_accounts: Annotated[int, typer.Option(
        help="Accounts collected at once (bounds threads, connections and memory).", min=1, max=1024)] = 32,
    shard: Annotated[str | None, typer.Option(
        help="Audit shard I of N (1-based) of the accounts, dealt out by sorted account id; needs --run-group.")
    ] = None,
    run_group: Annotated[str | None, typer.Option(
        help="The id the shards of one audit share; `dr-audit report --run-group ID` "
                                          "merges them from the history store.")] = None,
) -> None:
    """Audit an estate (live, a saved snapshot, or the demo) against a promise pack."""
    from .findings import Severity
    from .options import RunOptions
    from .runner import execute
    from .shards import check_run_group, check_sharding, parse_shard

    formats = fmt or ["table"]
    options = RunOptions(
        pack=pack, regions=region or [], profile=profile, role_arns=role_arn or [], endpoint_url=endpoint_url,
        cos_endpoint_url=cos_endpoint_url, from_snapshot=from_snapshot, save_snapshot=save_snapshot, demo=demo,
        scenario=scenario, formats=formats, output=output, output_dir=output_dir, fail_on=Severity(fail_on.value),
        waivers=waivers, baseline=baseline, history=history, history_url=history_url, checks_dirs=checks_dir or [],
        only=only or [], colour=_colour(), timeout=timeout, organization=organization, member_role=member_role,
        accounts=accounts or [], exclude_accounts=exclude_accounts or [], max_parallel_accounts=max_parallel_accounts,
        progress=sys.stderr.isatty() and not os.environ.get("CI") and not (formats == ["json"] and output is None),
        shard=parse_shard(shard) if shard is not None else None,
        run_group=check_run_group(run_group) if run_group is not None else None,
    )
    check_sharding(options.shard, options.run_group,
                   shares_accounts=options.organization or bool(options.role_arns))
    _finish(execute(options))


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def plan(
    path: Annotated[Path, typer.Argument(help="`terraform show -json PLANFILE` output, or a directory of .tf files.")],
    pack: PackOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
    output_dir: OutputDirOption = None,
    fail_on: FailOnOption = FailOn.high,
    waivers: WaiversOption = None,
    baseline: BaselineOption = None,
    history: PlanHistoryOption = None,
    history_url: HistoryUrlOption = None,
    checks_dir: ChecksDirOption = None,
    only: OnlyOption = None,
) -> None:
    """Judge a Terraform change before it is applied: which safeguards it weakens, improves or leaves alone.

    Values unknown until apply are ERROR, never PASS; evidence checks (freshness, drills) do not apply to plans.
    Exit codes as for run: 0 clean, 1 a FAIL at or above --fail-on, 2 bad input, 3 some results are ERROR.
    """
    from contextlib import ExitStack
    from functools import partial

    from .collect.background import Background
    from .collect.planinput import start_reading
    from .packfile import read_pack

    # The pack and the input are read in child processes from here on, while this one loads models and checks.
    with ExitStack() as stack:
        pack_reading = stack.enter_context(Background(partial(read_pack, pack)))
        read = start_reading(path, stack)
        from .findings import Severity
        from .options import RunOptions
        from .plan import execute_plan

        options = RunOptions(
            pack=pack, formats=fmt or ["table"], output=output, output_dir=output_dir,
            fail_on=Severity(fail_on.value), waivers=waivers, baseline=baseline, history=history,
            history_url=history_url, checks_dirs=checks_dir or [], only=only or [], colour=_colour(),
        )
        outcome = execute_plan(path, options, read=read, read_pack=pack_reading.result)
    _finish(outcome)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier JSON report (or a run id from `dr-audit history list`).")],
    new: Annotated[Path, typer.Argument(help="The later JSON report (or a stored run id).")],
    fmt: Annotated[DiffFormat, typer.Option("--format")] = DiffFormat.table,
    output: Annotated[Path | None, typer.Option(help="Write the diff here instead of stdout.")] = None,
    fail_on: Annotated[FailOn, typer.Option(help="Severity at which a new FAIL makes the exit code 1.")] = FailOn.high,
    history: Annotated[Path | None, typer.Option(help="History store holding stored run ids (SQLite file).")] = None,
    history_url: Annotated[str | None, typer.Option(help="History store URL: SQLite or PostgreSQL.")] = None,
) -> None:
    """Compare two JSON reports, matching findings on their ids.

    Lists regressed (was not failing, now FAIL), new FAIL, newly unevaluable (now ERROR), still failing and resolved
    findings. Exit 1 when anything regressed or a new FAIL is at or above --fail-on; 3 when nothing did but some
    finding became ERROR; 0 otherwise; 2 for a file that is not a dr-audit JSON report.
    """
    from .diff import diff_exit_code, diff_reports, render_diff
    from .findings import Severity
    from .history.cli import load_report_or_run
    from .outputs import check_output_file, write_atomic
    from .render.escape import terminal

    if output is not None:
        check_output_file(output, "--output")
    result = diff_reports(load_report_or_run(str(old), history, history_url),
                          load_report_or_run(str(new), history, history_url))
    text = render_diff(result, fmt.value)
    if output is not None:
        write_atomic(output, text)
        sys.stderr.write(f"wrote {terminal(output)}\n")
    else:
        sys.stdout.write(text)
    raise typer.Exit(diff_exit_code(result, Severity(fail_on.value)))


@app.command("report")
def group_report(
    run_group: Annotated[str, typer.Option(help="The --run-group ID the shards ran with.")],
    fmt: FormatOption = None,
    output: OutputOption = None,
    output_dir: OutputDirOption = None,
    fail_on: FailOnOption = FailOn.high,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
) -> None:
    """Merge the shards of a run group (`run --shard I/N --run-group ID`) from the history store into one report,
    with a rollup per account and a promise-by-account matrix.

    Exit codes as for run: 0 clean, 1 a FAIL at or above --fail-on, 2 bad input, 3 some results are ERROR or some
    shards have not reported (named on stderr).
    """
    from .findings import Severity
    from .groupreport import report_group

    outcome = report_group(run_group, fmt or ["table"], output, output_dir, Severity(fail_on.value), history,
                           history_url, colour=_colour())
    from .render.escape import terminal

    if outcome.stdout:
        sys.stdout.write(outcome.stdout)
    for path in outcome.written:
        sys.stderr.write(f"wrote {terminal(path)}\n")
    for note in outcome.notes:
        sys.stderr.write(f"dr-audit: {terminal(note)}\n")
    raise typer.Exit(outcome.exit_code)


@app.command("auditor-policy")
def auditor_policy(
    output: Annotated[Path | None, typer.Option(help="Write the policy here instead of stdout.")] = None,
    role_arn: Annotated[
        list[str] | None, typer.Option("--role-arn", help="Allow sts:AssumeRole on exactly this role (repeatable).")
    ] = None,
    drill: Annotated[bool, typer.Option("--drill", help="Add the object-metadata reads of `drill start`.")] = False,
    organization: Annotated[bool, typer.Option(
        "--organization", help="Add the organization's reads and sts:AssumeRole on the member role.")] = False,
    member_role: Annotated[str, typer.Option(
        help="The role `run --organization` assumes in each member.")] = "OrganizationAccessControlRole",
) -> None:
    """Print the least-privilege CAM policy (JSON) the auditor needs: every read dr-audit makes, and nothing else."""
    from .readonly import auditor_policy_json

    member = None
    if organization:
        from .collect.organization import check_member_role

        member = check_member_role(member_role)
    text = auditor_policy_json(role_arn or [], drill=drill, member_role=member)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {output}\n")
    else:
        sys.stdout.write(text)


@checks_app.command("list")
def checks_list(
    fmt: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    checks_dir: ChecksDirOption = None,
) -> None:
    """List every check: id, title, severity, promise and the sources it applies to."""
    from .catalogue import render_catalogue
    from .registry import load_registry

    sys.stdout.write(render_catalogue(load_registry(checks_dir or []), fmt.value))


@pack_app.command("show")
def pack_show(pack: Annotated[str | None, typer.Argument(help="Pack name or file [weimob-2020].")] = None,
              checks_dir: ChecksDirOption = None) -> None:
    """Show a pack as it resolves: every check with its promise, severity and parameters."""
    from .catalogue import describe_pack
    from .packs import load_pack
    from .registry import load_registry

    registry = load_registry(checks_dir or [])
    sys.stdout.write(describe_pack(load_pack(pack, registry), registry))


@pack_app.command("validate")
def pack_validate(pack: Annotated[str, typer.Argument(help="Pack name or file.")],
                  checks_dir: ChecksDirOption = None) -> None:
    """Validate a pack; exit 2 with one line naming the file, field and problem when it is invalid."""
    from .packs import load_pack
    from .registry import load_registry

    loaded = load_pack(pack, load_registry(checks_dir or []))
    sys.stdout.write(_shown(f"{loaded.path}: valid pack {loaded.name!r} with {len(loaded.checks)} checks") + "\n")


@pack_app.command("init")
def pack_init(
    output: Annotated[Path, typer.Option(help="Where to write the commented pack.")] = Path("dr-audit-pack.yaml"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented copy of the default pack to customise."""
    from .outputs import check_output_file, write_atomic
    from .packfile import DEFAULT_PACK, available_packs

    if output.exists() and not force:
        _fail(f"{output} exists; pass --force to overwrite it")
    check_output_file(output, "--output")
    write_atomic(output, available_packs()[DEFAULT_PACK].read_text(encoding="utf-8"))
    sys.stdout.write(f"wrote {output}: edit name, scope and checks, then `dr-audit pack validate {output}`\n")


# Objects made per generation-0 collection. A run builds tens of thousands of long-lived objects (models, findings)
# and few cycles; at Python's default of 700 the collector rescans them over and over, which measured 10-25% of
# `dr-audit plan` on 1,000-5,000 resources (BENCHMARKS.md).
GC_THRESHOLD = 10_000


def main(argv: list[str] | None = None, *, keep_until_exit: bool = False) -> int:
    """Entry point: every bad input becomes one line on stderr and exit code 2, never a traceback.

    With `keep_until_exit` the command's report is not freed: the caller ends the process next."""
    previous = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *previous[1:])
    try:
        return _main(argv)
    finally:
        if not keep_until_exit:
            _KEPT.clear()
        gc.set_threshold(*previous)
        # A run freezes its estate and report for the collector (gcpause.collector_paused); a caller that
        # runs the CLI in its own process (tests, tools) gets them back to collect once the command is done.
        gc.unfreeze()


def _shown(message: object) -> str:
    """A message for the terminal: it may echo a name from a file, a flag or the cloud (escaped only on this path, so
    a normal start does not pay for the import)."""
    from .render.escape import terminal

    return terminal(message)


def _main(argv: list[str] | None) -> int:
    from .errors import BadInput

    try:
        # Without standalone mode, an Exit raised inside a command comes back as the return value.
        returned = app(args=argv, prog_name="dr-audit", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except click_errors.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        sys.stderr.write(f"dr-audit: error: {_shown(exc.format_message())}{hint}\n")
        return 2
    except typer.Abort:
        sys.stderr.write("dr-audit: aborted\n")
        return 130
    except BadInput as exc:
        sys.stderr.write(f"dr-audit: error: {_shown(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("dr-audit: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("DR_AUDIT_DEBUG"):
            raise
        sys.stderr.write(f"dr-audit: internal error: {type(exc).__name__}: {_shown(exc)} "
                         "(set DR_AUDIT_DEBUG=1 for details)\n")
        return 4
    return returned if isinstance(returned, int) else 0


def entry() -> NoReturn:
    """The `dr-audit` console script: run `main`, then end the process without tearing the interpreter down.

    Interpreter shutdown frees every module's objects one by one and collects cycles once more: 60-80 ms after a
    plan of 1,000 resources, a sixth of the whole run (BENCHMARKS.md). Nothing here needs it: reports are written
    and closed, history stores are closed by their context managers. So once exit handlers have run and the
    standard streams are flushed, the process ends at once. The command's report is not freed either (`main` keeps
    it): freeing a million findings object by object costs seconds. With other threads still running it exits the
    usual way, which waits for them.
    """
    code = main(keep_until_exit=True)
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`): nothing more can be said there
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
