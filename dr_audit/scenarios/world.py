"""The demo company's topology, shared by every domain builder so the scenarios hang together.

One account in three regions: production in ap-shanghai, disaster recovery in ap-beijing and ap-nanjing, and
development and test beside production. The `weimob-2020` variant is the estate before the February 2020 incident;
`hardened` keeps every promise. Names and ids here are the single source of truth for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

ACCOUNT = "100000000001"
APPID = "1250000001"
PRIMARY = "ap-shanghai"
DR_REGIONS = ("ap-beijing", "ap-nanjing")
REGIONS = (PRIMARY, *DR_REGIONS)


def bucket(name: str) -> str:
    """COS bucket names carry the APPID."""
    return f"{name}-{APPID}"


@dataclass(frozen=True)
class Host:
    instance_id: str
    name: str
    env: str  # prod / test / dev
    app: str
    zone: str
    vpc_id: str
    security_group_id: str
    private_ip: str
    region: str = PRIMARY

    @property
    def disk_ids(self) -> tuple[str, str]:
        suffix = self.instance_id.removeprefix("ins-")
        return (f"disk-sys-{suffix}", f"disk-data-{suffix}")


@dataclass(frozen=True)
class Network:
    vpc_id: str
    name: str
    env: str
    cidr: str
    region: str = PRIMARY


@dataclass
class World:
    """Everything the domain builders share. `now` anchors every timestamp so runs are reproducible."""

    now: datetime
    hardened: bool
    networks: list[Network] = field(default_factory=list)
    hosts: list[Host] = field(default_factory=list)

    def ago(self, **delta: float) -> datetime:
        """A moment before `now`, truncated to whole seconds (the APIs report seconds)."""
        return (self.now - timedelta(**delta)).replace(microsecond=0)

    @property
    def prod_hosts(self) -> list[Host]:
        return [h for h in self.hosts if h.env == "prod"]


def make_world(now: datetime, hardened: bool) -> World:
    networks = [
        Network("vpc-prod01", "prod-shanghai", "prod", "10.0.0.0/16"),
        Network("vpc-test01", "test-shanghai", "test", "10.20.0.0/16"),
        Network("vpc-dev001", "dev-shanghai", "dev", "10.30.0.0/16"),
        Network("vpc-drbj01", "prod-dr-beijing", "prod", "10.100.0.0/16", region="ap-beijing"),
    ]
    # Before the incident the second mall host sat in the same zone as the first, and a test host shared the
    # production VPC; the hardened estate spreads every production app over two zones and keeps test apart.
    mall_2_zone = "ap-shanghai-3" if hardened else "ap-shanghai-2"
    test_vpc = "vpc-test01" if hardened else "vpc-prod01"
    test_sg = "sg-test0001" if hardened else "sg-prod0001"
    hosts = [
        Host("ins-mall0001", "mall-web-1", "prod", "mall", "ap-shanghai-2", "vpc-prod01", "sg-prod0001", "10.0.1.11"),
        Host("ins-mall0002", "mall-web-2", "prod", "mall", mall_2_zone, "vpc-prod01", "sg-prod0001", "10.0.2.12"),
        Host("ins-crm00001", "crm-app-1", "prod", "crm", "ap-shanghai-2", "vpc-prod01", "sg-prod0001", "10.0.1.21"),
        Host("ins-crm00002", "crm-app-2", "prod", "crm", "ap-shanghai-3", "vpc-prod01", "sg-prod0001", "10.0.2.22"),
        Host("ins-test0001", "mall-test-1", "test", "mall", "ap-shanghai-2", test_vpc, test_sg, "10.20.1.11"
             if hardened else "10.0.9.11"),
        Host("ins-dev00001", "mall-dev-1", "dev", "mall", "ap-shanghai-2", "vpc-dev001", "sg-dev00001", "10.30.1.11"),
    ]
    return World(now=now, hardened=hardened, networks=networks, hosts=hosts)


# COS buckets (full names carry the APPID). Protected buckets hold primary data in the primary region; replicas
# live in the DR regions; the audit and access-log buckets are targets, not primary data.
MEDIA = bucket("media")  # product images and merchant uploads, ap-shanghai
ORDERS = bucket("orders-archive")  # order exports, ap-shanghai
MEDIA_REPLICA_BJ = bucket("media-replica-bj")  # ap-beijing
MEDIA_REPLICA_NJ = bucket("media-replica-nj")  # ap-nanjing
ORDERS_REPLICA_BJ = bucket("orders-replica-bj")  # ap-beijing
AUDIT_LOGS = bucket("audit-logs")  # CloudAudit track storage, ap-shanghai
ACCESS_LOGS = bucket("access-logs")  # COS access-log target, ap-shanghai
ORDERS_COPY = bucket("orders-copy")  # weimob-2020 only: a same-region "backup" of orders, ap-shanghai
PROTECTED_BUCKETS = (MEDIA, ORDERS)
REPLICA_BUCKETS = (MEDIA_REPLICA_BJ, MEDIA_REPLICA_NJ, ORDERS_REPLICA_BJ)

# MySQL instances: two production databases and one for development.
MYSQL_PROD = ("cdb-mall0001", "cdb-crm00001")
MYSQL_DEV = "cdb-dev00001"
# The hardened estate's disaster-recovery instance for each production database, in ap-beijing.
MYSQL_DR = {"cdb-mall0001": "cdb-drmall01", "cdb-crm00001": "cdb-drcrm001"}

# The bastion host and the people.
BASTION_ID = "bh-saas-weimob01"
BASTION_SG = "sg-bastion01"
BREAK_GLASS_USER = "breakglass-admin"
