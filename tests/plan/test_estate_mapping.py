"""The tencentcloud resources map onto the same Estate fields the live collectors fill."""

from __future__ import annotations

from pathlib import Path

from dr_audit.collect.hcl import directory_resources
from dr_audit.collect.terraform import build_estate

CONFIG = '''
provider "tencentcloud" {
  region = "ap-guangzhou"
}

resource "tencentcloud_vpc" "prod" {
  name       = "prod"
  cidr_block = "10.0.0.0/16"
  tags       = { env = "prod" }
}

resource "tencentcloud_vpc" "dev" {
  name       = "dev"
  cidr_block = "10.1.0.0/16"
  tags       = { env = "dev" }
}

resource "tencentcloud_vpc_peer_connect_manager" "prod_dev" {
  source_vpc_id           = tencentcloud_vpc.prod.id
  destination_vpc_id      = tencentcloud_vpc.dev.id
  destination_region      = "ap-guangzhou"
  destination_uin         = "100000000001"
  peering_connection_name = "prod-to-dev"
}

resource "tencentcloud_ccn" "main" {
  name = "main"
}

resource "tencentcloud_ccn_attachment" "prod" {
  ccn_id          = tencentcloud_ccn.main.id
  instance_type   = "VPC"
  instance_id     = tencentcloud_vpc.prod.id
  instance_region = "ap-guangzhou"
}

resource "tencentcloud_security_group" "db" {
  name = "db"
}

resource "tencentcloud_security_group_lite_rule" "db" {
  security_group_id = tencentcloud_security_group.db.id
  ingress           = ["ACCEPT#0.0.0.0/0#3306#TCP", "DROP#sg-abc123#ALL#ALL"]
}

resource "tencentcloud_security_group_rule" "ssh" {
  security_group_id = tencentcloud_security_group.db.id
  type              = "ingress"
  cidr_ip           = "10.1.0.0/16"
  ip_protocol       = "tcp"
  port_range        = "22"
  policy            = "accept"
}

resource "tencentcloud_cos_bucket" "web" {
  bucket     = "web-1250000001"
  acl_body   = <<EOT
<AccessControlPolicy>
  <AccessControlList>
    <Grant>
      <Grantee><URI>http://cam.qcloud.com/groups/global/AllUsers</URI></Grantee>
      <Permission>WRITE</Permission>
    </Grant>
  </AccessControlList>
</AccessControlPolicy>
EOT
  log_enable        = true
  log_target_bucket = "logs-1250000001"
}

resource "tencentcloud_cos_bucket_policy" "web" {
  bucket = tencentcloud_cos_bucket.web.id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = { qcs = ["*"] }, Action = ["name/cos:GetObject"] }]
  })
}

resource "tencentcloud_mysql_instance" "main" {
  instance_name     = "orders"
  availability_zone = "ap-guangzhou-3"
  tags              = { env = "prod" }
}

resource "tencentcloud_mysql_dr_instance" "dr" {
  instance_name      = "orders-dr"
  master_instance_id = tencentcloud_mysql_instance.main.id
  master_region      = "ap-guangzhou"
  mem_size           = 4000
  volume_size        = 200
}

resource "tencentcloud_mysql_remote_backup_config" "main" {
  instance_id        = tencentcloud_mysql_instance.main.id
  remote_backup_save = "on"
  remote_binlog_save = "on"
  remote_region      = ["ap-shanghai"]
  expire_days        = 7
}

resource "tencentcloud_audit_track" "all" {
  name          = "all"
  action_type   = "*"
  resource_type = "*"
  status        = 1
  event_names   = ["*"]
  storage {
    storage_name   = "audit"
    storage_prefix = "cloudaudit"
    storage_region = "ap-guangzhou"
    storage_type   = "cos"
  }
}

resource "tencentcloud_dasb_resource" "bastion" {
  deploy_region    = "ap-guangzhou"
  deploy_zone      = "ap-guangzhou-3"
  vpc_id           = tencentcloud_vpc.prod.id
  subnet_id        = "subnet-1"
  cidr_block       = "10.0.1.0/24"
  vpc_cidr_block   = "10.0.0.0/16"
  resource_edition = "pro"
  resource_node    = 50
  auto_renew_flag  = 1
}

resource "tencentcloud_dasb_device" "web" {
  os_name = "Linux"
  ip      = "10.0.1.5"
  port    = 22
  name    = "web"
}

resource "tencentcloud_dasb_bind_device_resource" "web" {
  resource_id   = tencentcloud_dasb_resource.bastion.id
  device_id_set = [tencentcloud_dasb_device.web.id]
}

resource "tencentcloud_dasb_acl" "ops" {
  name                = "ops"
  allow_any_account   = false
  allow_disk_redirect = false
  allow_file_del      = true
  cmd_template_id_set = [1]
  device_id_set       = [tencentcloud_dasb_device.web.id]
}
'''


