"""What a check author imports: the decorator, parameters, results and the Estate models.

Built-in checks in checks/ use exactly this module, as a third-party check would.
"""

from .estate import *  # noqa: F403 - the Estate models are part of the check author's vocabulary
from .estate import __all__ as _estate_all
from .findings import Result, Severity, Status
from .registry import ALL_SOURCES, EVIDENCE_SOURCES, CheckParams, check
from .scope import Scope

__all__ = ["ALL_SOURCES", "EVIDENCE_SOURCES", "CheckParams", "Result", "Scope", "Severity", "Status", "check",
           *_estate_all]

# What a principal can do (the CAM policy evaluator) and which buckets are protected or backups.
from . import cam_policy  # noqa: E402
from .scope import classify_buckets  # noqa: E402

__all__ += ["cam_policy", "classify_buckets"]

# Protected and backup buckets with what kept a role from being known (estate.cos.roles), for the COS checks.
from .estate.cos import BucketRoles  # noqa: E402

__all__ += ["BucketRoles"]

# What a security group lets in (first-match rule evaluation), for the network and bastion checks.
from . import netrules  # noqa: E402

__all__ += ["netrules"]
