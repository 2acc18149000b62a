"""The Markdown resource column: the id, then account/region, with an account-wide finding's account said once."""

from __future__ import annotations

from dr_audit.cli import main
from dr_audit.render.markdown import render


def finding(check_id: str, resource: dict[str, str]) -> dict:
    return {"id": check_id + resource["id"], "check_id": check_id, "status": "FAIL", "severity": "high",
            "promise": "W1.1", "resource": resource, "message": "broken", "remediation": "mend it"}


def rows(text: str) -> dict[str, list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("| FAIL")]
    cells = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines]
    return {row[2]: row for row in cells}


def test_an_account_finding_names_its_account_once_and_others_keep_account_and_region():
    report = {"run": {"pack": "p", "source": "demo"}, "summary": {"FAIL": 3},
              "findings": [finding("acct", {"type": "account", "id": "100000000001", "region": "",
                                            "account": "100000000001"}),
                           finding("user", {"type": "cam.user", "id": "dev-zhang", "region": "",
                                            "account": "100000000001"}),
                           finding("acl", {"type": "dasb.acl", "id": "1", "region": "ap-shanghai",
                                           "account": "100000000001"})]}
    table = rows(render(report))
    assert table["`acct`"][3] == "`100000000001`"
    assert table["`user`"][3] == "`dev-zhang` 100000000001"
    assert table["`acl`"][3] == "`1` 100000000001/ap-shanghai"


def test_the_demos_markdown_never_repeats_an_id_and_names_the_bastion_acl(capsys):
    capsys.readouterr()
    assert main(["run", "--demo", "--format", "markdown"]) == 1
    table = [line.strip("|").split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith("| FAIL")]
    assert table
    for row in table:
        resource = row[3].strip()
        ident, _, where = resource.partition(" ")
        assert ident.strip("`") not in where.split("/"), resource
    (acl,) = [row for row in table if row[2].strip() == "`bastion_acls_least_privilege`"]
    assert acl[4].strip().startswith('ACL "ops-everything": allows any host account on any device')
