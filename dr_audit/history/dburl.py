"""The history store's URL read without a database library: SQLite at a path, or PostgreSQL's parts for psycopg.

The URLs are the ones earlier releases took (SQLAlchemy's spelling): `sqlite:///relative.db`, `sqlite:////abs.db`,
`sqlite://` (in memory), `postgresql://user:password@host:port/db?sslmode=require`, with or without `+psycopg`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote

from ..errors import BadInput

POSTGRES_EXTRA = "pip install 'dr-audit[postgres]'"
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>.*)$", re.DOTALL)
_QUERY_PASSWORD = re.compile(r"(^|&)password=[^&]*")
_SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
# psycopg2 URLs keep working: psycopg 3 speaks the same protocol and takes the same connection options.
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")
_SHAPES = "sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"


@dataclass(frozen=True)
class StoreURL:
    backend: str  # "sqlite" or "postgresql"
    shown: str  # the URL as a user may see it: password replaced by ***
    path: Path | None = None  # SQLite: the file; None keeps the store in memory
    connect_args: dict[str, str] = field(default_factory=dict)  # PostgreSQL: libpq connection options
    password: str = ""  # kept out of `shown` and of every error message


class UnusableURL(BadInput):
    """The URL is not one the history store can use; the message never holds the password."""


def parse(url: str) -> StoreURL:
    match = _SCHEME.match(url)
    if match is None:
        raise UnusableURL(f"history store {hidden(url)}: not a usable database URL (expected {_SHAPES})")
    scheme, rest = match["scheme"].lower(), match["rest"]
    if scheme in _SQLITE_SCHEMES:
        return _sqlite(url, rest)
    if scheme in _POSTGRES_SCHEMES:
        return _postgres(url, rest)
    raise UnusableURL(f"history store {hidden(url)}: not a usable database URL ({scheme!r} is not supported; "
                      f"the store is {_SHAPES})")


def hidden(url: str) -> str:
    """`url` with any password replaced by *** (everything between the first ':' and the last '@' of its
    credentials): safe to print even when the URL cannot be parsed."""
    match = _SCHEME.match(url)
    if match is None:
        return "<unparsable URL>"
    main, mark, query = match["rest"].partition("?")
    query = _QUERY_PASSWORD.sub(r"\1password=***", query)  # libpq also takes the password as an option
    credentials, at, location = main.rpartition("@")
    if at and ":" in credentials:
        main = f"{credentials.partition(':')[0]}:***@{location}"
    return f"{match['scheme']}://{main}{mark}{query}"


def _sqlite(url: str, rest: str) -> StoreURL:
    path_text, mark, query = rest.partition("?")
    if query or mark:
        raise UnusableURL(f"history store {hidden(url)}: not a usable database URL (a SQLite store takes no "
                          "options: sqlite:///PATH)")
    if path_text and not path_text.startswith("/"):
        raise UnusableURL(f"history store {hidden(url)}: not a usable database URL (a SQLite URL has no host: "
                          "sqlite:///PATH)")
    database = path_text[1:]
    return StoreURL("sqlite", url, path=Path(database) if database not in ("", ":memory:") else None)


def _postgres(url: str, rest: str) -> StoreURL:
    main, _, query = rest.partition("?")
    credentials, at, location = main.rpartition("@")  # a password may hold '/' or ':' unescaped, as before
    hosts, _, database = location.partition("/")
    args: dict[str, str] = {}
    if at:
        user, colon, password = credentials.partition(":")
        if user:
            args["user"] = unquote(user)
        if colon:
            args["password"] = unquote(password)
    names, ports = [], []
    for host in hosts.split(",") if hosts else []:
        name, port = _host_and_port(url, host)
        names.append(name)
        ports.append(port)
    if any(names):
        args["host"] = ",".join(names)
    if any(ports):
        args["port"] = ",".join(ports)
    if database:
        args["dbname"] = unquote(database)
    for key, value in parse_qsl(query, keep_blank_values=True):
        args[key] = value
    return StoreURL("postgresql", hidden(url), connect_args=args, password=args.get("password", ""))


def _host_and_port(url: str, host: str) -> tuple[str, str]:
    if host.startswith("["):  # an IPv6 address, [::1]:5432
        address, bracket, port = host[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            raise UnusableURL(f"history store {hidden(url)}: not a usable database URL (bad host {host!r})")
        return address, port[1:]
    name, _, port = host.partition(":")
    if port and not port.isdigit():
        raise UnusableURL(f"history store {hidden(url)}: not a usable database URL (port {port!r} is not a number)")
    return unquote(name), port


def check_postgres_driver(target: StoreURL) -> None:
    """psycopg imports, or the user is told in one line how to install PostgreSQL support."""
    if target.backend != "postgresql":
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise BadInput(f"history store {target.shown}: PostgreSQL support is not installed: {POSTGRES_EXTRA} "
                       "(or keep the history in SQLite with --history FILE)") from None


def scrub(text: str, target: StoreURL) -> str:
    """`text` on one line, without the store's password even where a driver quoted it."""
    line = " ".join(text.split())
    if target.password:
        line = line.replace(target.password, "***")
    return line[:300]
