"""Benchmark `dr-audit plan` against Checkov on generated Terraform plans and .tf directories of the same resources.

Usage: python bench/plan_bench.py [--sizes 100 1000 5000] [--repeat 5] [--no-checkov] [--in-place]
                                  [--corpus plain|rich]

For each size it writes a plan JSON (the shape of `terraform show -json`, half the resources already in prior state)
and a .tf directory declaring the same resources, then times each tool as a whole process (median wall and CPU
seconds of --repeat runs after a warm-up) and reads its peak memory. Both tools are installed with pip, each into a
virtual environment of its own under a temporary directory, as a user would install them (dr-audit from this
checkout; --in-place times this interpreter's instead). If Checkov cannot be installed the script says so and
reports dr-audit alone. Checkov has few tencentcloud checks, so the comparison is of the cost
of reading and judging the same input, not of the findings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "tests" / "fixtures" / "terraform" / "pack.yaml"
PROVIDER = "registry.terraform.io/tencentcloudstack/tencentcloud"


def _unit(i: int) -> list[dict[str, Any]]:
    """Five related resources: a bucket, a disk, a daily policy bound to it, and a CAM user with a policy."""
    env = "prod" if i % 3 else "dev"
    return [
        {"type": "tencentcloud_cos_bucket", "name": f"b{i}",
         "values": {"bucket": f"data{i}-1250000001", "acl": "private" if i % 7 else "public-read",
                    "versioning_enable": bool(i % 5), "tags": {"env": env}}, "refs": {}},
        {"type": "tencentcloud_cbs_storage", "name": f"d{i}",
         "values": {"storage_name": f"d{i}", "storage_type": "CLOUD_PREMIUM", "storage_size": 50,
                    "availability_zone": "ap-shanghai-2", "tags": {"env": env}}, "refs": {}},
        {"type": "tencentcloud_cbs_snapshot_policy", "name": f"p{i}",
         "values": {"snapshot_policy_name": f"p{i}", "repeat_weekdays": [0, 1, 2, 3, 4, 5, 6] if i % 4 else [1],
                    "repeat_hours": [2], "retention_days": 7}, "refs": {}},
        {"type": "tencentcloud_cbs_snapshot_policy_attachment", "name": f"a{i}", "values": {},
         "refs": {"storage_id": f"tencentcloud_cbs_storage.d{i}", "snapshot_policy_id":
                  f"tencentcloud_cbs_snapshot_policy.p{i}"}},
        {"type": "tencentcloud_cam_user", "name": f"u{i}",
         "values": {"name": f"user{i}", "console_login": True, "use_api": False}, "refs": {}},
    ]


ENVS = ("prod", "prod", "test", "dev")
DESTRUCTIVE = ("cvm:TerminateInstances", "cbs:DeleteSnapshots", "cos:DeleteObject", "cdb:IsolateDBInstance")


def _rich_unit(i: int) -> list[dict[str, Any]]:
    """The plain unit plus what real estates add: a VPC per environment every 20 units, a security group with a
    rule set (public web, a CIDR of another environment, now and then SSH to the world), a host in two groups, and
    a custom CAM policy attached to the unit's user."""
    env = ENVS[i % len(ENVS)]
    block = i // 20
    out = []
    if i % 20 < len(set(ENVS)):  # the first units of each block declare that block's VPCs
        vpc_env = sorted(set(ENVS))[i % 20]
        out.append({"type": "tencentcloud_vpc", "name": f"v{block}{vpc_env}",
                    "values": {"name": f"{vpc_env}-{block}", "cidr_block": _cidr(block, vpc_env),
                               "tags": {"env": vpc_env}}, "refs": {}})
    other = "test" if env == "prod" else "prod"
    ingress = [{"action": "ACCEPT", "cidr_block": "0.0.0.0/0", "protocol": "TCP", "port": "443"},
               {"action": "ACCEPT", "cidr_block": _cidr(block, other) if i % 9 == 0 else _cidr(block, env),
                "protocol": "TCP", "port": "3306"},
               {"action": "DROP", "cidr_block": "0.0.0.0/0", "protocol": "ALL", "port": "ALL"}]
    if i % 13 == 0:
        ingress.insert(0, {"action": "ACCEPT", "cidr_block": "0.0.0.0/0", "protocol": "TCP", "port": "22"})
    document = {"version": "2.0", "statement": [
        {"effect": "allow", "action": [f"{('cvm', 'cbs', 'cos', 'cdb')[i % 4]}:Describe*"], "resource": ["*"]},
        {"effect": "allow", "action": [DESTRUCTIVE[i % len(DESTRUCTIVE)]] if i % 5 else ["cos:*"],
         "resource": ["*"]}]}
    out += _unit(i)
    out += [
        {"type": "tencentcloud_security_group", "name": f"sg{i}",
         "values": {"name": f"{env}-sg{i}", "tags": {"env": env}}, "refs": {}},
        {"type": "tencentcloud_security_group_rule_set", "name": f"rs{i}", "values": {"ingress": ingress},
         "refs": {"security_group_id": f"tencentcloud_security_group.sg{i}"}},
        {"type": "tencentcloud_instance", "name": f"h{i}",
         "values": {"instance_name": f"{env}-h{i}", "availability_zone": f"ap-shanghai-{1 + i % 3}",
                    "image_id": "img-9qabwvbn", "instance_type": "S5.MEDIUM2",
                    "tags": {"env": env, "app": f"a{i % 7}"}},
         "refs": {"vpc_id": f"tencentcloud_vpc.v{block}{env}",
                  "orderly_security_groups": [f"tencentcloud_security_group.sg{i}",
                                              f"tencentcloud_security_group.sg{i - i % 5}"]}},
        {"type": "tencentcloud_cam_policy", "name": f"cp{i}",
         "values": {"name": f"team-{i}", "document": json.dumps(document)}, "refs": {}},
        {"type": "tencentcloud_cam_user_policy_attachment", "name": f"up{i}", "values": {},
         "refs": {"user_name": f"tencentcloud_cam_user.u{i}", "policy_id": f"tencentcloud_cam_policy.cp{i}"}},
    ]
    return out


