from datetime import timedelta

from dr_audit.estate import DrillRecord, DrillState

from ..conftest import ACCOUNT, NOW, by_resource, gap, make_estate, run_check, scenario_findings

DRILL_CHECKS = ["drill_monthly_cadence", "drill_quarterly_cadence", "drill_objectives_met"]


def drill(drill_id: str, kind: str, days_ago: float, *, signed: bool = True, rto: float | None = 60,
          rpo: float | None = 10, **fields) -> DrillRecord:
    started = NOW - timedelta(days=days_ago)
    values = {"rto_target_minutes": 240.0, "rpo_target_minutes": 60.0} | fields
    return DrillRecord(account=ACCOUNT, drill_id=drill_id, kind=kind, started_at=started,
                       finished_at=started + timedelta(hours=3),
                       signed_off_at=started + timedelta(days=1) if signed else None,
                       approvers=["dr-owner"] if signed else [], rto_measured_minutes=rto,
                       rpo_measured_minutes=rpo, **values)


def drills(*records: DrillRecord, **parts):
    return make_estate(drills=DrillState(records=list(records)), **parts)


def status(findings) -> str:
    assert len(findings) == 1, findings
    return findings[0].status.value


# --- cadence ------------------------------------------------------------------------------------------------------

def test_recent_signed_drills_satisfy_the_cadences(registry):
    estate = drills(drill("m1", "monthly", 10), drill("q1", "quarterly", 40))
    for check_id in ("drill_monthly_cadence", "drill_quarterly_cadence"):
        findings = run_check(registry, check_id, estate)
        assert status(findings) == "PASS"
        assert findings[0].resource.type == "account" and findings[0].resource.id == ACCOUNT
    assert run_check(registry, "drill_monthly_cadence", estate)[0].evidence["drill"] == "m1"


def test_old_or_unsigned_drills_do_not_count(registry):
    estate = drills(drill("m-old", "monthly", 35), drill("m-unsigned", "monthly", 5, signed=False),
                    drill("q-old", "quarterly", 100))
    monthly = run_check(registry, "drill_monthly_cadence", estate)
    assert status(monthly) == "FAIL"
    assert "1 drill(s) await sign-off" in monthly[0].message
    assert status(run_check(registry, "drill_quarterly_cadence", estate)) == "FAIL"


def test_a_quarterly_drill_counts_as_monthly_unless_the_pack_says_otherwise(registry):
    estate = drills(drill("q1", "quarterly", 20))
    assert status(run_check(registry, "drill_monthly_cadence", estate)) == "PASS"
    assert status(run_check(registry, "drill_monthly_cadence", estate, quarterly_counts_as_monthly=False)) == "FAIL"
    # ...but a monthly drill never satisfies the quarterly cadence
    assert status(run_check(registry, "drill_quarterly_cadence", drills(drill("m1", "monthly", 5)))) == "FAIL"


def test_cadence_windows_are_parameters(registry):
    estate = drills(drill("m1", "monthly", 20), drill("q1", "quarterly", 80))
    assert status(run_check(registry, "drill_monthly_cadence", estate, max_age_days=14,
                            quarterly_counts_as_monthly=False)) == "FAIL"
    assert status(run_check(registry, "drill_quarterly_cadence", estate, max_age_days=60)) == "FAIL"


def test_no_drill_at_all_fails_on_the_account(registry):
    for check_id in DRILL_CHECKS:
        findings = run_check(registry, check_id, drills())
        assert status(findings) == "FAIL", check_id
        assert findings[0].resource.type == "account"


def test_drills_dated_after_the_collection_do_not_count(registry):
    estate = drills(drill("m-future", "monthly", -3))
    findings = run_check(registry, "drill_monthly_cadence", estate)
    assert status(findings) == "FAIL" and "after the collection" in findings[0].message


def test_unreadable_drill_history_is_an_error(registry):
    estate = drills(gaps=[gap("drills", code="HistoryUnavailable")])
    for check_id in DRILL_CHECKS:
        assert status(run_check(registry, check_id, estate)) == "ERROR", check_id
    # without the drills service at all, nothing can be told either
    for check_id in DRILL_CHECKS:
        assert status(run_check(registry, check_id, make_estate(services=["cbs"]))) == "ERROR", check_id


def test_an_unreadable_record_is_an_error_rather_than_a_missing_drill(registry):
    estate = drills(drill("m1", "monthly", 5, unreadable={"signed_off_at": "signature chain broken"}))
    for check_id in DRILL_CHECKS:
        assert status(run_check(registry, check_id, estate)) == "ERROR", check_id


def test_cadence_checks_do_not_apply_to_plans(registry):
    estate = make_estate(source="plan")
    for check_id in DRILL_CHECKS:
        assert run_check(registry, check_id, estate) == []


