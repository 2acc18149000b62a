"""`dr-audit drill …`: plan, start, record, sign, verify, report and list drills (DESIGN.md §10); parse and call."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

drill_app = typer.Typer(help="Monthly and quarterly recovery drills: plan, run, record, sign off, verify, report.",
                        no_args_is_help=True)

HistoryOption = Annotated[Path | None, typer.Option("--history", help="History store (SQLite file) [user data dir].")]
HistoryUrlOption = Annotated[str | None, typer.Option("--history-url", help="History store URL: SQLite or PostgreSQL.")]
DemoStoreOption = Annotated[bool, typer.Option("--demo", help="Use the demo's history store (drills started with "
                                               "--demo are there).")]


class Kind(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"


class ReportFormat(StrEnum):
    html = "html"
    markdown = "markdown"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class Outcome(StrEnum):
    passed = "pass"
    failed = "fail"


@drill_app.command("init")
def init(
    kind: Annotated[Kind, typer.Option("--kind", help="monthly or quarterly.")],
    output: Annotated[Path | None, typer.Option(help="Write the plan here instead of stdout.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    pin: Annotated[list[str] | None, typer.Option("--pin", help="NAME=FILE.pub: pin an approver's public key, as "
                                                  "`drill keygen` wrote it (repeatable).")] = None,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
) -> None:
    """Write a commented drill plan to edit: scope, RTO/RPO targets per tier, steps and approvers."""
    from ..errors import BadInput
    from ..history import history_url as store_url
    from .plan import pin_keys, plan_template

    store_url(history, history_url)  # accepted like every drill command (DESIGN.md §10); a plan needs no store yet

    keys: dict[str, Path] = {}
    for item in pin or []:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path:
            raise BadInput(f"--pin {item!r}: write it as NAME=FILE.pub, e.g. --pin 'Li Wei=li.pem.pub'")
        keys[name.strip()] = Path(path)
    text = pin_keys(plan_template(kind.value), keys) if keys else plan_template(kind.value)
    if output is None:
        sys.stdout.write(text)
        return
    if output.exists() and not force:
        raise BadInput(f"{output} exists; pass --force to overwrite it")
    output.write_text(text, encoding="utf-8")
    sys.stderr.write(f"wrote {output}: edit it, then `dr-audit drill start {output}`\n")


@drill_app.command("start")
def start(
    plan: Annotated[Path, typer.Argument(help="The drill plan (YAML, see `dr-audit drill init`).")],
    pack: Annotated[str | None, typer.Option("--pack", help="Pack for the findings open at the start.")] = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="Region (repeatable) [all].")] = None,
    profile: Annotated[str | None, typer.Option(help="Tencent Cloud credentials profile.")] = None,
    role_arn: Annotated[list[str] | None, typer.Option("--role-arn", help="Assume this role (repeatable).")] = None,
    endpoint_url: Annotated[str | None, typer.Option(envvar="DR_AUDIT_ENDPOINT_URL")] = None,
    cos_endpoint_url: Annotated[str | None, typer.Option(envvar="DR_AUDIT_COS_ENDPOINT_URL")] = None,
    from_snapshot: Annotated[Path | None, typer.Option(help="Take the estate from a saved snapshot.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Drill against the bundled demo estate.")] = False,
    scenario: Annotated[str, typer.Option(help="Demo scenario: weimob-2020 or hardened.")] = "weimob-2020",
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
) -> None:
    """Open a drill: record the findings open now and gather the automated evidence; prints the drill id last."""
    from ..options import RunOptions
    from ..render.escape import terminal  # step names come from the plan file
    from .commands import start_command

    options = RunOptions(pack=pack, regions=region or [], profile=profile, role_arns=role_arn or [],
                         endpoint_url=endpoint_url, cos_endpoint_url=cos_endpoint_url, from_snapshot=from_snapshot,
                         demo=demo, scenario=scenario, history=history, history_url=history_url)
    lines, drill_id = start_command(plan, options)
    sys.stdout.write("".join(f"{terminal(line)}\n" for line in lines) + f"{drill_id}\n")


@drill_app.command("record")
def record(
    drill_id: Annotated[str, typer.Argument(help="The drill id printed by `drill start`.")],
    step: Annotated[str, typer.Option("--step", help="A manual step named in the plan.")],
    started: Annotated[str, typer.Option("--started", help="ISO 8601 start with a time zone (Z or +08:00), "
                                         "not before the drill opened.")],
    finished: Annotated[str, typer.Option("--finished", help="ISO 8601 finish with a time zone, not in the "
                                          "future.")],
    outcome: Annotated[Outcome, typer.Option("--outcome", help="pass or fail.")],
    notes: Annotated[str, typer.Option("--notes", help="What happened.")] = "",
    evidence: Annotated[list[Path] | None, typer.Option("--evidence", help="Evidence file (repeatable).")] = None,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
    demo: DemoStoreOption = False,
) -> None:
    """Record a manual step's result; evidence files are stored by SHA-256."""
    from ..history import HistoryStore
    from ..history.location import store_for
    from ..render.escape import terminal
    from .service import record_step
    from .times import parse_ts

    history, history_url = store_for(history, history_url, demo)

    start_at, finish_at = parse_ts(started, "--started"), parse_ts(finished, "--finished")
    with HistoryStore.open(history, history_url) as store:
        row = record_step(store, drill_id, step, start_at, finish_at, outcome.value, notes, evidence or [])
    sys.stdout.write(f"recorded step {terminal(repr(step))} of {drill_id} as record #{row['seq']} "
                     f"({row['hash'][:16]}…)\n")


