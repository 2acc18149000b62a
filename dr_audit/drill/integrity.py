"""Whether a drill's records are what was written and approved: the hash chain, and the approvers' signatures.

Works on plain rows (from the store or from an exported bundle) so the same judgement runs online and offline.
A chain anyone can recompute only resists accidental edits; against the store's administrator the proof is a
signature, by every approver whose key the plan pins, over the drill's head: the hash of its last record before
sign-off, which covers every step, time and piece of evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..history.chain import GENESIS, canonical, key_fingerprint, record_hash, signature_valid, signoff_statement
from .plan import DrillPlan

ACCIDENTAL_ONLY = ("integrity holds only against accidental edits: the plan pins no approver keys, so whoever "
                   "administers the store could rewrite these records and recompute the chain")


@dataclass
class Signoff:
    """One sign-off record as verification judged it (what the report prints and a seal carries)."""

    seq: int
    by: str
    role: str
    signed_at: str
    key_fingerprint: str | None
    signature: str | None
    head: str | None  # the head it approves; None for sign-offs written before heads were signed
    verified: bool  # an Ed25519 signature that checks out (over the head, or over its record for older ones)
    failed_steps: list[str] = field(default_factory=list)

    def seal(self) -> dict[str, Any]:
        return {"seq": self.seq, "by": self.by, "role": self.role, "key_fingerprint": self.key_fingerprint,
                "signature": self.signature, "head": self.head}


@dataclass
class Verification:
    drill_id: str
    intact: bool  # the chain and every sign-off present are sound
    records: int
    signatures: int = 0
    problem: str = ""
    head: str = ""  # the hash of the last record
    hashes: list[str] = field(default_factory=list)
    sealed_head: str = ""  # the hash of the last record before sign-off: what approvers sign
    sealed_records: int = 0
    pinned: dict[str, str] = field(default_factory=dict)  # approver -> the fingerprint the plan pins
    unpinned: list[str] = field(default_factory=list)  # approvers the plan pins no key for
    missing: list[str] = field(default_factory=list)  # pinned approvers with no sign-off yet
    signoffs: list[Signoff] = field(default_factory=list)
    plan_sha256: str = ""

    @property
    def proven(self) -> bool:
        """What `drill verify` exits 0 for: intact, and signed over the head by every pinned approver."""
        return self.intact and not self.missing

    @property
    def assurance(self) -> str:
        if not self.pinned:
            return ACCIDENTAL_ONLY
        text = "signed by keys pinned in the plan: an edit by the store's administrator breaks a signature"
        if self.unpinned:
            text += (f"; the sign-off of {', '.join(self.unpinned)} (no key pinned) holds only against "
                     "accidental edits")
        return text

    def line(self) -> str:
        if not self.intact:
            return f"{self.drill_id}: TAMPERED: {self.problem}"
        counts = f"{self.records} records, head {self.head[:16]}…, {self.signatures} signatures verified"
        if self.missing:
            who = ", ".join(f"{name} (key {self.pinned[name]})" for name in self.missing)
            return (f"{self.drill_id}: NOT PROVEN: the chain is intact ({counts}) but these pinned approvers have no "
                    f"signature over head {self.sealed_head[:16]}… (record #{self.sealed_records}): {who}")
        return f"{self.drill_id}: intact ({counts}); {self.assurance}"

    def seal(self) -> dict[str, Any]:
        """What a printed report carries so it can be checked against the store or a bundle later."""
        return {"drill_id": self.drill_id, "records": self.records, "head": self.head, "hashes": self.hashes,
                "sealed_head": self.sealed_head, "sealed_records": self.sealed_records, "pinned": self.pinned,
                "plan_sha256": self.plan_sha256, "signoffs": [s.seal() for s in self.signoffs]}


def label(row: dict[str, Any], content: Any = None) -> str:
    if content is None:
        try:
            content = json.loads(row["content_json"])
        except (ValueError, TypeError):
            content = {}
    body = content.get("body") if isinstance(content, dict) else None
    detail = ""
    if isinstance(body, dict):
        detail = next((v for v in (body.get("step"), body.get("by")) if isinstance(v, str) and v), "")
    return f"record #{row.get('seq')} ({row.get('kind')}{' ' + repr(detail) if detail else ''})"


class _Broken(Exception):
    """The first thing wrong with a drill's records; its message is the verdict."""