def _cidr(block: int, env: str) -> str:
    return f"10.{sorted(set(ENVS)).index(env) * 80 + block % 80}.{block // 80 % 256}.0/24"


def resources(count: int, corpus: str = "plain") -> list[dict[str, Any]]:
    unit = _rich_unit if corpus == "rich" else _unit
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < count:
        out.extend(unit(i))
        i += 1
    return out[:count]


def _reference_expression(target: str | list[str]) -> dict[str, Any]:
    targets = target if isinstance(target, list) else [target]
    return {"references": [part for t in targets for part in (f"{t}.id", t)]}


def _reference_hcl(target: str | list[str]) -> str:
    return "[" + ", ".join(f"{t}.id" for t in target) + "]" if isinstance(target, list) else f"{target}.id"


def write_plan(items: list[dict[str, Any]], path: Path) -> None:
    planned, prior, changes, config = [], [], [], []
    for position, item in enumerate(items):
        address = f"{item['type']}.{item['name']}"
        existing = position % 2 == 0 and not item["refs"]
        values = dict(item["values"])
        if existing:
            values["id"] = f"{item['name']}-id"
        entry = {"address": address, "mode": "managed", "type": item["type"], "name": item["name"],
                 "provider_name": PROVIDER, "schema_version": 0, "values": values, "sensitive_values": {}}
        planned.append(entry)
        if existing:
            prior.append(entry)
        unknown = {"id": not existing, **dict.fromkeys(item["refs"], True)}
        changes.append({"address": address, "mode": "managed", "type": item["type"], "name": item["name"],
                        "provider_name": PROVIDER, "change": {"actions": ["no-op"] if existing else ["create"],
                                                              "before": values if existing else None,
                                                              "after": values, "after_unknown": unknown}})
        expressions = {k: {"constant_value": v} for k, v in item["values"].items()}
        expressions.update({k: _reference_expression(v) for k, v in item["refs"].items()})
        config.append({"address": address, "mode": "managed", "type": item["type"], "name": item["name"],
                       "provider_config_key": "tencentcloud", "expressions": expressions, "schema_version": 0})
    plan = {"format_version": "1.2", "terraform_version": "1.7.5", "variables": {},
            "planned_values": {"root_module": {"resources": planned}}, "resource_changes": changes,
            "prior_state": {"format_version": "1.0", "terraform_version": "1.7.5",
                            "values": {"root_module": {"resources": prior}}},
            "configuration": {"provider_config": {"tencentcloud": {
                "name": "tencentcloud", "full_name": PROVIDER,
                "expressions": {"region": {"constant_value": "ap-shanghai"}}}},
                "root_module": {"resources": config}}}
    path.write_text(json.dumps(plan))


def _hcl(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_hcl(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_hcl(v)}" for k, v in value.items()) + " }"
    if isinstance(value, str) and value.startswith("{"):  # a JSON document: a heredoc keeps it readable as HCL
        return f"<<EOT\n{value}\nEOT"
    return json.dumps(value)


