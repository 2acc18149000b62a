"""Reading the user's files (snapshots, packs, plans, waivers, reports, drill plans, evidence) within documented
limits: every failure, a limit passed included, is one line naming the file, raised as BadInput or the caller's
subclass of it.

Limits (each overridable by its environment variable):

- DR_AUDIT_MAX_FILE_MB (64): a snapshot, plan JSON, .tf file or JSON report.
- DR_AUDIT_MAX_CONFIG_MB (4): a pack, waivers file or drill plan (YAML costs far more memory per byte than JSON).
- DR_AUDIT_MAX_EVIDENCE_MB (50): one drill evidence file (kept whole in the history store).
- DR_AUDIT_MAX_DEPTH (100): nesting of objects and lists.
- DR_AUDIT_MAX_STRING_CHARS (1,000,000): any one string value.
- DR_AUDIT_MAX_NAME_CHARS (1,024): an id or name (a key ending in id, name, account, region, arn, address, uin or
  bucket, and every mapping key): these are copied into every finding about the resource.
- Integers fit in 64 bits and numbers are finite (no NaN, Infinity or 1e400).
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import BadInput

if TYPE_CHECKING:
    import yaml

MB = 1024 * 1024
INT_BITS = 64
# Keys whose values are identifiers or names: copied into finding ids, messages and every output format.
NAME_SUFFIXES = ("id", "name", "account", "region", "arn", "address", "uin", "bucket")
# YAML aliases can make a small file a tree of billions of nodes; a config file never has this many values.
MAX_YAML_VALUES = 1_000_000


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 64 * MB
    config_bytes: int = 4 * MB
    evidence_bytes: int = 50 * MB
    depth: int = 100
    string_chars: int = 1_000_000
    name_chars: int = 1024

    @classmethod
    def from_env(cls) -> Limits:
        default = cls()
        return cls(file_bytes=_env_int("DR_AUDIT_MAX_FILE_MB", default.file_bytes // MB) * MB,
                   config_bytes=_env_int("DR_AUDIT_MAX_CONFIG_MB", default.config_bytes // MB) * MB,
                   evidence_bytes=_env_int("DR_AUDIT_MAX_EVIDENCE_MB", default.evidence_bytes // MB) * MB,
                   depth=_env_int("DR_AUDIT_MAX_DEPTH", default.depth),
                   string_chars=_env_int("DR_AUDIT_MAX_STRING_CHARS", default.string_chars),
                   name_chars=_env_int("DR_AUDIT_MAX_NAME_CHARS", default.name_chars))


ENV_OF = {"file_bytes": "DR_AUDIT_MAX_FILE_MB", "config_bytes": "DR_AUDIT_MAX_CONFIG_MB",
          "evidence_bytes": "DR_AUDIT_MAX_EVIDENCE_MB", "depth": "DR_AUDIT_MAX_DEPTH",
          "string_chars": "DR_AUDIT_MAX_STRING_CHARS", "name_chars": "DR_AUDIT_MAX_NAME_CHARS"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"{name}={raw[:40]!r} is not a whole number") from None
    if not 1 <= value <= 1_000_000_000:
        raise BadInput(f"{name}={value} is out of range (1 to 1000000000)")
    return value


def limits() -> Limits:
    return Limits.from_env()


# -- files ------------------------------------------------------------------------------------------------------


def read_bytes(path: Path, what: str, error: type[BadInput] = BadInput, limit: int | None = None) -> bytes:
    """The file's bytes, if it is a regular file no larger than `limit` (DR_AUDIT_MAX_FILE_MB by default).

    Opened without blocking and checked before reading: a FIFO or device would otherwise hang or never end.
    """
    size_limit = limit if limit is not None else limits().file_bytes
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror}") from None
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise error(f"{path}: is a directory, not a {what}")
        if not stat.S_ISREG(status.st_mode):
            raise error(f"{path}: is not a regular file (a FIFO, device or socket), not a {what}")
        if status.st_size > size_limit:
            raise error(_too_large(path, what, size_limit, limit))
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read(size_limit + 1)  # a file growing while read still stops at the limit
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > size_limit:
        raise error(_too_large(path, what, size_limit, limit))
    return data


def _too_large(path: Path, what: str, size_limit: int, explicit: int | None) -> str:
    how = f"{size_limit // MB} MB" if size_limit % MB == 0 else f"{size_limit} bytes"
    current = limits()
    env = next((ENV_OF[name] for name in ("file_bytes", "config_bytes", "evidence_bytes")
                if getattr(current, name) == size_limit), None) if explicit is not None else ENV_OF["file_bytes"]
    return f"{path}: {what} larger than the limit of {how}" + (f" (raise it with {env})" if env else "")


def read_text(path: Path, what: str, error: type[BadInput] = BadInput, limit: int | None = None) -> str:
    return _decoded(read_bytes(path, what, error, limit), path, what, error)


def _decoded(data: bytes, path: Path, what: str, error: type[BadInput]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: cannot read {what}: not UTF-8 text (byte {exc.start})") from None


def read_json(path: Path, what: str, parsed_as: str, error: type[BadInput] = BadInput, hint: str = "",
              parse: Callable[[bytes], Any] | None = None) -> Any:
    """The value of a JSON file (`what`, a `parsed_as` inside): read_text and parse_json in one, the limit scans
    made on the bytes as read, so no copy of a text of hundreds of megabytes is made to scan it.

    Its strings are scanned before the values are made, its nesting and numbers once the bytes parsed: on a text
    that does not, those passes could take a hundred times its reading. pydantic-core parses it, sharing one
    string object among equal short strings (the accounts, regions and states repeated in every resource); a text
    it refuses is parsed again by json, which words the refusal as before or accepts what only json accepts (an
    escaped lone surrogate, nesting past pydantic-core's 200 levels) for the limits to judge.

    `parse`, when given, makes the value straight from the bytes when the scans vouch for every string and number
    in them, and is kept if the text's nesting is within the limit once it parsed; when it raises ValueError the
    text is read as any other, so that the caller can word the refusal as before."""
    from pydantic_core import from_json  # here: a plan's reader in its child process may never need it

    data = read_bytes(path, what, error)
    if not data.isascii():
        _decoded(data, path, what, error)  # refused here unless UTF-8, naming the byte
    skeleton = _skeleton(data)
    # pydantic-core reads NaN and Infinity as numbers, which a snapshot cannot hold: such a text, or one merely
    # holding the words, is read as any other.
    if (parse is not None and skeleton is not None and b"NaN" not in data and b"Infinity" not in data
            and _numbers_plainly_within_limits(data)):
        try:
            parsed = parse(data)
        except ValueError:
            pass
        else:
            if _nesting_within_limit(skeleton):
                return parsed
            del parsed
    try:
        value = from_json(data, allow_inf_nan=False, cache_strings="all")
    except ValueError:
        value, unusual = _loads(data.decode("utf-8"), path, parsed_as, error, hint)
    else:
        unusual = not _numbers_plainly_within_limits(data)
    del data
    if unusual or skeleton is None or not _nesting_within_limit(skeleton):
        check_values(value, path, parsed_as, error)  # the walk decides, and names what is over which limit
    return value


def read_config_text(path: Path, what: str, error: type[BadInput] = BadInput) -> str:
    """A YAML file the user writes (pack, waivers, drill plan), within DR_AUDIT_MAX_CONFIG_MB."""
    return read_text(path, what, error, limits().config_bytes)


# -- parsed values ------------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


class _Numbers:
    """json.loads hooks noting a number check_values could refuse (past 64 bits, or not finite), so a JSON text
    whose scan finds nothing else over a limit need not have its values walked."""

    def __init__(self) -> None:
        self.unusual = False

    def integer(self, digits: str) -> int:
        if len(digits) > 18:  # 18 digits always fit in 64 bits
            self.unusual = True
        return int(digits)

    def real(self, text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            self.unusual = True
        return value


def parse_json(text: str | bytes, path: Path, what: str, error: type[BadInput] = BadInput, hint: str = "") -> Any:
    value, unusual = _loads(text, path, what, error, hint)
    if unusual or not isinstance(text, str) or not plainly_within_limits(text):
        check_values(value, path, what, error)  # the walk decides, and names what is over which limit
    return value


def _loads(text: str | bytes, path: Path, what: str, error: type[BadInput], hint: str) -> tuple[Any, bool]:
    """The JSON text's value, and whether a number in it may be over a limit."""
    numbers = _Numbers()
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_int=numbers.integer, parse_float=numbers.real)
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not a JSON {what} (line {exc.lineno}: {exc.msg}){hint}") from None
    except RecursionError:
        raise error(f"{path}: not a usable JSON {what}: nested deeper than {limits().depth} levels") from None
    except ValueError as exc:  # an integer past Python's digit limit, or NaN/Infinity
        problem = "an integer of thousands of digits" if "digits" in str(exc) else _first_line(exc)
        raise error(f"{path}: not a usable JSON {what}: {problem} (integers must fit in {INT_BITS} bits)") from None
    return data, numbers.unusual


