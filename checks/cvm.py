"""CVM availability (W2.2): every production application runs active-active across availability zones."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from dr_audit.api import CheckParams, Estate, Instance, ResourceRef, Result, check


class MultiAzParams(CheckParams):
    min_zones: int = Field(2, ge=1)
    # Instances in these states serve nothing, so their zones do not count towards the application's spread.
    down_states: list[str] = Field(
        default_factory=lambda: ["STOPPED", "STOPPING", "SHUTDOWN", "TERMINATING", "LAUNCH_FAILED"])


def app_ref(account: str, region: str, app: str) -> ResourceRef:
    return ResourceRef(type="cvm.app", id=app, region=region, account=account)


@check(
    id="cvm_multi_az",
    promise="W2.2",
    severity="medium",
    title="Each production application runs in at least two availability zones",
    remediation="Run the application's instances in at least {min_zones} availability zones of the region (launch "
    "or migrate an instance into another zone behind the same load balancer), and tag every production instance "
    "with the application it serves.",
    requires=("cvm",),
    risk="An application whose instances share one zone goes down with that zone; active-active within a city "
    "needs two.",
)
def multi_az(estate: Estate, params: MultiAzParams) -> Iterator[Result]:
    app_key = params.scope.app_tag_key
    down = {s.upper() for s in params.down_states}
    apps: dict[tuple[str, str, str], list[Instance]] = {}
    for instance, env in zip(estate.cvm.instances, estate.cvm.environments(params.scope), strict=True):
        if instance.unreadable and (reason := instance.unknown("tags")):
            yield Result.error(instance, f"{reason}: cannot tell whether it serves a production application")
            continue
        if env != "prod":
            continue
        app = (instance.tags.get(app_key) or "").strip()
        if not app:
            # An untagged production host belongs to no application we can judge: it must not pass unseen.
            yield Result.fail(instance, f"production instance has no {app_key!r} tag, so its application's "
                              "zone spread cannot be judged", zone=instance.zone)
            continue
        apps.setdefault((instance.account, instance.region, app), []).append(instance)

    for (account, region, app), instances in sorted(apps.items()):
        ref = app_ref(account, region, app)
        serving = [i for i in instances if i.state.upper() not in down]
        zones = sorted({i.zone for i in serving if i.zone and not i.unknown("zone", "state")})
        unknown = [i.instance_id for i in serving if not i.zone or i.unknown("zone", "state")]
        evidence = {"zones": zones, "instances": sorted(i.instance_id for i in instances),
                    "not_serving": sorted({i.instance_id for i in instances} - {i.instance_id for i in serving}),
                    "min_zones": params.min_zones}
        if len(zones) >= params.min_zones:
            yield Result.ok(ref, f"runs in {len(zones)} zones: {', '.join(zones)}", **evidence)
        elif unknown:
            yield Result.error(ref, f"zone or state of {', '.join(sorted(unknown))} could not be read", **evidence)
        elif not zones:
            yield Result.fail(ref, "no instance of the application is serving", **evidence)
        else:
            yield Result.fail(ref, f"runs only in {', '.join(zones)} (need {params.min_zones} zones)", **evidence)
