"""Scope: how a promise pack names environments, break-glass principals, bucket roles and required regions."""

from __future__ import annotations

import fnmatch

from pydantic import BaseModel, ConfigDict, Field

from .fields import new_list

# Providers whose S3 endpoint boto3 knows from the region; every other provider needs an endpoint configured.
PROVIDERS_WITH_DEFAULT_ENDPOINT = frozenset({"aws"})


class OffsiteTarget(BaseModel):
    """An S3-compatible bucket in another cloud that keeps a cold copy of a protected COS bucket.

    A shipped pack names the provider, region and bucket only: where the provider's endpoint is depends on who runs
    the audit, so it comes from the environment (see `dr_audit.collect.offsite_setup`) or a local copy of the pack.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    provider: str = Field("s3-compatible", min_length=1)  # "aws", or any S3-compatible cloud (needs an endpoint)
    endpoint_url: str | None = None  # a local override; shipped packs leave it out
    region: str = "us-east-1"
    bucket: str
    source_bucket: str
    # Names of environment variables holding the keys; the standard AWS chain is used when absent.
    access_key_env: str | None = None
    secret_key_env: str | None = None


class BucketSelection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include: list[str] = Field(default_factory=new_list)  # globs on bucket names; empty = the default selection
    exclude: list[str] = Field(default_factory=new_list)


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    env_tag_key: str = "env"
    environments: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "prod": ["prod", "production", "prd"],
            "test": ["test", "testing", "qa", "uat", "staging", "stg"],
            "dev": ["dev", "development"],
        }
    )
    app_tag_key: str = "app"
    break_glass: list[str] = Field(default_factory=new_list)  # principal names or UINs (globs)
    protected_buckets: BucketSelection = Field(default_factory=BucketSelection)
    backup_buckets: BucketSelection = Field(default_factory=BucketSelection)
    required_regions: list[str] = Field(default_factory=new_list)
    offsite_targets: list[OffsiteTarget] = Field(default_factory=new_list)
    bastion_security_groups: list[str] = Field(default_factory=new_list)

    def env_of(self, tags: dict[str, str] | None, name: str = "") -> str | None:
        """The environment a resource belongs to, from its env tag (falling back to a name segment), or None."""
        spellings = _spellings_of(self.environments)
        value = tags.get(self.env_tag_key) if tags else None
        if value is not None:
            return spellings.get(value.strip().lower())
        for part in name.lower().replace("_", "-").split("-"):
            env = spellings.get(part.strip())
            if env is not None:
                return env
        return None

    def is_prod(self, tags: dict[str, str] | None, name: str = "") -> bool:
        return self.env_of(tags, name) == "prod"

    def environment_key(self) -> str:
        """Everything `env_of` answers from besides the resource: scopes with equal keys tell environments alike."""
        return repr((self.env_tag_key, self.environments))

    def is_break_glass(self, *identifiers: str) -> bool:
        return any(fnmatch.fnmatchcase(i, pattern) for i in identifiers if i for pattern in self.break_glass)


# Each environments mapping's spelling table, by the mapping's identity (an entry holds the mapping, so the identity
# stays its own). Every host is told apart by its table several times a run: a pydantic private attribute cost more
# to read than the lookup itself.
_SPELLINGS: dict[int, tuple[dict[str, list[str]], dict[str, str]]] = {}


def _spellings_of(environments: dict[str, list[str]]) -> dict[str, str]:
    cached = _SPELLINGS.get(id(environments))
    if cached is None:
        if len(_SPELLINGS) >= 64:  # a long-lived process that makes many scopes keeps only the recent tables
            _SPELLINGS.clear()
        cached = _SPELLINGS[id(environments)] = (environments, _spellings(environments))
    return cached[1]


def _spellings(environments: dict[str, list[str]]) -> dict[str, str]:
    """Each lower-case spelling of an environment (its name or an alias) and the environment it names; the first
    environment listed wins a spelling two of them claim."""
    table: dict[str, str] = {}
    for env, aliases in environments.items():
        table.setdefault(env, env)
        for alias in aliases:
            table.setdefault(alias.lower(), env)
    return table
