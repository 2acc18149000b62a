"""`dr-audit run` as a function: pick the source, build the Estate, evaluate the pack, apply waivers, write outputs.

The CLI only parses flags into RunOptions and turns the returned exit code into the process's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .engine import evaluate
from .errors import BadInput
from .estate import Estate
from .findings import Severity, Status
from .gcpause import collector_paused
from .history.location import check_driver, store_named
from .options import RunOptions
from .outputs import check_outputs, write_atomic
from .packfile import PackDocument
from .packs import PromisePack, load_pack
from .registry import Registry, load_registry
from .render import FORMATS, render, streamer
from .report import RunInfo, build_report

EXTENSIONS = {"json": "json", "table": "txt", "markdown": "md", "html": "html", "sarif": "sarif", "junit": "xml",
              "csv": "csv"}

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_ERROR = 0, 1, 2, 3


@dataclass
class Outcome:
    report: dict[str, Any]
    exit_code: int
    written: list[Path] = field(default_factory=list)
    stdout: str = ""
    notes: list[str] = field(default_factory=list)  # for stderr: expired or stale waivers
    run_id: str | None = None  # the run's id in the history store
    history_error: str | None = None  # why the run could not be recorded (exit 2 once the report is written)
    estate: Estate | None = None  # what was evaluated, held as long as the outcome


def exit_code_for(findings: Iterable[dict[str, Any]], fail_on: Severity) -> int:
    """0 clean; 1 a FAIL at or above `fail_on`; 3 no such FAIL but something could not be evaluated."""
    findings = list(findings)
    if any(f["status"] == Status.FAIL and Severity(f["severity"]).at_least(fail_on) for f in findings):
        return EXIT_FAIL
    if any(f["status"] == Status.ERROR for f in findings):
        return EXIT_ERROR
    return EXIT_OK


def validate_formats(options: RunOptions) -> None:
    for fmt in options.formats:
        if fmt not in FORMATS:
            raise BadInput(f"--format {fmt!r} is not available (choose from {', '.join(sorted(FORMATS))})")
    if len(options.formats) > 1 and options.output_dir is None:
        raise BadInput("several --format values need --output-dir DIR (one file per format)")
    if options.output is not None and options.output_dir is not None:
        raise BadInput("give --output or --output-dir, not both")


def acquire_estate(options: RunOptions) -> Estate:
    chosen = [name for name, on in (("--demo", options.demo), ("--from-snapshot", options.from_snapshot))
              if on]
    if len(chosen) > 1:
        raise BadInput(f"{' and '.join(chosen)} cannot be combined: pick one source")
    if options.from_snapshot is not None:
        estate = Estate.load(options.from_snapshot)
        return estate.model_copy(update={"source": "snapshot"})
    if options.demo:
        from .demo import demo_estate

        return demo_estate(options)
    from .collect.run import collect_live

    return collect_live(options)


def prepare(options: RunOptions, registry: Registry | None = None,
            read_pack: Callable[[], PackDocument] | None = None) -> tuple[Registry, PromisePack]:
    """Everything that can be wrong with the user's input is found here, before any collection starts.

    `read_pack` gives the pack's file already read (`dr-audit plan` reads it in a child process).
    """
    validate_formats(options)
    check_outputs(options)
    if options.demo:
        from .demo import use_demo_store

        use_demo_store(options)  # the demo records to its own store, never the user's real one
    if store_named(options.history, options.history_url):
        check_driver(options.history, options.history_url)  # SQLite, the default, needs no driver of its own
    registry = registry or load_registry(options.checks_dirs)
    pack = load_pack(options.pack, registry, read_pack() if read_pack is not None else None)
    for check_id in options.only:
        registry.get(check_id)  # an unknown id is bad input
    check_policy_files(options, pack)
    return registry, pack


def execute(options: RunOptions, registry: Registry | None = None) -> Outcome:
    started = datetime.now(UTC)
    registry, pack = prepare(options, registry)
    from .history.runs import fill_drills

    estate = fill_drills(acquire_estate(options), options)  # live/snapshot drills come from the history store
    if options.save_snapshot is not None:
        write_atomic(options.save_snapshot, estate.to_json(), "--save-snapshot")
    report = evaluated_report(estate, pack, registry, options, started)
    outcome = finish(report, pack, options)
    # Freed with the outcome, not here: freeing a million resources object by object takes a second, which the
    # console script, ending the process with the outcome still held, never spends.
    outcome.estate = estate
    return outcome


def evaluated_report(estate: Estate, pack: PromisePack, registry: Registry, options: RunOptions,
                     started: datetime) -> dict[str, Any]:
    # The digest first, while the estate is all there is: its pieces of JSON never add to the findings' peak.
    estate_sha256 = estate.sha256()
    # Evaluation allocates enough to trigger several full collections, each walking the estate, its indexes and
    # the findings: a quarter of a 96k-resource run's CPU, for 434 cyclic objects found in the whole run. What was
    # built is frozen, so later collections (history store, other formats) do not walk the report again.
    with collector_paused(freeze=True):
        evaluation = evaluate(estate, pack, registry, only=options.only)
        run = RunInfo(source=estate.source, pack=pack.name, pack_sha256=pack.sha256, started_at=started,
                      accounts=estate.accounts, regions=estate.regions, estate_sha256=estate_sha256,
                      account_status=[s.model_dump() for s in estate.account_status])
        run.finished_at = datetime.now(UTC)
        return build_report(run, evaluation, registry)


def check_policy_files(options: RunOptions, pack: PromisePack) -> None:
    """Read the waivers and baseline before any collection, so a bad file fails fast."""
    if options.waivers is not None:
        from .waivers import load_waivers

        load_waivers(options.waivers, pack.max_waiver_days)
    if options.baseline is not None:
        from .diff import load_report

        load_report(options.baseline)


def finish(report: dict[str, Any], pack: PromisePack, options: RunOptions) -> Outcome:
    """Apply waivers, then the baseline, then write the outputs (run and plan alike)."""
    notes: list[str] = []
    if options.waivers is not None:
        from .waivers import apply_waivers, load_waivers

        notes = apply_waivers(report, load_waivers(options.waivers, pack.max_waiver_days))
    if options.baseline is not None:
        from .diff import apply_baseline, load_report

        apply_baseline(report, load_report(options.baseline))
    from .history.runs import record_report

    written: list[Outcome] = []
    # Outputs first, then the history store: a run whose outputs failed is not recorded, and a store failure is
    # reported after the outputs are written.
    recorded = record_report(report, options, lambda render_options: written.append(
        write_outputs(report, options, **render_options)))
    outcome = written[0]
    outcome.notes = notes
    outcome.run_id, outcome.history_error = recorded.run_id, recorded.error
    return outcome


def write_outputs(report: dict[str, Any], options: RunOptions, **render_options: Any) -> Outcome:
    """Write the report in each format asked for; `render_options` go to every renderer, which takes what it uses
    (the HTML report the trend, the JSON report the findings' texts it shares with the history store)."""
    from .diff import gating_findings

    # Under --baseline only findings new or regressed since the baseline decide the exit code.
    outcome = Outcome(report, exit_code_for(gating_findings(report), options.fail_on))
    if options.output_dir is not None:
        # Every format rendered before any file is written: a renderer that fails leaves no partial set. A streamed
        # format (JSON) is written first, before any other file, so its failure too leaves nothing.
        contents = {fmt: _content(report, fmt, render_options) for fmt in options.formats}
        try:
            options.output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"--output-dir {options.output_dir}: cannot create it: {exc.strerror}") from None
        paths = {fmt: options.output_dir / f"dr-audit.{EXTENSIONS[fmt]}" for fmt in options.formats}
        for fmt in sorted(contents, key=lambda fmt: isinstance(contents[fmt], str)):  # streamed ones first
            write_atomic(paths[fmt], contents[fmt], "--output-dir")
        outcome.written += paths.values()
        return outcome
    fmt = options.formats[0]
    if options.output is not None:
        write_atomic(options.output, _content(report, fmt, render_options))
        outcome.written.append(options.output)
        return outcome
    outcome.stdout = render(report, fmt, colour=options.colour, **render_options)
    return outcome


def _content(report: dict[str, Any], fmt: str, render_options: dict[str, Any]) -> str | Callable[[TextIO], None]:
    """The format's text, or for a streamed format the function writing it into the file (nothing held whole)."""
    stream = streamer(fmt)
    if stream is None:
        return render(report, fmt, **render_options)
    return lambda file: stream(report, file, **render_options)