# A JSON escape, replaced by one character when measuring strings: the raw text of a string is never shorter than
# the string it decodes to.
_ESCAPE_BYTES = re.compile(rb"\\.", re.DOTALL)
# \uD800 to \uDFFF: half of a surrogate pair, or a lone surrogate no output can encode.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_STRING = re.compile(rb'"[^"]*"')
# Keep the quotes and brackets of a UTF-8 text, objects and lists alike as [ ]: its skeleton. UTF-8 never uses an
# ASCII byte inside a multi-byte character, so no other character can leave a quote or bracket behind.
_KEEP = b'"[]{}'
_SKELETON_TABLE = bytes.maketrans(b"{}", b"[]")
_NOT_SKELETON = bytes(byte for byte in range(256) if byte not in _KEEP)


def plainly_within_limits(text: str, encoded: bytes | None = None) -> bool:
    """Whether a JSON text that parsed holds no string or key over a length limit, no lone surrogate and no nesting
    past the depth limit, decided by scans of the text at C speed (a tenth of walking its values). False means "walk
    the values to know"; it is the answer for anything unusual (escaped surrogate pairs, any string longer than the
    name limit), so the walk keeps the last word. `encoded` is the text's UTF-8 when the caller holds it (the
    file's bytes), which spares a copy."""
    if not text.isascii() and _SURROGATE.search(text):
        return False
    skeleton = _skeleton(text.encode("utf-8") if encoded is None else encoded)
    return skeleton is not None and _nesting_within_limit(skeleton)


