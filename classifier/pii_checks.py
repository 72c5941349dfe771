"""Check digits of the identifiers the router masks: Luhn (cards), mod-97 (IBAN), ABA (routing), SSN ranges."""

from __future__ import annotations

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
"""IBAN length by country code (the SWIFT IBAN registry); an IBAN of another length is not one."""

_ABA_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7, 1)


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn check (ISO/IEC 7812 card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_complete(body: str) -> str:
    """``body`` with the Luhn check digit appended (used to build test and benchmark card numbers)."""
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always completes a Luhn number")


def iban_valid(compact: str) -> bool:
    """True for an upper-case IBAN without spaces whose country length and ISO 7064 mod-97 check are right."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit() or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def aba_valid(digits: str) -> bool:
    """True for a 9-digit US routing number (ABA) with a Federal Reserve prefix and a valid check digit."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    prefix = int(digits[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    return sum(w * (ord(ch) - 48) for w, ch in zip(_ABA_WEIGHTS, digits, strict=True)) % 10 == 0


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """True when the three parts can form an issued US social security number (no 000, 666, 9xx, 00, 0000)."""
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"