def write_tf(items: list[dict[str, Any]], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "provider.tf").write_text('provider "tencentcloud" {\n  region = "ap-shanghai"\n}\n')
    blocks = []
    for item in items:
        lines = [f'resource "{item["type"]}" "{item["name"]}" {{']
        lines += [f"  {k} = {_hcl(v)}" for k, v in item["values"].items()]
        lines += [f"  {k} = {_reference_hcl(v)}" for k, v in item["refs"].items()]
        blocks.append("\n".join([*lines, "}", ""]))
    # Several files of whole resource blocks, as a real configuration would be split.
    chunk = 250
    for number, start in enumerate(range(0, len(blocks), chunk)):
        (directory / f"main_{number:03d}.tf").write_text("\n".join(blocks[start:start + chunk]))


def timed(command: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds and peak resident memory (MiB) of one whole process, and its exit code.

    CPU time and memory come from wait4: CPU counts the process and the children it waited for (dr-audit reads
    its inputs in two short-lived children); memory is the largest single process's peak.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code  # ru_maxrss is KiB on Linux


def install(workdir: Path, name: str, requirement: str) -> Path | None:
    """A virtual environment of its own with `requirement` installed; its bin directory, or None if pip failed."""
    target = workdir / f"{name}-venv"
    try:
        venv.create(target, with_pip=True)
        subprocess.run([str(target / "bin" / "pip"), "install", "--quiet", requirement], check=True, timeout=900,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        print(f"{name} could not be installed ({type(exc).__name__}: "
              f"{detail.decode(errors='replace').strip().splitlines()[-1:] or exc})")
        return None
    return target / "bin"


def median_of(command: list[str], repeat: int) -> tuple[float, float, float, int]:
    """Median wall and CPU seconds over `repeat` runs (after one unmeasured warm-up), the peak memory, the exit code."""
    timed(command)
    runs = [timed(command) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs),
            runs[-1][3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-checkov", action="store_true")
    parser.add_argument("--corpus", choices=("plain", "rich"), default="rich",
                        help="rich adds VPCs, security groups with rule sets, hosts and custom CAM policies")
    parser.add_argument("--in-place", action="store_true",
                        help="time this interpreter's dr-audit instead of installing the checkout into its own venv")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="dr-audit-plan-bench-"))
    try:
        if args.in_place:
            dr_audit = [sys.executable, "-m", "dr_audit.cli", "plan"]
        else:
            ours_bin = install(workdir, "dr-audit", str(ROOT))
            if ours_bin is None:
                return 1
            dr_audit = [str(ours_bin / "dr-audit"), "plan"]
        checkov_bin = None if args.no_checkov else install(workdir, "checkov", "checkov")
        if checkov_bin is None and not args.no_checkov:
            print("reporting dr-audit alone")
        print(f"medians of {args.repeat} runs after a warm-up")
        print(f"{'input':<6} {'resources':>9} {'dr-audit s':>10} {'cpu s':>6} {'MiB':>5} "
              f"{'checkov s':>10} {'cpu s':>6} {'MiB':>5} {'checkov/dr-audit':>16}")
        for size in args.sizes:
            items = resources(size, args.corpus)
            plan_path, tf_dir = workdir / f"plan-{size}.json", workdir / f"tf-{size}"
            write_plan(items, plan_path)
            write_tf(items, tf_dir)
            for kind, target, framework, flag in (("plan", plan_path, "terraform_plan", "-f"),
                                                  ("tf", tf_dir, "terraform", "-d")):
                ours, our_cpu, our_mib, code = median_of(
                    [*dr_audit, str(target), "--pack", str(PACK), "--format", "json",
                     "--output", str(workdir / "out.json")], args.repeat)
                if code not in (0, 1, 3):
                    print(f"dr-audit failed on {target} (exit {code})")
                    return 1
                theirs = None
                if checkov_bin is not None:
                    theirs, their_cpu, their_mib, _ = median_of(
                        [str(checkov_bin / "checkov"), flag, str(target), "--framework", framework, "--quiet",
                         "--compact", "-o", "json"], args.repeat)
                row = f"{kind:<6} {size:>9} {ours:>10.2f} {our_cpu:>6.2f} {our_mib:>5.0f} "
                if theirs is None:
                    row += f"{'-':>10} {'-':>6} {'-':>5} {'-':>16}"
                else:
                    row += f"{theirs:>10.2f} {their_cpu:>6.2f} {their_mib:>5.0f} {f'{theirs / ours:.1f}x':>16}"
                print(row)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
