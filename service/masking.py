"""Personal data in free text replaced by bracketed tags: cards, IBANs, SSNs, bank accounts, e-mail, phones."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from typing import NamedTuple

from service.pii_checks import IBAN_LENGTHS, aba_valid, iban_valid, luhn_valid, ssn_valid

ENTITIES: tuple[str, ...] = ("card", "iban", "ssn", "routing", "account", "email", "phone")
"""Every entity the router can mask."""
ALL_ENTITIES = frozenset(ENTITIES)
ALWAYS_MASKED = frozenset({"card"})
"""Card numbers are masked whatever the configuration (PCI DSS forbids a full card number in clear)."""

TAGS = {e: f"[{e.upper()}]" for e in ENTITIES if e != "card"}
CARD_TAG = "[CARD ****{}]"
"""A card number keeps its last four digits, e.g. ``[CARD ****1234]``."""
TAG_PATTERN = re.compile(r"\[(CARD) \*{4}\d{4}\]|\[(IBAN|SSN|ROUTING|ACCOUNT|EMAIL|PHONE)\]")
"""Any tag written by :func:`mask_text`; group 1 or 2 is the entity in upper case."""

_MAX_PASSES = 8
# Every pattern is bounded or consumes a digit per step, so the work stays linear in the text length.
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}")
_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d)*")
"""Digits with single spaces or dashes between them: how card numbers are written."""
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}")
_SSN = re.compile(r"(?<![\d\-])(\d{3})([\- ])(\d{2})\2(\d{4})(?![\d\-]|[ ]\d)")
_SSN_KEYWORD = re.compile(
    r"(?i)\b(?:ssn|social\s+security(?:\s+(?:number|num|no))?)[\s:#.\-]{0,4}(?:is\s+)?(\d{9})(?!\d)"
)
_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")
_ROUTING_KEYWORD = re.compile(r"(?i)\b(?:routing|aba|rtn|transit)\b")
_ACCOUNT_DIGITS = r"(\d(?:[ \-]?\d){4,16})(?![ \-]?\d)"
_ACCOUNT_KEYWORD = re.compile(
    r"(?i)\b(?:account|acct|a/c)\b[\s:#.\-]{0,4}(?:(?:number|num|nbr|no|is|ending\s+in)\b[\s:#.\-]{0,4}){0,3}"
    + _ACCOUNT_DIGITS
)
_NEXT_NUMBER = re.compile(r"[^\d\n]{1,25}?" + _ACCOUNT_DIGITS)
_PREVIOUS_NUMBER = re.compile(r"(?<![\d])(\d(?:[ \-]?\d){4,16})[^\d\n]{1,25}$")
_PHONE = re.compile(r"(?:\+ ?)?\(?\d(?:[ ().\-]{0,2}\d){7,16}")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_PHONE_CONTEXT = 8
"""Characters around a phone candidate handed to libphonenumber, which uses them to reject dates and times."""


class Masked(NamedTuple):
    """A text with its personal data replaced, and how many of each entity were masked."""

    text: str
    counts: Counter[str]


class _Span(NamedTuple):
    start: int
    end: int
    entity: str
    tag: str


class _Spans:
    """Non-overlapping spans claimed so far; a later detector cannot claim characters an earlier one took."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.spans: list[_Span] = []

    def claim(self, span: _Span) -> None:
        i = bisect_left(self.starts, span.start)
        if i > 0 and self.spans[i - 1].end > span.start:
            return
        if i < len(self.spans) and self.spans[i].start < span.end:
            return
        self.starts.insert(i, span.start)
        self.spans.insert(i, span)


def _emails(text: str, entities: frozenset[str]) -> Iterator[_Span]:
    if "@" in text:
        for m in _EMAIL.finditer(text):
            yield _Span(m.start(), m.end(), "email", TAGS["email"])


def _cards(text: str, entities: frozenset[str]) -> Iterator[_Span]:
    """Luhn-valid runs of 13-19 digits; in a longer run, windows on group boundaries first, then any window."""
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        if len(run) < 13:
            continue
        positions = [m.start() + i for i, ch in enumerate(run) if ch != " " and ch != "-"]
        if len(positions) < 13:
            continue
        digits = "".join(text[p] for p in positions)
        for first, last in _card_windows(digits, _group_bounds(run)):
            yield _Span(positions[first], positions[last - 1] + 1, "card", CARD_TAG.format(digits[last - 4 : last]))


def _group_bounds(run: str) -> list[int]:
    """Digit indexes where a group of the run starts, and the digit count at the end."""
    bounds, count = [0], 0
    for ch in run:
        if ch == " " or ch == "-":
            bounds.append(count)
        else:
            count += 1
    return [*bounds, count]


def _card_windows(digits: str, bounds: list[int]) -> list[tuple[int, int]]:
    """Digit windows ``[first, last)`` to mask so that no Luhn-valid window of 13-19 digits stays in clear."""
    taken: list[tuple[int, int]] = []
    g = 0
    while g < len(bounds) - 1:  # as written: whole groups, the longest first
        start, k = bounds[g], g + 1
        while k < len(bounds) and bounds[k] - start <= 19:
            k += 1
        valid = (j for j in range(k - 1, g, -1) if bounds[j] - start >= 13 and luhn_valid(digits[start : bounds[j]]))
        j = next(valid, 0)
        if j:
            taken.append((start, bounds[j]))
        g = j or g + 1
    windows: list[tuple[int, int]] = []
    previous = 0
    for first, last in [*taken, (len(digits), len(digits))]:  # the digits between: any window
        windows.extend(_any_windows(digits, previous, first))
        windows.append((first, last))
        previous = last
    return windows[:-1]