@drill_app.command("sign")
def sign(
    drill_id: Annotated[str, typer.Argument(help="The drill to approve.")],
    by: Annotated[str, typer.Option("--by", help="Approver's name as the plan lists it.")],
    role: Annotated[str, typer.Option("--role", help="Approver's role as the plan lists it.")],
    key: Annotated[Path | None, typer.Option("--key", help="Ed25519 private key (PEM) to sign with.")] = None,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
    demo: DemoStoreOption = False,
) -> None:
    """Approve a drill; it is complete when every approver in its plan has signed."""
    from ..history import HistoryStore
    from ..history.chain import SigningKey
    from ..history.location import store_for
    from ..render.escape import terminal  # names come from the command line and the plan file
    from .service import sign_drill

    history, history_url = store_for(history, history_url, demo)

    signing_key = SigningKey(key) if key is not None else None
    with HistoryStore.open(history, history_url) as store:
        state = sign_drill(store, drill_id, by, role, signing_key)
    waiting = [a.name for a in state.plan.approvers
               if a.name.casefold() not in {s["by"].casefold() for s in state.signoffs}]
    status = "complete: every approver has signed" if state.complete else f"awaiting {', '.join(waiting)}"
    sys.stdout.write(terminal(f"{by} signed {drill_id}{' with an Ed25519 key' if key else ''}; {status}") + "\n")
    if state.failed_steps:
        sys.stdout.write(f"the sign-off records failed steps: {', '.join(state.failed_steps)}: the drill counts as "
                         "failed\n")


@drill_app.command("verify")
def verify(
    drill_id: Annotated[str | None, typer.Argument(help="One drill [all drills].")] = None,
    report_file: Annotated[Path | None, typer.Option("--report", help="A drill report to check against the "
                                                     "store (or --bundle): is it what the records say?")] = None,
    bundle: Annotated[Path | None, typer.Option("--bundle", help="Verify an exported bundle offline, without a "
                                                "store.")] = None,
    plan: Annotated[Path | None, typer.Option("--plan", help="The plan file the drill was started from: its "
                                              "hash and pinned keys must be the ones recorded.")] = None,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
    demo: DemoStoreOption = False,
) -> None:
    """Check the hash chain and sign-offs: exit 0 when intact and signed by every pinned approver, else 1 naming the
    first bad record or the approver whose signature is missing or wrong."""
    from ..history.location import store_for
    from ..render.escape import terminal  # lines name approvers and files from the plan and the bundle
    from .verify_command import verify_command

    history, history_url = store_for(history, history_url, demo)

    lines, ok = verify_command(drill_id, report_file, bundle, plan, history, history_url)
    sys.stdout.write("".join(f"{terminal(line)}\n" for line in lines))
    raise typer.Exit(0 if ok else 1)


@drill_app.command("keygen")
def keygen(
    output: Annotated[Path, typer.Option("--output", help="The private key file to write (PEM, mode 0600); "
                                         "the public key goes to FILE.pub.")],
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
) -> None:
    """Make an approver's Ed25519 key pair and print the public key to pin in the drill plan."""
    from ..history import history_url as store_url
    from ..history.chain import generate_key_pair, key_fingerprint, raw_public_key

    store_url(history, history_url)  # accepted like every drill command; a key needs no store
    public_path, public_pem = generate_key_pair(output)
    sys.stderr.write(f"wrote {output} (private, mode 0600: keep it to yourself) and {public_path}\n")
    sys.stdout.write(f"fingerprint: {key_fingerprint(public_pem)}\n"
                     "pin it under your entry in the drill plan's approvers:\n"
                     f"    public_key: \"{raw_public_key(public_pem)}\"\n")


@drill_app.command("export")
def export(
    drill_id: Annotated[str, typer.Argument(help="The drill to export.")],
    output: Annotated[Path, typer.Option("--output", help="The bundle file to write (JSON).")],
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
    demo: DemoStoreOption = False,
) -> None:
    """Write the drill's records as stored, for `drill verify --bundle` anywhere, without the store."""
    from ..history import HistoryStore
    from ..history.location import store_for
    from ..outputs import check_output_file, write_atomic
    from .bundle import export_bundle

    history, history_url = store_for(history, history_url, demo)

    check_output_file(output, "--output")
    with HistoryStore.open(history, history_url) as store:
        text = export_bundle(store, drill_id)
    write_atomic(output, text)
    sys.stderr.write(f"wrote {output}: check it with `dr-audit drill verify --bundle {output}`\n")


@drill_app.command("report")
def report(
    drill_id: Annotated[str, typer.Argument(help="The drill to report.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="html or markdown.")] = ReportFormat.html,
    output: Annotated[Path | None, typer.Option(help="Write the report here instead of stdout.")] = None,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
    demo: DemoStoreOption = False,
) -> None:
    """The sign-off report: scope, targets vs measured RTO/RPO, steps and evidence, findings, approvals."""
    from ..history import HistoryStore
    from ..history.location import store_for
    from ..outputs import check_output_file, write_atomic
    from .report import render_drill

    history, history_url = store_for(history, history_url, demo)

    if output is not None:
        check_output_file(output, "--output")
    with HistoryStore.open(history, history_url) as store:
        text = render_drill(store, drill_id, fmt.value)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)
        sys.stderr.write(f"wrote {output}\n")


@drill_app.command("list")
def list_drills(
    fmt: Annotated[ListFormat, typer.Option("--format", help="table or json.")] = ListFormat.table,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
    demo: DemoStoreOption = False,
) -> None:
    """Every drill in the history store: kind, when, measured vs target, sign-off and integrity."""
    from ..history import HistoryStore
    from ..history.location import store_for
    from .commands import list_command

    history, history_url = store_for(history, history_url, demo)

    with HistoryStore.open(history, history_url) as store:
        sys.stdout.write(list_command(store, fmt.value))
