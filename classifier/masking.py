"""Personal data in free text replaced by bracketed tags: cards, IBANs, SSNs, bank accounts, e-mail, phones."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from typing import NamedTuple

from classifier.pii_checks import IBAN_LENGTHS, aba_valid, iban_valid, luhn_valid, ssn_valid

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

_MAX_PASSES = 50
"""A safety net: each pass removes digits or an ``@``, so passes stop long before."""
# Every pattern is bounded or consumes a digit per step, so the work stays linear in the text length.
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}")
_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d)*")
"""Digits with single spaces or dashes between them: how card numbers are written."""
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}")
_SSN = re.compile(r"(?<![\d\-])(\d{3})([\- ])(\d{2})\2(\d{4})(?![\d\-])")
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
_PHONE = re.compile(r"\d(?:[ ().\-]{0,2}\d){7,16}")  # starts with a digit: the regex engine skips ahead fast
_PHONE_LEAD = re.compile(r"(?:\+ ?)?\(?$")
_GROUP = re.compile(r"\d+")
_SEPARATOR = re.compile(r"[ \-]")
PHONE_CHECKS = 100
"""Phone candidates checked by libphonenumber per text and pass (a few ms each); later ones are masked unchecked."""


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
    """Luhn-valid card numbers as written: whole groups of a digit run, 13-19 digits, the longest first.

    "4111 1111 1111 1111 2024" masks the first four groups; a run that is no card number as written
    (a 16-digit run failing Luhn, 25 digits in one block) is left alone, whatever windows inside it pass Luhn.
    """
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        if len(run) < 13:
            continue
        groups = [(m.start() + g.start(), m.start() + g.end()) for g in _GROUP.finditer(run)]
        digits = _ascii(_SEPARATOR.sub("", run))
        bounds = [0]  # digits before each group
        for start, end in groups:
            bounds.append(bounds[-1] + end - start)
        g = 0
        while g < len(groups):
            last = g
            while last < len(groups) and bounds[last + 1] - bounds[g] <= 19:
                last += 1
            for j in range(last - 1, g - 1, -1):
                number = digits[bounds[g] : bounds[j + 1]]
                if len(number) >= 13 and luhn_valid(number):
                    yield _Span(groups[g][0], groups[j][1], "card", CARD_TAG.format(number[-4:]))
                    break
            else:
                j = g
            g = j + 1


def _ascii(digits: str) -> str:
    """Decimal digits of any script as ASCII (``\\d`` matches them all)."""
    return digits if digits.isascii() else "".join(str(unicodedata.decimal(ch)) for ch in digits)


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
    """Phone numbers libphonenumber finds valid and well grouped (US by default), looked for around digit runs.

    libphonenumber sees one character before a run (a letter or currency sign there rejects it) and three
    after (``:30`` rejects a time). When the whole run is no phone number, its runs of fewer groups are tried,
    the longest first: neighbouring numbers (``2 (212) 202-0000 9309``) spoil libphonenumber's match.
    STRICT_GROUPING wants a valid number written in its country's digit groups (or in one block), so
    "INV-2019-000123" and "20153.99000" are no phone numbers though their digits would be valid.
    Only digit counts a number can have are checked (10, or 11 from a leading 1, without ``+``; 8-15 with it),
    and after :data:`PHONE_CHECKS` checks in one text the rest are masked unchecked, so no text can make the
    router spend long here.
    """
    import phonenumbers

    checks = 0
    for m in _PHONE.finditer(text):
        groups = [g.span() for g in _GROUP.finditer(text, m.start(), m.end())]
        lead = _PHONE_LEAD.search(text, max(0, m.start() - 3), m.start())  # "+", "(" or "+1 (" before the digits
        begin = lead.start() if lead else m.start()
        n = len(groups)
        tries = sorted(((a, b) for a in range(n) for b in range(a + 1, n + 1)), key=lambda t: (t[0] - t[1], t[0]))
        for first, stop in tries:
            if not _phone_shaped(text, groups[first:stop], plus=first == 0 and text[begin] == "+"):
                continue
            start = max(0, (begin if first == 0 else groups[first][0]) - 1)
            end = groups[stop - 1][1]
            checks += 1
            if checks > PHONE_CHECKS:
                yield _Span(start + 1, end, "phone", TAGS["phone"])
                break
            window = text[start : m.end() + 3 if stop == n else end]
            found = [
                _Span(start + f.start, start + f.end, "phone", TAGS["phone"])
                for f in phonenumbers.PhoneNumberMatcher(window, "US", leniency=phonenumbers.Leniency.STRICT_GROUPING)
            ]
            if found:
                yield from found
                break


def _phone_shaped(text: str, groups: list[tuple[int, int]], plus: bool) -> bool:
    """Whether these digit groups can be one phone number (at most six groups)."""
    digits = sum(b - a for a, b in groups)
    if not groups or len(groups) > 6:
        return False
    if plus:
        return 8 <= digits <= 15
    return digits == 10 or (digits == 11 and text[groups[0][0]] == "1")


_Detector = Callable[[str, frozenset[str]], Iterator[_Span]]
_DETECTORS: tuple[tuple[frozenset[str], int, _Detector], ...] = (
    # entities, the longest digit run (spaces and dashes allowed) the text needs, detector
    (frozenset({"email"}), 0, _emails),
    (frozenset({"iban"}), 6, _ibans),  # before cards: an IBAN's digits may hold a Luhn-valid run
    (frozenset({"card"}), 13, _cards),
    (frozenset({"ssn"}), 9, _ssns),
    (frozenset({"routing", "account"}), 5, _bank_accounts),
    (frozenset({"phone"}), 0, _phones),
)
"""Detectors in order of precedence. Most texts hold no run of 5 digits (CFPB narratives write ``XXXX``,
amounts and dates), so most detectors are skipped after one scan for digit runs."""


def _mask_once(text: str, entities: frozenset[str]) -> Masked:
    longest = max((len(r) - r.count(" ") - r.count("-") for r in _DIGIT_RUN.findall(text)), default=0)
    spans = _Spans()
    for wanted, digits, detector in _DETECTORS:
        if wanted & entities and longest >= digits:
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