def _skeleton(data: bytes) -> bytes | None:
    """The objects and lists of a UTF-8 JSON text as brackets alone (its strings taken away), or None when a
    string or key in it may be over a length limit or holds an escaped lone surrogate. Linear in the text's
    length, whatever the text."""
    lim = limits()
    if b"\\" in data:
        if _SURROGATE_ESCAPE.search(data):
            return None
        data = _ESCAPE_BYTES.sub(b"_", data)
    shortest = min(lim.string_chars, lim.name_chars)
    # A string's UTF-8 is never shorter than the string, so a long run of bytes may only be a long string. Also met
    # between two strings (from a closing quote to the next opening one): that is only a needless walk.
    if _may_run_without_quote(data, shortest + 1) and re.search(b'"[^"]{%d,}"' % (shortest + 1), data):
        return None
    skeleton = data.translate(_SKELETON_TABLE, _NOT_SKELETON).replace(b'""', b"")
    del data
    if b'"' in skeleton:  # strings holding brackets: drop what their quotes enclose (pairs removed so far were empty)
        skeleton = _STRING.sub(b"", skeleton)
    return skeleton


def _nesting_within_limit(skeleton: bytes) -> bool:
    """Whether the brackets of a text that parsed nest no deeper than the depth limit."""
    for _ in range(limits().depth):  # each pass takes away the innermost objects and lists
        if not skeleton:
            return True
        skeleton = skeleton.replace(b"[]", b"")
    return not skeleton


# Past this many blocks a text is searched for long runs by a regular expression instead, at about 2 ns a byte.
_MAX_BLOCKS = 2_000_000


def _may_run_without_quote(data: bytes, length: int) -> bool:
    """Whether `data` may hold `length` bytes in a row without a quote; False is certain.

    Such a run contains a whole block of half its length (the blocks laid end to end from the start), so a text
    with a quote in every block has none: a block's search stops at its first quote, a few bytes in, where a
    regular expression would read every byte twice."""
    block = (length + 1) // 2
    if len(data) // block > _MAX_BLOCKS:
        return True
    starts = range(0, len(data) - block + 1, block)
    return -1 in map(data.find, repeat(ord('"')), starts, range(block, len(data) + 1, block))


# Digits as 0, and E and + as e, so that a run of digits or an exponent is found by searching for one byte string.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789E+", b"000000000ee")
_LONG_INTEGER = b"0" * 19  # the fewest digits of an integer past 64 bits
# The fewest bytes of a number that is not finite without 19 digits in a row: an exponent of three digits (after
# e, E, e+ or E+; a negative one only makes it smaller).
_LONG_EXPONENT = b"e000"
_IN_A_NUMBER = frozenset(b"0.-e")
_BEFORE_A_VALUE = frozenset(b"[:, \t\n\r")
_SCAN_BLOCK = 1 << 20
# A number token's bytes looked back over before giving up.
_LOOK_BACK = 64
# Strings that merely look like numbers passed, per MiB of text, before giving up: ids spell `e` and three digits
# (`snap-d00000e001`), about 80 in a MiB of a realistic snapshot, so a fixed count would send every large snapshot,
# and only large ones, to the walk. Each costs a microsecond or two; the walk costs about 0.1 s a MiB.
_LOOKALIKES_PER_MIB = 2_000


