"""Scenario part: off-site cold copies of the protected buckets in another cloud (S3-compatible).

Before the incident (`weimob-2020`) nothing was copied outside Tencent Cloud: the target buckets do not exist. The
`hardened` estate keeps a versioned, COMPLIANCE-locked copy of every protected bucket in the other cloud, moved to
GLACIER or DEEP_ARCHIVE by lifecycle and synced two hours ago. The target names and buckets match the pack's
`scope.offsite_targets` (OFFSITE_TARGETS below is the list the pack must carry).
"""

from __future__ import annotations

from ..estate import Estate, LifecycleRule, ObjectLock, OffsiteCopy, Transition
from .world import MEDIA, ORDERS, World

OFFSITE_TARGET = "othercloud-cold"
OFFSITE_REGION = "us-east-1"
# (off-site bucket, protected COS bucket it copies, cold storage class it ends up in)
OFFSITE_COPIES = (
    ("weimob-media-offsite", MEDIA, "GLACIER"),
    ("weimob-orders-offsite", ORDERS, "DEEP_ARCHIVE"),
)
# The scope.offsite_targets entries that name these copies (no endpoint: --demo gives its own).
OFFSITE_TARGETS = [
    {"name": OFFSITE_TARGET, "provider": "s3-compatible", "region": OFFSITE_REGION, "bucket": bucket,
     "source_bucket": source}
    for bucket, source, _ in OFFSITE_COPIES
]


def build(world: World, estate: Estate) -> None:
    if not world.hardened:
        return
    for bucket, source, storage_class in OFFSITE_COPIES:
        estate.offsite.copies.append(OffsiteCopy(
            account=f"offsite:{OFFSITE_TARGET}",
            region=OFFSITE_REGION,
            target=OFFSITE_TARGET,
            bucket=bucket,
            source_bucket=source,
            versioning="Enabled",
            object_lock=ObjectLock(enabled=True, mode="COMPLIANCE", days=365),
            lifecycle=[LifecycleRule(id="to-cold", transitions=[Transition(days=1, storage_class=storage_class)],
                                     noncurrent_transitions=[Transition(days=1, storage_class=storage_class)])],
            newest_object_at=world.ago(hours=2),
            newest_object_storage_class="STANDARD",  # written hot, moved cold by the lifecycle the next day
            object_count_sampled=1,
        ))
