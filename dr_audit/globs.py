"""Glob patterns (`*` any run of characters, `?` one character, all else literal) matched without backtracking.

A pattern is translated once into the segments between its stars; matching places the first segment at the start,
the last at the end and each middle one at its leftmost fit. Leftmost is always safe because every segment has a
fixed length, so a match costs at most O(len(text) x len(pattern)) whatever the pattern: `*?*?*?*?X` cannot stall
a run the way a backtracking regex does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Segment:
    """Text between two stars; `?` in it (when wild) matches any one character."""

    text: str
    wild: re.Pattern[str] | None  # None: no wild character, plain string operations will do

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


def _segment(text: str, single: bool) -> _Segment:
    if not single or "?" not in text:
        return _Segment(text, None)
    return _Segment(text, re.compile("".join("." if c == "?" else re.escape(c) for c in text), re.DOTALL))


@dataclass(frozen=True, slots=True)
class Glob:
    """A compiled glob. `single=False` keeps `?` literal (CAM patterns know only `*`); `ignore_case` compares
    lower-cased text."""

    pattern: str
    ignore_case: bool
    head: _Segment
    middle: tuple[_Segment, ...]
    tail: _Segment | None  # None: the pattern has no star, so the head must be the whole text
    plain: bool  # no wild `?` anywhere: string methods alone decide (the common case, kept fast)

    def matches(self, text: str) -> bool:
        if self.ignore_case:
            text = text.lower()
        if self.plain:
            return self._matches_plain(text)
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

    def _matches_plain(self, text: str) -> bool:
        head = self.head.text
        if self.tail is None:
            return text == head
        tail = self.tail.text
        if len(text) < len(head) + len(tail) or not text.startswith(head) or not text.endswith(tail):
            return False
        position, end = len(head), len(text) - len(tail)
        for segment in self.middle:
            found = text.find(segment.text, position, end)
            if found < 0:
                return False
            position = found + len(segment.text)
        return True


def compile_glob(pattern: str, single: bool = True, ignore_case: bool = False) -> Glob:
    """Translate once; the same pattern (a waiver, a policy statement) is matched against many names."""
    key = (pattern, single, ignore_case)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) >= _CACHE_LIMIT:
            _COMPILED.clear()
        found = _COMPILED[key] = _compile(pattern, single, ignore_case)
    return found


_COMPILED: dict[tuple[str, bool, bool], Glob] = {}
_CACHE_LIMIT = 65536


def _compile(pattern: str, single: bool, ignore_case: bool) -> Glob:
    parts = (pattern.lower() if ignore_case else pattern).split("*")
    segments = [_segment(part, single) for part in parts]
    plain = all(s.wild is None for s in segments)
    if len(parts) == 1:
        return Glob(pattern, ignore_case, segments[0], (), None, plain)
    middle = tuple(s for s in segments[1:-1] if s.text)  # `**` is `*`
    return Glob(pattern, ignore_case, segments[0], middle, segments[-1], plain)


def glob_matches(pattern: str, text: str, single: bool = True, ignore_case: bool = False) -> bool:
    return compile_glob(pattern, single, ignore_case).matches(text)