def _any_windows(digits: str, start: int, stop: int) -> Iterator[tuple[int, int]]:
    p = start
    while p + 13 <= stop:
        length = next((n for n in range(min(19, stop - p), 12, -1) if luhn_valid(digits[p : p + n])), 0)
        if length:
            yield p, p + length
            p += length
        else:
            p += 1


def _ibans(text: str, entities: frozenset[str]) -> Iterator[_Span]:
    pos = 0
    while (m := _IBAN.search(text, pos)) is not None:
        compact, ends = "", []
        for i in range(m.start(), m.end()):
            if text[i] != " ":
                compact += text[i].upper()
                ends.append(i + 1)
        length = IBAN_LENGTHS.get(compact[:2], 0)
        if length and len(compact) >= length and iban_valid(compact[:length]):
            yield _Span(m.start(), ends[length - 1], "iban", TAGS["iban"])
            pos = ends[length - 1]
        else:
            pos = m.start() + 1


def _ssns(text: str, entities: frozenset[str]) -> Iterator[_Span]:
    for m in _SSN.finditer(text):
        if ssn_valid(m.group(1), m.group(3), m.group(4)):
            yield _Span(m.start(), m.end(), "ssn", TAGS["ssn"])
    for m in _SSN_KEYWORD.finditer(text):
        number = m.group(1)
        if ssn_valid(number[:3], number[3:5], number[5:]):
            yield _Span(m.start(1), m.end(1), "ssn", TAGS["ssn"])


def _bank_accounts(text: str, entities: frozenset[str]) -> Iterator[_Span]:
    """Routing numbers (ABA check) after a routing keyword or next to an account number; account numbers."""
    routing, account = "routing" in entities, "account" in entities
    for m in _NINE_DIGITS.finditer(text):
        if not aba_valid(m.group()):
            continue
        after = _NEXT_NUMBER.match(text, m.end())
        before = _PREVIOUS_NUMBER.search(text, max(0, m.start() - 60), m.start())
        keyword = _ROUTING_KEYWORD.search(text, max(0, m.start() - 30), m.start())
        if not (after or before or keyword):
            continue
        if routing:
            yield _Span(m.start(), m.end(), "routing", TAGS["routing"])
        for pair in (after, before):
            if account and pair is not None:
                yield _Span(pair.start(1), pair.end(1), "account", TAGS["account"])
    if account:
        for m in _ACCOUNT_KEYWORD.finditer(text):
            yield _Span(m.start(1), m.end(1), "account", TAGS["account"])


def _phones(text: str, entities: frozenset[str]) -> Iterator[_Span]:
    """Phone numbers that libphonenumber finds valid (US by default), looked for only around long digit runs."""
    import phonenumbers

    for m in _PHONE.finditer(text):
        start = max(0, m.start() - _PHONE_CONTEXT)
        window = text[start : m.end() + _PHONE_CONTEXT]
        for found in phonenumbers.PhoneNumberMatcher(window, "US", leniency=phonenumbers.Leniency.VALID):
            if _DECIMAL.fullmatch(found.raw_string):
                continue  # "20153.99000 %": a decimal number, not a phone
            yield _Span(start + found.start, start + found.end, "phone", TAGS["phone"])


_DETECTORS: tuple[tuple[frozenset[str], Callable[[str, frozenset[str]], Iterator[_Span]]], ...] = (
    (frozenset({"email"}), _emails),
    (frozenset({"iban"}), _ibans),  # before cards: an IBAN's digits may hold a Luhn-valid run
    (frozenset({"card"}), _cards),
    (frozenset({"ssn"}), _ssns),
    (frozenset({"routing", "account"}), _bank_accounts),
    (frozenset({"phone"}), _phones),
)


def _mask_once(text: str, entities: frozenset[str]) -> Masked:
    spans = _Spans()
    for wanted, detector in _DETECTORS:
        if wanted & entities:
            for span in detector(text, entities):
                spans.claim(span)
    parts: list[str] = []
    counts, previous = Counter[str](), 0
    for span in spans.spans:
        parts += (text[previous : span.start], span.tag)
        counts[span.entity] += 1
        previous = span.end
    parts.append(text[previous:])
    return Masked("".join(parts), counts)


def mask_text(text: str, entities: frozenset[str] = ALL_ENTITIES) -> Masked:
    """``text`` with every identifier of ``entities`` (card numbers always) replaced by its tag.

    Masking repeats until nothing more is found, so masking a masked text changes nothing (each pass
    removes digits or an ``@``; the cap is a safety net).
    """
    entities = entities | ALWAYS_MASKED
    counts = Counter[str]()
    for _ in range(_MAX_PASSES):
        masked = _mask_once(text, entities)
        if not masked.counts:
            break
        text = masked.text
        counts.update(masked.counts)
    return Masked(text, counts)