def verify_rows(drill_id: str, drill: dict[str, Any] | None, rows: list[dict[str, Any]]) -> Verification:
    """Judge a drill's stored row and records (in stored order); never raises on what the rows hold."""
    result = Verification(drill_id, intact=False, records=len(rows))
    try:
        _walk(drill_id, drill, rows, result)
    except _Broken as broken:
        result.problem = str(broken)
        return result
    result.intact = True
    return result


def _walk(drill_id: str, drill: dict[str, Any] | None, rows: list[dict[str, Any]], result: Verification) -> None:
    if drill is None:
        raise _Broken(f"the drill's own row is missing (deleted) while {len(rows)} records remain")
    previous = GENESIS
    contents: list[dict[str, Any]] = []
    for position, row in enumerate(rows, 1):
        if row.get("seq") != position:
            raise _Broken(f"record #{position} is missing (deleted); the next stored is #{row.get('seq')}")
        try:
            content = json.loads(row["content_json"])
        except (ValueError, TypeError):
            raise _Broken(f"{label(row, {})}: content is not valid JSON (edited)") from None
        where = label(row, content)
        if not isinstance(content, dict) or content.get("drill_id") != drill_id or content.get("seq") != position:
            claimed = content.get("seq") if isinstance(content, dict) else "?"
            raise _Broken(f"{where}: position #{position} holds the content of record #{claimed} "
                          f"(records reordered or moved)")
        if row.get("prev_hash") != previous:
            raise _Broken(f"{where}: does not follow record #{position - 1} (a record was deleted or reordered)")
        if canonical(content) != row["content_json"] or record_hash(previous, row["content_json"]) != row.get("hash") \
                or content.get("kind") != row.get("kind") or content.get("created_at") != row.get("created_at"):
            raise _Broken(f"{where}: content does not match its hash (edited)")
        contents.append(content)
        previous = row["hash"]
        result.hashes.append(previous)
    if not rows or rows[0].get("kind") != "opened":
        raise _Broken("record #1 (opened) is missing (deleted)")
    if drill.get("record_count") != len(rows) or drill.get("head_hash") != previous:
        if isinstance(drill.get("record_count"), int) and drill["record_count"] > len(rows):
            raise _Broken(f"the drill's head says {drill['record_count']} records but {len(rows)} remain: "
                          f"record #{len(rows) + 1} onwards were deleted")
        raise _Broken("the drill's head hash does not match its last record (edited)")
    result.head = previous
    plan = _plan(rows[0], contents[0], result)
    _signoffs(drill_id, rows, contents, plan, result)


def _plan(row: dict[str, Any], content: dict[str, Any], result: Verification) -> DrillPlan:
    body = content.get("body")
    if not isinstance(body, dict) or "plan" not in body:
        raise _Broken(f"{label(row, content)}: holds no drill plan (edited)")
    try:
        plan = DrillPlan.model_validate(body["plan"])
    except (ValidationError, ValueError, TypeError):
        raise _Broken(f"{label(row, content)}: its drill plan cannot be read (edited)") from None
    result.plan_sha256 = str(body.get("plan_sha256") or "")
    for approver in plan.approvers:
        if pin := approver.pinned:
            result.pinned[approver.name] = pin
        else:
            result.unpinned.append(approver.name)
    return plan


def _signoffs(drill_id: str, rows: list[dict[str, Any]], contents: list[dict[str, Any]], plan: DrillPlan,
              result: Verification) -> None:
    first_signoff = next((i for i, c in enumerate(contents) if c.get("kind") == "signoff"), len(contents))
    after = next((i for i in range(first_signoff, len(contents)) if contents[i].get("kind") != "signoff"), None)
    if after is not None:
        raise _Broken(f"{label(rows[after], contents[after])}: written after a sign-off, when the records were closed")
    result.sealed_records = first_signoff
    result.sealed_head = rows[first_signoff - 1]["hash"]
    signed: dict[str, int] = {}
    for row, content in zip(rows[first_signoff:], contents[first_signoff:], strict=True):
        signoff = _judge_signoff(drill_id, row, content, plan, result)
        name = signoff.by.casefold()
        if name in signed:
            raise _Broken(f"{label(row, content)}: {signoff.by} already signed in record #{signed[name]}")
        signed[name] = signoff.seq
        result.signoffs.append(signoff)
        result.signatures += signoff.verified
    result.missing = [name for name in result.pinned if name.casefold() not in signed]


