"""Generated personal identifiers with valid check digits, and real texts to put them in (tests, benchmarks)."""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable
from pathlib import Path

from classifier.pii_checks import IBAN_LENGTHS, luhn_complete, luhn_valid

CARD_PREFIXES = {13: ["4"], 14: ["36", "38"], 15: ["34", "37"], 16: ["4", "51", "55", "2221", "6011", "35"],
                 17: ["4", "62"], 18: ["62", "67"], 19: ["4", "6011", "62"]}  # fmt: skip
"""Issuer prefixes by card-number length (Visa, Diners, Amex, Mastercard, Discover, JCB, UnionPay, Maestro)."""
US_AREA_CODES = ("212", "213", "305", "312", "415", "617", "646", "702", "713", "202", "206", "303")
_SEPARATORS = re.compile(r"[ \-]")


def card_number(rng: random.Random, length: int) -> str:
    """A Luhn-valid card number of ``length`` digits with a real issuer prefix."""
    prefix = rng.choice(CARD_PREFIXES[length])
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return luhn_complete(body)


def card_layout(rng: random.Random, digits: str) -> str:
    """The number as people write it: no separators, groups of four, or Amex's 4-6-5, with spaces or dashes."""
    style = rng.choice(["plain", "fours", "amex" if len(digits) == 15 else "fours"])
    if style == "plain":
        return digits
    sep = rng.choice([" ", "-"])
    if style == "amex":
        return sep.join((digits[:4], digits[4:10], digits[10:]))
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def iban(rng: random.Random) -> str:
    """A mod-97-valid IBAN of a random registry country, compact or in groups of four."""
    country = rng.choice(sorted(IBAN_LENGTHS))
    bban = "".join(rng.choice("0123456789") for _ in range(IBAN_LENGTHS[country] - 4))
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    compact = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    return compact if rng.random() < 0.5 else " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def ssn(rng: random.Random) -> str:
    """An issuable US social security number, with dashes or spaces."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    sep = rng.choice(["-", " "])
    return f"{area:03d}{sep}{rng.randint(1, 99):02d}{sep}{rng.randint(1, 9999):04d}"


def routing_number(rng: random.Random) -> str:
    """A US ABA routing number: Federal Reserve prefix and check digit."""
    prefix = rng.choice([*range(1, 13), *range(21, 33), *range(61, 73)])
    body = f"{prefix:02d}" + "".join(rng.choice("0123456789") for _ in range(6))
    weights = (3, 7, 1, 3, 7, 1, 3, 7)
    check = (10 - sum(w * int(d) for w, d in zip(weights, body, strict=True)) % 10) % 10
    return body + str(check)


def bank_account(rng: random.Random) -> tuple[str, list[str]]:
    """A routing number next to an account number as customers write them; the phrase and both values."""
    routing = routing_number(rng)
    account = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 11)))
    template = rng.choice(
        ["routing number {r} account number {a}", "{r} / {a}", "ABA {r}, acct {a}", "acct# {a} routing {r}"]
    )
    return template.format(r=routing, a=account), [routing, account]


def email(rng: random.Random) -> str:
    """An e-mail address."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    local = "".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) + rng.choice(["", ".", "_", "+"])
    local += "".join(rng.choice(letters + "0123456789") for _ in range(rng.randint(1, 6)))
    domain = rng.choice(["gmail.com", "example.co.uk", "mail.example.org", "yahoo.com", "bank-mail.net"])
    return f"{local}@{domain}"


def phone(rng: random.Random) -> str:
    """A valid phone number: US in its common layouts, or an international one in E.164 style."""
    import phonenumbers

    if rng.random() < 0.25:
        region = rng.choice(["GB", "DE", "FR", "ES", "IN", "AU"])
        example = phonenumbers.example_number(region)
        assert example is not None, region
        return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    while True:
        area = rng.choice(US_AREA_CODES)
        exchange = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(2, 9)}"
        line = f"{rng.randint(0, 9999):04d}"
        if exchange[1:] != "11" and phonenumbers.is_valid_number(phonenumbers.parse(f"+1{area}{exchange}{line}")):
            break
    layout = rng.choice(["({a}) {e}-{n}", "{a}-{e}-{n}", "{a}.{e}.{n}", "+1 {a} {e} {n}", "1-{a}-{e}-{n}", "{a}{e}{n}"])
    return layout.format(a=area, e=exchange, n=line)


def card_values(value: str) -> list[str]:
    """The forms of a value that must not appear in output: as written and without separators."""
    return sorted({value, _SEPARATORS.sub("", value)})


GENERATORS: dict[str, Callable[[random.Random], tuple[str, list[str]]]] = {
    "card": lambda rng: (v := card_layout(rng, card_number(rng, rng.randint(13, 19))), card_values(v)),
    "iban": lambda rng: (v := iban(rng), card_values(v)),
    "ssn": lambda rng: (v := ssn(rng), card_values(v)),
    "account": bank_account,
    "email": lambda rng: (v := email(rng), [v]),
    "phone": lambda rng: (v := phone(rng), [v]),
}
"""Entity -> a generator of (text to insert, values that must not survive masking)."""


def surviving_card_runs(text: str) -> list[str]:
    """Luhn-valid card numbers of 13-19 digits as written: whole groups of a digit run (spaces or dashes between)."""
    found = []
    for run in re.findall(r"\d(?:[ \-]?\d)*", text):
        groups = _SEPARATORS.split(run)
        for i in range(len(groups)):
            for j in range(i + 1, len(groups) + 1):
                number = "".join(groups[i:j])
                if 13 <= len(number) <= 19 and luhn_valid(number):
                    found.append(number)
    return found


def real_texts(data_dir: Path, per_source: int = 400, seed: int = 7) -> list[str]:
    """A fixed sample of CFPB narratives (first 600 characters), Banking77 and CLINC150 queries."""
    rng = random.Random(seed)
    texts: list[str] = []
    for name, column in (("cfpb/complaints.csv", "narrative"), ("banking77/train.csv", "text"),
                         ("clinc150/train_val.csv", "text")):  # fmt: skip
        with (data_dir / name).open(newline="", encoding="utf-8") as fh:
            rows = [row[column] for row in csv.DictReader(fh) if row[column].strip()]
        texts += [t[:600] for t in rng.sample(rows, per_source)]
    return texts


def insert(text: str, value: str, position: int, glue: str) -> str:
    """``value`` put into ``text`` near ``position``: between words (glue " "), inside a word (glue "") or in
    punctuation and next to an amount (any other glue, e.g. "(", "$12.50 ")."""
    i = min(position, len(text))
    if glue == " ":
        i = text.rfind(" ", 0, i) + 1
        return f"{text[:i]}{value} {text[i:]}"
    if glue == "":  # inside a word: next to letters, not digits (a card glued to digits is another number)

        def next_to_digit(at: int) -> bool:
            return (at > 0 and text[at - 1].isdigit()) or (at < len(text) and text[at].isdigit())

        while i > 0 and next_to_digit(i):
            i -= 1
        return f"{text[:i]}{value}{' ' if next_to_digit(i) else ''}{text[i:]}"
    closing = {"(": ")", "[": "]", '"': '"'}.get(glue, ".")
    return f"{text[:i]} {glue}{value}{closing} {text[i:]}"
