"""What a check author imports: the decorator, parameters, results and the Estate models.

Built-in checks in checks/ use exactly this module, as a third-party check would.
"""

from . import cam_policy, netrules  # what a principal may do; what a security group lets in
from .estate import *  # noqa: F403 - the Estate models are part of the check author's vocabulary
from .estate import __all__ as _estate_all
from .estate.cos import BucketRoles  # protected and backup buckets, and what kept a role from being known
from .findings import Result, Severity, Status
from .registry import ALL_SOURCES, EVIDENCE_SOURCES, CheckParams, check
from .scope import Scope

__all__ = ["ALL_SOURCES", "EVIDENCE_SOURCES", "BucketRoles", "CheckParams", "Result", "Scope", "Severity", "Status",
           "cam_policy", "check", "netrules", *_estate_all]