def _numbers_plainly_within_limits(data: bytes) -> bool:
    """Whether every number in a JSON text that parsed is surely an integer of 64 bits or a finite real, decided
    on its bytes (a fifth of walking its values). False means "walk the values to know": the answer for any run of
    19 digits or exponent of three digits that may be a number's, not a string's."""
    lookalikes, most = 0, max(1, len(data) >> 20) * _LOOKALIKES_PER_MIB
    for start in range(0, len(data), _SCAN_BLOCK):
        block = data[start:start + _SCAN_BLOCK + 32].translate(_DIGITS_AS_ZERO)  # each needle whole in one block
        for needle in (_LONG_INTEGER, _LONG_EXPONENT):
            at = block.find(needle)
            while at != -1:
                if _may_be_a_number(block, at):
                    return False
                lookalikes += 1
                if lookalikes > most:
                    return False
                at = block.find(needle, at + len(needle))
    return True


def _may_be_a_number(block: bytes, at: int) -> bool:
    """Whether the bytes at `at` may be in a number, not a string: the run of number bytes they are in starts
    where a value may (after [ : , or white space). Certain only when False."""
    start = at
    while start and block[start - 1] in _IN_A_NUMBER:
        start -= 1
        if at - start > _LOOK_BACK:
            return True
    return start == 0 or block[start - 1] in _BEFORE_A_VALUE


def yaml_error(path: Path, exc: yaml.YAMLError) -> str:
    """`FILE:LINE: not valid YAML: PROBLEM`, from whatever position PyYAML knows."""
    mark = getattr(exc, "problem_mark", None)
    where = f":{mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{path}{where}: not valid YAML: {problem}"


_LOADER: type | None = None


def yaml_loader() -> type:
    """PyYAML's safe loader, with an impossible date, an over-long integer or an overflowing number a YAML error at
    its line rather than a crash."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def guarded(construct: Callable[[Any, Any], Any], kind: str) -> Callable[[Any, Any], Any]:
        def constructor(loader: Any, node: Any) -> Any:
            try:
                value = construct(loader, node)
            except (ValueError, OverflowError) as exc:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{str(node.value)[:40]!r} is not a valid {kind} ({_first_line(exc)})",
                    node.start_mark) from None
            if isinstance(value, float) and not math.isfinite(value):
                raise yaml.constructor.ConstructorError(
                    None, None, f"{str(node.value)[:40]!r} is not a finite number", node.start_mark)
            return value
        return constructor

    for tag, kind in (("timestamp", "date or time"), ("int", "integer"), ("float", "number")):
        method = getattr(yaml.SafeLoader, f"construct_yaml_{tag}")
        Loader.add_constructor(f"tag:yaml.org,2002:{tag}", guarded(method, kind))
    _LOADER = Loader
    return Loader


def parse_yaml(text: str | bytes, path: Path, error: type[BadInput] = BadInput) -> Any:
    import yaml  # only when YAML is read: a plan's reader in its child process needs JSON and HCL alone

    try:
        data = yaml.load(text, Loader=yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise error(yaml_error(path, exc)) from None
    except RecursionError:
        raise error(f"{path}: not usable YAML: nested deeper than {limits().depth} levels") from None
    check_values(data, path, "YAML file", error, max_values=MAX_YAML_VALUES)
    return data


def check_values(data: Any, path: Path, what: str, error: type[BadInput] = BadInput,
                 max_values: int | None = None) -> None:
    """Refuse what no real file holds and what would cost unbounded memory or time later: nesting past the depth
    limit, integers past 64 bits, NaN and infinities, strings past the string limit, ids and names past the name
    limit, and (for YAML, whose aliases share nodes) more values than `max_values`.

    Only containers go on the walk's stack; scalars are checked where they are met, which is most of the values of
    a snapshot (a tenth of the cost of loading it, not half)."""
    lim = limits()
    bound = 1 << (INT_BITS - 1)
    shortest = min(lim.string_chars, lim.name_chars)

    def scalar(value: Any, key: str) -> None:
        if isinstance(value, str):
            if len(value) > shortest:
                if len(value) > lim.string_chars:
                    raise error(f"{path}: {_at(key)}a string of {len(value)} characters, over the limit of "
                                f"{lim.string_chars} (DR_AUDIT_MAX_STRING_CHARS)")
                if len(value) > lim.name_chars and _is_name(key):
                    raise error(f"{path}: {_at(key)}an id or name of {len(value)} characters, over the limit of "
                                f"{lim.name_chars} (DR_AUDIT_MAX_NAME_CHARS)")
            if not value.isascii() and not _encodable(value):
                raise error(f"{path}: {_at(key)}a string that is not valid Unicode (a lone surrogate, \\ud800)")
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int):
            if not -bound <= value < bound:
                raise error(f"{path}: {_at(key)}an integer beyond {INT_BITS} bits")
        elif isinstance(value, float) and not math.isfinite(value):
            raise error(f"{path}: {_at(key)}a number that is not finite")

    if not isinstance(data, dict | list):
        scalar(data, "")
        return
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    seen = 1
    while stack:
        value, depth, key = stack.pop()
        if depth > lim.depth:
            raise error(f"{path}: {what} nested deeper than {lim.depth} levels (DR_AUDIT_MAX_DEPTH)")
        seen += len(value)
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str):  # YAML allows numbers, dates and more as keys
                    seen += 1
                    if isinstance(k, dict | list):
                        stack.append((k, depth + 1, ""))
                    else:
                        scalar(k, "")
                    k = ""
                elif len(k) > lim.name_chars:
                    raise error(f"{path}: a key of {len(k)} characters, over the limit of {lim.name_chars} "
                                "(DR_AUDIT_MAX_NAME_CHARS)")
                elif not k.isascii() and not _encodable(k):
                    raise error(f"{path}: a key that is not valid Unicode (a lone surrogate, \\ud800)")
                if isinstance(v, dict | list):
                    stack.append((v, depth + 1, k))
                else:
                    scalar(v, k)
        else:
            for item in value:
                if isinstance(item, dict | list):
                    stack.append((item, depth + 1, key))
                else:
                    scalar(item, key)
        if max_values is not None and seen > max_values:
            raise error(f"{path}: {what} expands to more than {max_values} values (YAML aliases?)")


def _encodable(text: str) -> bool:
    """JSON's \\ud800 escapes decode to lone surrogates, which no output (file, terminal, database) can encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_name(key: str) -> bool:
    word = key.replace("_", "").replace("-", "").lower()
    return word.endswith(NAME_SUFFIXES) or word.endswith(PLURAL_NAME_SUFFIXES)


