"""dr-audit: prove that disaster-recovery and access-control promises hold on a Tencent Cloud estate."""

__version__ = "0.1.0"
