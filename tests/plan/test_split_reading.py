"""A large .tf directory is parsed in two halves by child processes and evaluated by the parent: the same resources
as reading it whole."""

from __future__ import annotations

import shutil
import threading
from contextlib import ExitStack
from pathlib import Path

import pytest

from dr_audit.collect import planinput
from dr_audit.collect.hcl import directory_resources, parse_files
from dr_audit.collect.planinput import read_input, split_tf_files, start_reading

from .helpers import ESTATE_TF


def _bucket(i: int) -> str:
    versioning = "true" if i % 2 else "false"
    return (f'resource "tencentcloud_cos_bucket" "extra{i}" {{\n  bucket = "extra{i}-1250000001"\n'
            f'  acl = "private"\n  versioning_enable = {versioning}\n  tags = {{ env = "prod" }}\n}}\n')


@pytest.fixture
def many_files(tmp_path: Path) -> Path:
    """The estate fixture (with its local module) plus several files of different sizes."""
    directory = tmp_path / "tf"
    shutil.copytree(ESTATE_TF, directory)
    for number, count in enumerate((1, 3, 7, 12, 20)):
        (directory / f"extra_{number}.tf").write_text("\n".join(_bucket(number * 100 + i) for i in range(count)))
    return directory


def test_small_inputs_are_read_whole(many_files, tmp_path):
    assert split_tf_files(many_files) is None  # well under the threshold
    assert split_tf_files(tmp_path / "plan.json") is None
    single = tmp_path / "single"
    single.mkdir()
    (single / "main.tf").write_text(_bucket(1))
    assert split_tf_files(single) is None


def test_halves_cover_every_file_once_and_balance_their_sizes(many_files, monkeypatch):
    monkeypatch.setattr(planinput, "SPLIT_PARSING_BYTES", 0)
    halves = split_tf_files(many_files)
    assert halves is not None
    first, second = halves
    files = sorted(many_files.glob("*.tf"))
    assert sorted(first + second) == files and not set(first) & set(second)
    sizes = [sum(p.stat().st_size for p in half) for half in halves]
    assert abs(sizes[0] - sizes[1]) <= max(p.stat().st_size for p in files)


def test_files_parsed_elsewhere_give_the_same_resources(many_files):
    whole = directory_resources(many_files)
    files = sorted(many_files.glob("*.tf"))
    for done in (parse_files(files), parse_files(files[::2])):  # all, or some, parsed beforehand
        assert directory_resources(many_files, done) == whole
    assert any(r.module for r in whole)  # the local module was read too, by the evaluating side


def test_a_split_read_in_children_equals_reading_here(many_files, monkeypatch):
    monkeypatch.setattr(planinput, "SPLIT_PARSING_BYTES", 0)
    monkeypatch.delenv("DR_AUDIT_NO_FORK", raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(planinput, "spare_core", lambda: True)  # children however busy the machine
    with ExitStack() as stack:
        read = start_reading(many_files, stack)
        assert read() == read_input(many_files)