PLURAL_NAME_SUFFIXES = tuple(f"{suffix}s" for suffix in NAME_SUFFIXES) + ("addresses",)


def check_shape(data: Any, shape: Any, path: Path, what: str, error: type[BadInput] = BadInput,
                where: str = "") -> None:
    """Refuse a document whose parts a reader walks are of the wrong type, naming the first such part.

    `shape` is a type (or tuple of types) the value must be; a dict of key -> shape for an object (a key ending in
    "!" must be present, others may be absent or null; the key "*" alone: every value of a map); a one-item list
    [shape] for a list of such items; or None for anything. A zero-argument function returning a shape stands for
    it in recursive documents (modules within modules).
    """
    stack: list[tuple[Any, Any, str]] = [(data, shape, where)]
    while stack:
        value, expected, at = stack.pop()
        if callable(expected) and not isinstance(expected, type):
            expected = expected()
        if expected is None:
            continue
        label = at or "(top level)"
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise error(f"{path}: {label}: expected an object in a {what}, found {_kind(value)}")
            if "*" in expected:  # a map: every value of this shape
                stack.extend((item, expected["*"], f"{at}.{key}" if at else str(key)) for key, item in value.items())
                continue
            for key, part in expected.items():
                name, required = key.rstrip("!"), key.endswith("!")
                if value.get(name) is None:
                    if required:
                        raise error(f"{path}: {label}: {name} is missing from a {what}")
                    continue
                stack.append((value[name], part, f"{at}.{name}" if at else name))
        elif isinstance(expected, list):
            if not isinstance(value, list):
                raise error(f"{path}: {label}: expected a list in a {what}, found {_kind(value)}")
            stack.extend((item, expected[0], f"{at}[{i}]") for i, item in enumerate(value))
        elif not isinstance(value, expected) or (isinstance(value, bool) and expected in (int, float, (int, str))):
            raise error(f"{path}: {label}: expected {_type_names(expected)} in a {what}, found {_kind(value)}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _type_names(expected: Any) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(_kind(kind()) if kind is not type(None) else "null" for kind in kinds)


def _at(key: str) -> str:
    return f"{key[:60]}: " if key else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
