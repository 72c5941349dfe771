"""A small, made-up labelled set for training tiny models in tests (departments as labels)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

PHRASES = {
    "cards": [
        "my credit card was charged twice",
        "card declined at the store",
        "lost my debit card",
        "fee on my card statement",
        "new card has not arrived",
        "card payment was refused",
    ],
    "mortgages": [
        "the mortgage payment was not applied",
        "escrow on my home loan is wrong",
        "foreclosure notice on my house",
        "mortgage servicer lost my documents",
        "loan modification for my home",
        "refinance of my mortgage rate",
    ],
    "collections": [
        "a debt collector keeps calling me",
        "collection agency harassing me at work",
        "debt I already paid is in collections",
        "collector threatened to sue me",
        "they want me to pay a debt that is not mine",
        "collection letter for old debt",
    ],
    "credit_reporting": [
        "wrong account on my credit report",
        "dispute with the credit bureau",
        "my credit score dropped because of an error",
        "inquiry on my report I did not make",
        "credit report shows a late payment that is wrong",
        "remove this item from my report",
    ],
    "triage": [
        "what is the weather tomorrow",
        "tell me a joke",
        "set an alarm for six",
        "play some music",
        "how tall is the eiffel tower",
        "recommend a pizza place",
    ],
}
FILLERS = ["", "please help", "this is urgent", "again", "today", "I am upset", "thanks", "since last week"]


def tiny_rows(per_class: int = 40, seed: int = 3) -> list[tuple[str, str]]:
    """``(text, label)`` rows, ``per_class`` of each department, phrases varied with fillers."""
    rng = random.Random(seed)  # noqa: S311 - test data
    rows = []
    for label, phrases in PHRASES.items():
        for i in range(per_class):
            text = f"{rng.choice(FILLERS)} {phrases[i % len(phrases)]} {rng.choice(FILLERS)}".strip()
            rows.append((text, label))
    rng.shuffle(rows)
    return rows


def write_tiny_csv(path: Path, per_class: int = 40) -> Path:
    """Write the tiny set as ``text,label`` CSV."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(tiny_rows(per_class))
    return path
