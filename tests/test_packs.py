"""The bundled pack covers the whole catalogue; init/show/validate work; the README's catalogue is current."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from dr_audit.catalogue import markdown_catalogue
from dr_audit.cli import main
from dr_audit.packs import load_pack
from dr_audit.resources import bundled_dir

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_default_pack_lists_every_check_with_every_parameter_spelled_out(registry):
    pack = load_pack("weimob-2020", registry)
    assert set(pack.checks) == set(registry.ids())
    for spec in registry:
        entry = pack.checks[spec.id]
        assert entry.enabled, spec.id
        assert set(entry.params) == set(spec.parameter_defaults()), f"{spec.id}: spell out every parameter"
        promise = entry.promise or spec.promise
        assert promise in pack.promises


def test_every_check_in_the_default_pack_has_a_comment(registry):
    text = (bundled_dir("policies") / "weimob-2020.yaml").read_text()
    for spec in registry:
        block = re.search(rf"((?:^ *#.*\n)+) *{spec.id}:", text, re.MULTILINE)
        assert block, f"{spec.id} has no comment above it in the pack"


def test_init_writes_a_pack_that_validates_and_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "mine.yaml"
    assert main(["pack", "init", "--output", str(target)]) == 0
    assert yaml.safe_load(target.read_text())["name"] == "weimob-2020"
    assert main(["pack", "validate", str(target)]) == 0
    assert main(["pack", "init", "--output", str(target)]) == 2
    assert "--force" in capsys.readouterr().err


def test_show_resolves_every_check_with_its_parameters(registry, capsys):
    assert main(["pack", "show"]) == 0
    out = capsys.readouterr().out
    for spec in registry:
        assert f"- {spec.id}:" in out
    assert "min_retention_days=7" in out


def test_readme_catalogue_is_generated_from_check_metadata(registry):
    text = README.read_text()
    between = text.split("<!-- catalogue:start -->\n", 1)[1].split("<!-- catalogue:end -->", 1)[0]
    assert between == markdown_catalogue(registry), "regenerate with: dr-audit checks list --format markdown"


def test_a_source_reading_only_the_scope_gets_the_same_one_line_errors(tmp_path):
    import pytest

    from dr_audit.packs import PackError, load_scope

    assert load_scope("weimob-2020").offsite_targets[0].source_bucket == "media-1250000001"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\nscope:\n  offsite_targets: [{name: x}]\n")
    with pytest.raises(PackError, match=r"bad\.yaml: scope\.offsite_targets\.0\.bucket"):
        load_scope(str(bad))
    with pytest.raises(PackError, match="no such pack file"):
        load_scope(str(tmp_path / "missing.yaml"))
