"""A drill reads an off-site copy with the keys its pack target names, as the collector does, not only the AWS chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from dr_audit.drill.evidence import ReadFailed
from dr_audit.drill.sources import OffsiteReader, pack_offsite_keys
from dr_audit.options import RunOptions

from .conftest import build_world


@pytest.fixture
def no_aws_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "OTHER_KEY_ID", "OTHER_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


def pack_naming_keys(tmp_path: Path, bucket: str, source: str) -> str:
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: t\nscope:\n  offsite_targets:\n"
                    f"    - {{name: other, provider: s3-compatible, bucket: {bucket}, source_bucket: {source},\n"
                    "       access_key_env: OTHER_KEY_ID, secret_key_env: OTHER_SECRET}\n", encoding="utf-8")
    return str(pack)


def test_the_targets_named_keys_sign_the_drills_reads(tmp_path, s3_endpoint, no_aws_chain):
    world = build_world(tmp_path, s3_endpoint, objects=3)
    options = RunOptions(pack=pack_naming_keys(tmp_path, world.offsite, world.source))
    with pytest.raises(ReadFailed):  # no keys anywhere: the read cannot even be signed
        OffsiteReader(world.estate, keys=pack_offsite_keys(options)).list_objects(world.offsite, "us-east-1")
    no_aws_chain.setenv("OTHER_KEY_ID", "other-key")
    no_aws_chain.setenv("OTHER_SECRET", "other-secret")
    keys = pack_offsite_keys(options)
    assert set(keys) == {world.offsite}
    listed = OffsiteReader(world.estate, keys=keys).list_objects(world.offsite, "us-east-1")
    assert len(listed) == 3
