"""Personal-data masking measured: false positives on the shared texts, recall on generated identifiers, speed.

The router's own masking (``classifier.masking``) beside presidio-analyzer's pattern recognizers (credit card,
IBAN, US SSN, ABA routing, US bank number, e-mail, phone) run directly, without presidio's spaCy NLP
engine (its model cannot be downloaded here; pattern recognizers do not need it, but without it presidio's
context words cannot raise a score). A presidio result counts as a mask at ``--presidio-score`` or above.

- False positives: masks applied to every CFPB narrative, Banking77 and CLINC150 query of ``../shared/data``,
  texts that carry no real identifier (the CFPB replaced them by ``XXXX``).
- Recall: generated identifiers with valid check digits (``tests/pii_samples.py``) put between the words of
  real texts; an identifier is caught when none of its values survives in the masked text.
- Speed: µs per text on short queries and on whole narratives (what the router masks), in turns with the
  router's text cleaning as a yardstick (its share of the router's CPU per event is known).

Run inside the project's environment (presidio-analyzer installed for its half):
``.venv/bin/python benchmarks/masking.py [--per-entity N] [--speed-texts N]``. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier.masking import mask_text  # noqa: E402
from classifier.textclean import clean_text  # noqa: E402
from core.paths import default_data_dir  # noqa: E402
from tests.pii_samples import GENERATORS, insert, real_texts  # noqa: E402

Masker = Callable[[str], tuple[str, Counter[str]]]
SOURCES = (("cfpb", "cfpb/complaints.csv", "narrative"), ("banking77", "banking77/train.csv", "text"),
           ("clinc150", "clinc150/train_val.csv", "text"))  # fmt: skip
_SEPARATORS = re.compile(r"[ \-]")


def ours(text: str) -> tuple[str, Counter[str]]:
    """The router's masking."""
    masked = mask_text(text)
    return masked.text, masked.counts


def cleaning(text: str) -> tuple[str, Counter[str]]:
    """The text cleaning the router runs on every event anyway: the yardstick for masking's cost."""
    return clean_text(text), Counter()


def presidio_masker(min_score: float) -> Masker:
    """presidio-analyzer's pattern recognizers, called without an NLP engine; overlapping results merged."""
    # presidio-analyzer is measured, not a dependency: imported by name so the project type-checks without it.
    tldextract: Any = importlib.import_module("tldextract")
    predefined: Any = importlib.import_module("presidio_analyzer.predefined_recognizers")
    # The e-mail recognizer's tldextract would download the public suffix list; its bundled snapshot is used.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    names = ("CreditCard", "Iban", "UsSsn", "AbaRouting", "UsBank", "Email", "Phone")
    recognizers = [getattr(predefined, f"{name}Recognizer")() for name in names]

    def mask(text: str) -> tuple[str, Counter[str]]:
        found = [
            (r.start, r.end, r.entity_type)
            for recognizer in recognizers
            for r in recognizer.analyze(text, recognizer.supported_entities, None)  # patterns need no NLP artifacts
            if r.score >= min_score
        ]
        counts: Counter[str] = Counter()
        parts, previous = [], 0
        for start, end, entity in sorted(found):
            if start < previous:
                continue
            parts += [text[previous:start], f"[{entity}]"]
            counts[entity] += 1
            previous = end
        parts.append(text[previous:])
        return "".join(parts), counts

    return mask


def shared_texts(data_dir: Path) -> dict[str, list[str]]:
    """Every non-empty text of the three shared sources."""
    csv.field_size_limit(10**8)
    out = {}
    for source, name, column in SOURCES:
        with (data_dir / name).open(newline="", encoding="utf-8") as fh:
            out[source] = [row[column] for row in csv.DictReader(fh) if row[column].strip()]
    return out


def false_positives(masker: Masker, texts: dict[str, list[str]]) -> dict[str, object]:
    """Per source: texts with at least one mask, masks applied, by entity."""
    out: dict[str, object] = {}
    for source, batch in texts.items():
        counts: Counter[str] = Counter()
        touched = 0
        for text in batch:
            found = masker(text)[1]
            touched += bool(found)
            counts.update(found)
        out[source] = {
            "texts": len(batch),
            "texts_masked": touched,
            "texts_masked_pct": round(100 * touched / len(batch), 3),
            "masks": sum(counts.values()),
            "by_entity": dict(sorted(counts.items())),
        }
    return out


def recall(masker: Masker, texts: Sequence[str], per_entity: int, seed: int = 19) -> dict[str, object]:
    """Per entity: generated identifiers put between the words of real texts, the share fully masked."""
    out: dict[str, object] = {}
    for entity, generate in sorted(GENERATORS.items()):
        rng = random.Random(seed)
        caught = 0
        for _ in range(per_entity):
            inserted, values = generate(rng)
            text = rng.choice(texts)
            masked = masker(insert(text, inserted, rng.randint(0, len(text)), " "))[0]
            compact = _SEPARATORS.sub("", masked)
            caught += all(v not in masked and _SEPARATORS.sub("", v) not in compact for v in values)
        out[entity] = round(caught / per_entity, 4)
    return out


def speed(
    maskers: dict[str, Masker], texts: dict[str, list[str]], n: int, rounds: int = 5
) -> dict[str, dict[str, float]]:
    """µs per text of each masker on short queries (Banking77 + CLINC150) and whole CFPB narratives (what
    the router masks): the best of ``rounds`` passes over the same texts, the maskers taking turns, so a
    machine busy with other work slows them alike and the least disturbed pass counts."""
    rng = random.Random(3)
    kinds = {"short": rng.sample(texts["banking77"] + texts["clinc150"], n), "narrative": rng.sample(texts["cfpb"], n)}
    out: dict[str, dict[str, float]] = {name: {} for name in maskers}
    for kind, batch in kinds.items():
        best = dict.fromkeys(maskers, float("inf"))
        for _ in range(rounds):
            for name, masker in maskers.items():
                started = time.perf_counter()
                for text in batch:
                    masker(text)
                best[name] = min(best[name], time.perf_counter() - started)
        for name, seconds in best.items():
            out[name][f"{kind}_us_per_text"] = round(seconds / len(batch) * 1e6, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-entity", type=int, default=500, help="generated identifiers per entity (default 500)")
    parser.add_argument("--speed-texts", type=int, default=2000, help="texts per kind for the speed (default 2000)")
    parser.add_argument(
        "--presidio-score", type=float, nargs="+", default=[0.4, 0.0], help="presidio's lowest score kept, one run each"
    )
    parser.add_argument("--no-presidio", action="store_true", help="measure the router's masking only")
    args = parser.parse_args()
    data_dir = default_data_dir()
    texts = shared_texts(data_dir)
    sample = real_texts(data_dir)
    maskers: dict[str, Masker] = {"router_masking": ours}
    if not args.no_presidio:
        for score in args.presidio_score:
            maskers[f"presidio_patterns_min_score_{score}"] = presidio_masker(score)
    result: dict[str, object] = {
        name: {"false_positives": false_positives(masker, texts), "recall": recall(masker, sample, args.per_entity)}
        for name, masker in maskers.items()
    }
    if not args.no_presidio:
        from importlib.metadata import version

        result["presidio_analyzer_version"] = version("presidio-analyzer")
    # The score threshold filters presidio's results after the work: one presidio run is timed.
    timed = {**dict(list(maskers.items())[:2]), "cleaning_for_reference": cleaning}
    result["speed"] = speed(timed, texts, args.speed_texts)
    print(json.dumps(result, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