def test_every_supported_resource_maps_onto_the_estate(tmp_path: Path):
    (tmp_path / "main.tf").write_text(CONFIG)
    estate = build_estate(directory_resources(tmp_path))
    vpcs = {v.name: v.vpc_id for v in estate.vpc.vpcs}
    peering = estate.vpc.peerings[0]
    assert (peering.source_vpc_id, peering.peer_vpc_id) == (vpcs["prod"], vpcs["dev"])
    assert peering.state == "ACTIVE" and peering.source_region == "ap-guangzhou"
    ccn = estate.vpc.ccns[0]
    assert [a.instance_id for a in ccn.attachments] == [vpcs["prod"]]
    group = estate.vpc.security_groups[0]
    assert [(r.action, r.cidr, r.source_security_group_id, r.port, r.protocol) for r in group.ingress] == [
        ("ACCEPT", "0.0.0.0/0", None, "3306", "TCP"), ("DROP", None, "sg-abc123", "ALL", "ALL"),
        ("ACCEPT", "10.1.0.0/16", None, "22", "TCP")]
    bucket = estate.cos.buckets[0]
    assert bucket.acl.public_write and not bucket.acl.public_read
    assert bucket.logging_target == "logs-1250000001"
    assert bucket.policy is not None and bucket.policy["Statement"][0]["Principal"] == {"qcs": ["*"]}
    master = next(i for i in estate.cdb.instances if i.role == "master")
    dr = next(i for i in estate.cdb.instances if i.role == "dr")
    assert dr.master_instance_id == master.instance_id
    assert [link.instance_id for link in master.dr_links] == [dr.instance_id]
    assert "dr_links" in master.unreadable  # whether the copy keeps up is known only once it runs
    assert master.remote_backup is not None and master.remote_backup.regions == ["ap-shanghai"]
    assert master.multi_az is False
    track = estate.cloudaudit.tracks[0]
    assert (track.status, track.storage_type, track.storage_name) == (1, "cos", "audit")
    bastion = estate.dasb.resources[0]
    device = estate.dasb.devices[0]
    assert device.bastion_resource_id == bastion.bastion_id and device.private_ip == "10.0.1.5"
    acl = estate.dasb.acls[0]
    assert acl.device_ids == [device.device_id] and acl.cmd_template_ids == ["1"] and acl.allow_file_delete
    assert sorted(estate.services) == ["cdb", "cloudaudit", "cos", "dasb", "vpc"]
    assert {r.region for r in estate.vpc.vpcs} == {"ap-guangzhou"}


def test_every_check_judges_plan_estates_without_crashing(tmp_path: Path):
    import json

    from dr_audit.cli import main

    from .helpers import ESTATE_PLAN, PACK

    (tmp_path / "main.tf").write_text(CONFIG)
    for target in (tmp_path, ESTATE_PLAN):
        output = tmp_path / "report.json"
        assert main(["plan", str(target), "--pack", PACK, "--format", "json", "--output", str(output)]) in (1, 3)
        crashed = [f for f in json.loads(output.read_text())["findings"] if "failed to evaluate" in f["message"]]
        assert crashed == []


CAM = '''
resource "tencentcloud_cam_policy" "read" {
  name     = "read"
  document = jsonencode({
    version   = "2.0"
    statement = [{ effect = "allow", action = ["cos:GetObject"], resource = ["*"] }]
  })
}

resource "tencentcloud_cam_group" "ops" {
  name = "ops"
}

resource "tencentcloud_cam_group_policy_attachment" "ops" {
  group_id  = tencentcloud_cam_group.ops.id
  policy_id = tencentcloud_cam_policy.read.id
}

resource "tencentcloud_cam_user" "alice" {
  name    = "alice"
  use_api = true
}

resource "tencentcloud_cam_group_membership" "ops" {
  group_id   = tencentcloud_cam_group.ops.id
  user_names = [tencentcloud_cam_user.alice.name]
}

resource "tencentcloud_cam_role" "deployer" {
  name     = "deployer"
  document = jsonencode({ version = "2.0", statement = [{ effect = "allow", action = ["name/sts:AssumeRole"] }] })
}

resource "tencentcloud_cam_role_policy_attachment" "deployer" {
  role_id   = tencentcloud_cam_role.deployer.id
  policy_id = "1"
}
'''


def test_cam_groups_memberships_roles_and_preset_policies(tmp_path: Path):
    (tmp_path / "cam.tf").write_text(CAM)
    estate = build_estate(directory_resources(tmp_path))
    policy = estate.cam.policies[0]
    group = estate.cam.groups[0]
    user = estate.cam.users[0]
    role = estate.cam.roles[0]
    assert group.policy_ids == [policy.policy_id]
    assert user.group_ids == [group.group_id]
    assert estate.cam.effective_policy_ids(user) == [policy.policy_id]
    assert role.policy_ids == ["1"]  # a preset policy id made elsewhere: kept as it is written
    assert role.trust_document is not None and role.trust_document["version"] == "2.0"
    # Key use and MFA are not in a plan: unreadable, so the checks that need them cannot pass on a guess.
    assert {"access_keys", "login_protection", "action_protection"} <= set(user.unreadable)