# --- objectives ---------------------------------------------------------------------------------------------------

def test_latest_signed_drill_within_targets_passes(registry):
    # the older drill missed, the latest met: the latest decides
    estate = drills(drill("q1", "quarterly", 40, rto=500), drill("m1", "monthly", 10, rto=90, rpo=15),
                    drill("m2", "monthly", 2, signed=False, rto=999))
    findings = run_check(registry, "drill_objectives_met", estate)
    assert by_resource(findings) == {"m1": "PASS"}
    assert findings[0].resource.type == "drill"


def test_missed_or_unmeasured_objectives_fail(registry):
    assert by_resource(run_check(registry, "drill_objectives_met", drills(drill("m1", "monthly", 3, rto=241)))) == {
        "m1": "FAIL"}
    missed_rpo = run_check(registry, "drill_objectives_met", drills(drill("m1", "monthly", 3, rpo=61)))
    assert "RPO 61 min exceeds the target 60 min" in missed_rpo[0].message
    unmeasured = run_check(registry, "drill_objectives_met", drills(drill("m1", "monthly", 3, rpo=None)))
    assert status(unmeasured) == "FAIL" and "rpo measured" in unmeasured[0].message
    no_target = run_check(registry, "drill_objectives_met",
                          drills(drill("m1", "monthly", 3, rto_target_minutes=None)))
    assert status(no_target) == "FAIL"


def test_an_unreadable_record_blocks_the_verdict_unless_known_to_be_older(registry):
    newer_unreadable = drills(drill("m1", "monthly", 10),
                              drill("m2", "monthly", 2, unreadable={"signed_off_at": "chain broken"}))
    assert status(run_check(registry, "drill_objectives_met", newer_unreadable)) == "ERROR"
    older_unreadable = drills(drill("m1", "monthly", 10),
                              drill("m0", "monthly", 40, unreadable={"signed_off_at": "chain broken"}))
    assert by_resource(run_check(registry, "drill_objectives_met", older_unreadable)) == {"m1": "PASS"}


def test_unreadable_measurements_are_errors(registry):
    estate = drills(drill("m1", "monthly", 3, unreadable={"rto_measured_minutes": "evidence file missing"}))
    assert by_resource(run_check(registry, "drill_objectives_met", estate)) == {"m1": "ERROR"}


def test_a_drill_whose_failed_steps_are_unknown_cannot_show_it_met_its_objectives(registry):
    estate = drills(drill("m1", "monthly", 3, unreadable={"failed_steps": "absent from snapshot"}))
    findings = run_check(registry, "drill_objectives_met", estate)
    assert by_resource(findings) == {"m1": "ERROR"} and "failed_steps" in findings[0].message


# --- scenarios ----------------------------------------------------------------------------------------------------

def test_hardened_scenario_drills_on_time_and_within_targets(registry):
    findings = scenario_findings(registry, "hardened", DRILL_CHECKS)
    assert {f.check_id for f in findings} == set(DRILL_CHECKS)
    assert {f.status.value for f in findings} == {"PASS"}


def test_weimob_2020_scenario_has_no_current_signed_drills(registry):
    findings = scenario_findings(registry, "weimob-2020", DRILL_CHECKS)
    assert {f.check_id: f.status.value for f in findings} == {check_id: "FAIL" for check_id in DRILL_CHECKS}


def test_a_drill_signed_off_with_failed_steps_failed_even_within_its_targets(registry):
    estate = drills(drill("m1", "monthly", 3, failed_steps=["recovery-points", "replica-checksums"]))
    [finding] = run_check(registry, "drill_objectives_met", estate)
    assert finding.status.value == "FAIL"
    assert "signed off with failed steps: recovery-points, replica-checksums" in finding.message
    assert finding.evidence["failed_steps"] == ["recovery-points", "replica-checksums"]
    missed_too = run_check(registry, "drill_objectives_met",
                           drills(drill("m1", "monthly", 3, rto=300, failed_steps=["restore-disk"])))
    assert "failed steps: restore-disk" in missed_too[0].message and "RTO 300 min exceeds" in missed_too[0].message


def test_a_drill_whose_account_cannot_be_read_counts_against_every_account(registry):
    # The store could not even say whose drill it is: it may be the latest drill of any account.
    unreadable = DrillRecord(account="", drill_id="m9", kind="monthly", started_at=NOW,
                             unreadable={"signed_off_at": "record #3 cannot be read", "started_at": "unknown"})
    estate = drills(drill("m1", "monthly", 10), unreadable)
    [finding] = run_check(registry, "drill_objectives_met", estate)
    assert finding.status.value == "ERROR" and "m9" in finding.message
    # the cadence is still proven by the drill that can be read
    assert status(run_check(registry, "drill_monthly_cadence", estate)) == "PASS"