def _judge_signoff(drill_id: str, row: dict[str, Any], content: dict[str, Any], plan: DrillPlan,
                   result: Verification) -> Signoff:
    where = label(row, content)
    body = content.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("by"), str) or not isinstance(body.get("role"), str):
        raise _Broken(f"{where}: names no approver and role (edited)")
    approver = next((a for a in plan.approvers if a.name.casefold() == body["by"].casefold()), None)
    if approver is None:
        raise _Broken(f"{where}: signed by {body['by']!r}, who is not an approver in the drill's plan")
    if approver.role.casefold() != body["role"].casefold():
        raise _Broken(f"{where}: {approver.name} signed as {body['role']!r}, but the plan names them "
                      f"{approver.role!r}")
    signature, public_key = body.get("signature"), body.get("public_key")
    head, fingerprint = body.get("head"), body.get("key_fingerprint")
    if "head" not in body:  # written before sign-offs signed the head: the signature (if any) covers the record
        signature, public_key = row.get("signature"), row.get("public_key")
    elif (row.get("signature"), row.get("public_key")) != (signature, public_key):
        raise _Broken(f"{where}: {approver.name}'s signature columns differ from the signed record (edited)")
    if fingerprint is not None and not (signature and public_key):
        raise _Broken(f"{where}: {approver.name}'s sign-off names key {fingerprint} but its signature is missing "
                      f"(NULL)")
    pin = approver.pinned
    if pin is not None:
        if "head" not in body or not (signature and public_key):
            raise _Broken(f"{where}: {approver.name}'s key is pinned in the plan ({pin}) but the sign-off carries no "
                          f"signature over the drill's head")
        if key_fingerprint(public_key) != pin:
            raise _Broken(f"{where}: {approver.name}'s sign-off is signed by key {key_fingerprint(public_key)}, not "
                          f"the key the plan pins ({pin})")
    if "head" in body and (head != result.sealed_head or body.get("records") != result.sealed_records):
        raise _Broken(f"{where}: {approver.name}'s sign-off approves another head ({str(head)[:16]}…, record "
                      f"#{body.get('records')}) than the drill's ({result.sealed_head[:16]}…, record "
                      f"#{result.sealed_records})")
    verified = False
    if signature or public_key:
        if not (isinstance(signature, str) and isinstance(public_key, str)):
            raise _Broken(f"{where}: Ed25519 signature does not verify")
        if fingerprint is not None and key_fingerprint(public_key) != fingerprint:
            raise _Broken(f"{where}: {approver.name}'s public key is not the key its fingerprint names")
        message = (signoff_statement(drill_id, str(head), result.sealed_records, approver.name, approver.role)
                   if "head" in body else str(row.get("hash")))
        if not signature_valid(public_key, signature, message):
            raise _Broken(f"{where}: Ed25519 signature does not verify")
        verified = True
    failed = body.get("failed_steps")
    return Signoff(seq=row["seq"], by=approver.name, role=approver.role, signed_at=str(body.get("signed_at", "")),
                   key_fingerprint=key_fingerprint(public_key) if verified and public_key else None,
                   signature=signature if verified else None, head=head if "head" in body else None,
                   verified=verified, failed_steps=[str(s) for s in failed] if isinstance(failed, list) else [])


# -- checking a printed report or an exported bundle ----------------------------------------------------------------

def compare_seal(seal: dict[str, Any], now: Verification) -> str | None:
    """The first difference between a report's seal and the drill as verified now; None when the report matches.

    A report made before later sign-offs still matches while every record it covered is unchanged and each
    sign-off it printed is still there, unaltered.
    """
    if seal.get("drill_id") != now.drill_id:
        return f"the report is of drill {seal.get('drill_id')}, not {now.drill_id}"
    hashes = seal.get("hashes")
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        return "the report's seal lists no record hashes"
    for position, (then, stored) in enumerate(zip(hashes, now.hashes, strict=False), 1):
        if then != stored:
            return f"record #{position} differs from the report's (hash {stored[:16]}… now, {then[:16]}… reported)"
    if not now.intact:
        return f"the records fail verification after record #{len(now.hashes)}: {now.problem}"
    if len(now.hashes) < len(hashes):
        return f"the report covers {len(hashes)} records, only {len(now.hashes)} remain: record " \
               f"#{len(now.hashes) + 1} onwards were deleted"
    current = {s.seq: s.seal() for s in now.signoffs}
    for printed in seal.get("signoffs") or []:
        if not isinstance(printed, dict) or not isinstance(printed.get("seq"), int):
            return "the report's seal is malformed"
        if current.get(printed["seq"]) != printed:
            return f"{printed.get('by')}'s sign-off (record #{printed.get('seq')}) differs from the report's"
    if seal.get("pinned", {}) != now.pinned:
        return "the keys pinned in the drill's plan differ from the report's"
    return None
