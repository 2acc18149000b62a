"""Evidence grows with the finding, not with the estate."""

from __future__ import annotations

from dr_audit.estate import ResourceRef
from dr_audit.findings import EVIDENCE_LIST_LIMIT, Result


def test_long_evidence_keeps_its_first_items_and_says_how_many_there_were():
    ref = ResourceRef(type="vpc.vpc", id="vpc-1")
    many = list(range(EVIDENCE_LIST_LIMIT * 3))
    result = Result.fail(ref, "x", sources=many, tally={"admitted": many, "note": "kept"}, few=[1, 2])
    assert result.evidence["sources"] == many[:EVIDENCE_LIST_LIMIT]
    assert result.evidence["sources_total"] == len(many)
    assert result.evidence["tally"] == {"admitted": many[:EVIDENCE_LIST_LIMIT], "admitted_total": len(many),
                                        "note": "kept"}
    assert result.evidence["few"] == [1, 2]
