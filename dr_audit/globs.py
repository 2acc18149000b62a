"""Glob patterns (`*` any run of characters, `?` one character, all else literal) matched without backtracking.

A pattern is translated once into its literal-ish segments between stars; matching places the first segment at the
start, the last at the end and each middle one at its leftmost fit. Leftmost is always safe because every segment
has a fixed length, so a match costs at most O(len(text) x len(pattern)) whatever the pattern: `*?*?*?*?X` cannot
stall a run the way a backtracking regex does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class _Segment:
    """Text between two stars; `?` in it (when wild) matches any one character."""

    text: str
    wild: re.Pattern[str] | None  # None: no wild character, plain string search will do

    def fits_at(self, subject: str, position: int) -> bool:
        if self.wild is None:
            return subject.startswith(self.text, position)
        return self.wild.match(subject, position) is not None

    def find(self, subject: str, start: int, end: int) -> int:
        """The leftmost position in [start, end) where the whole segment fits before `end`, or -1."""
        if self.wild is None:
            return subject.find(self.text, start, end)
        found = self.wild.search(subject, start, end)  # fixed length, no quantifier: nothing to backtrack into
        return found.start() if found else -1


def _segment(text: str, single: bool, flags: int) -> _Segment:
    if not single or "?" not in text:
        return _Segment(text, None if not flags else re.compile(re.escape(text), flags))
    regex = "".join("." if c == "?" else re.escape(c) for c in text)
    return _Segment(text, re.compile(regex, flags | re.DOTALL))


@dataclass(frozen=True)
class Glob:
    """A compiled glob. `single=False` keeps `?` literal (CAM patterns know only `*`)."""

    pattern: str
    head: _Segment
    middle: tuple[_Segment, ...]
    tail: _Segment | None  # None: the pattern has no star, so the head must be the whole text

    def matches(self, text: str) -> bool:
        head, tail = self.head, self.tail
        if tail is None:
            return len(text) == len(head.text) and head.fits_at(text, 0)
        end = len(text) - len(tail.text)
        if end < len(head.text) or not head.fits_at(text, 0) or not tail.fits_at(text, end):
            return False
        position = len(head.text)
        for segment in self.middle:
            found = segment.find(text, position, end)
            if found < 0:
                return False
            position = found + len(segment.text)
        return True


@lru_cache(maxsize=4096)
def compile_glob(pattern: str, *, single: bool = True, ignore_case: bool = False) -> Glob:
    """Translate once; the same pattern (a waiver, a policy statement) is matched against many names."""
    flags = re.IGNORECASE if ignore_case else 0
    parts = pattern.split("*")
    segments = [_segment(part, single, flags) for part in parts]
    if len(parts) == 1:
        return Glob(pattern, segments[0], (), None)
    middle = tuple(s for s in segments[1:-1] if s.text)  # `**` is `*`
    return Glob(pattern, segments[0], middle, segments[-1])


def glob_matches(pattern: str, text: str, *, single: bool = True, ignore_case: bool = False) -> bool:
    return compile_glob(pattern, single=single, ignore_case=ignore_case).matches(text)
