"""Labelled texts for the classifier: the shared production data, any labelled CSV, and a stratified split."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from classifier.masking import mask_text
from core.errors import DataError
from core.hashing import sha256_file
from core.textfiles import csv_rows
from schemas.common import DEPARTMENTS, TRIAGE
from schemas.manifest import DataFile

SEED = 42
VALIDATION_FRACTION = 0.15
EXCLUDE = "exclude"
OUT_OF_SCOPE = "out_of_scope"
"""Production label of every CLINC150 query outside banking (other domains and ``oos``): department triage."""

TAXONOMY = "taxonomy.csv"
CFPB = "cfpb/complaints.csv"
BANKING77 = "banking77/train.csv"
CLINC150 = "clinc150/train_val.csv"


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with labels, the label→department map, the source of each row and the files read."""

    texts: list[str]
    labels: list[str]
    label_to_department: dict[str, str]
    sources: list[str]
    files: list[DataFile] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not len(self.texts) == len(self.labels) == len(self.sources):
            raise ValueError("texts, labels and sources must have the same length")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def departments(self) -> list[str]:
        """The department of every row."""
        return [self.label_to_department[label] for label in self.labels]

    def subset(self, rows: Sequence[int]) -> LabelledTexts:
        """The given rows, same map and provenance."""
        return LabelledTexts(
            [self.texts[i] for i in rows],
            [self.labels[i] for i in rows],
            self.label_to_department,
            [self.sources[i] for i in rows],
            self.files,
        )


def read_csv(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV file as dicts; a :class:`DataError` naming the file when it, a column or a line is bad."""
    return list(csv_rows(path, required, "data file"))


def _provenance(path: Path, rows: int, root: Path | None = None) -> DataFile:
    name = str(path.relative_to(root)) if root is not None else str(path)
    return DataFile(path=name, sha256=sha256_file(path), rows=rows)


def load_taxonomy(data_dir: Path) -> dict[tuple[str, str], str]:
    """``(source, label) -> department`` (including ``exclude``) from ``taxonomy.csv``."""
    rows = read_csv(data_dir / TAXONOMY, ["source", "label", "department"])
    return {(r["source"], r["label"]): r["department"] for r in rows}


class ProductionRow(NamedTuple):
    """One row of the shared data as the file holds it (text not masked yet), with its label and department."""

    source: str
    label: str
    department: str
    text: str


def production_rows(data_dir: Path) -> tuple[list[ProductionRow], dict[str, int]]:
    """The shared CFPB, Banking77 and CLINC150 rows mapped by the taxonomy, ``exclude`` and empty rows dropped.

    Also returns how many rows each file holds (taxonomy included), for provenance. Texts are as read: callers
    that train or evaluate mask them (:func:`load_production`); a caller that keeps a few rows masks only those.
    """
    if not (data_dir / TAXONOMY).is_file():
        raise DataError(f"shared data not found at {data_dir} (expected {TAXONOMY}): set TICKET_DATA_DIR")
    taxonomy = load_taxonomy(data_dir)
    kept: list[ProductionRow] = []
    counts = {TAXONOMY: len(taxonomy)}
    specs = (
        ("cfpb", CFPB, "narrative", "product"),
        ("banking77", BANKING77, "text", "intent"),
        ("clinc150", CLINC150, "text", "intent"),
    )
    for source, name, text_col, label_col in specs:
        rows = read_csv(data_dir / name, [text_col, label_col])
        counts[name] = len(rows)
        for row in rows:
            department = taxonomy.get((source, row[label_col]))
            if department is None and source == "clinc150":
                department = TRIAGE  # the taxonomy lists in-scope intents; every other domain is out of scope
            if department is None:
                raise DataError(f"{name}: label {row[label_col]!r} is not in {TAXONOMY}")
            if department == EXCLUDE or not row[text_col].strip():
                continue
            if source == "cfpb":
                label = f"cfpb:{department}"
            elif department == TRIAGE:
                label = OUT_OF_SCOPE
            else:
                label = f"{source}:{row[label_col]}"
            kept.append(ProductionRow(source, label, department, row[text_col]))
    return kept, counts


def load_production(data_dir: Path) -> LabelledTexts:
    """The shared CFPB, Banking77 and CLINC150 data, masked and mapped by the taxonomy, ``exclude`` rows dropped.

    Labels are fine-grained so the softmax learns coherent intents: ``cfpb:<department>`` for complaints,
    ``banking77:<intent>``, ``clinc150:<intent>`` for in-scope CLINC150 queries and ``out_of_scope`` for the
    rest of CLINC150. Routing uses the department, the sum of its labels' probabilities.
    """
    rows, counts = production_rows(data_dir)
    files = [_provenance(data_dir / name, n, data_dir) for name, n in counts.items()]
    texts = [mask_text(r.text).text for r in rows]  # the model learns from what the router sees
    mapping = {r.label: r.department for r in rows}
    return LabelledTexts(texts, [r.label for r in rows], mapping, [r.source for r in rows], files)


def load_routing(path: Path) -> dict[str, str]:
    """``label -> department`` from a CSV with columns ``label,department`` (``exclude`` drops a label's rows)."""
    mapping: dict[str, str] = {}
    for row in read_csv(path, ["label", "department"]):
        label, department = row["label"], row["department"]
        if mapping.setdefault(label, department) != department:
            raise DataError(f"{path}: label {label!r} maps to both {mapping[label]!r} and {department!r}")
    return mapping


def load_labelled_csv(
    path: Path,
    text_column: str,
    label_column: str,
    routing: Path | None = None,
    department_column: str = "department",
) -> LabelledTexts:
    """Any labelled CSV (a bank's own tickets). Each label's department comes from, in order:

    ``routing`` (a ``label,department`` CSV), else the CSV's own ``department_column`` if it has one,
    else the label itself when it is a department name. A label left without a department is an error
    naming it, never a silent default. Rows whose label maps to ``exclude`` and empty texts are dropped.
    """
    rows = read_csv(path, [text_column, label_column])
    mapping: dict[str, str] = load_routing(routing) if routing is not None else {}
    if routing is None and rows and department_column in rows[0] and department_column != label_column:
        for row in rows:
            label, department = row[label_column], row[department_column]
            if mapping.setdefault(label, department) != department:
                raise DataError(f"{path}: label {label!r} has departments {mapping[label]!r} and {department!r}")
    kept = [r for r in rows if r[text_column].strip() and mapping.get(r[label_column]) != EXCLUDE]
    labels = [r[label_column] for r in kept]
    for label in set(labels) - set(mapping):
        if label in DEPARTMENTS:
            mapping[label] = label
    unmapped = sorted(set(labels) - set(mapping))
    if unmapped:
        raise DataError(
            f"{len(unmapped)} label(s) without a department, e.g. {unmapped[:5]}: pass --routing FILE.csv "
            f"(columns label,department) or use department names as labels"
        )
    bad = sorted({mapping[label] for label in labels} - set(DEPARTMENTS))
    if bad:
        raise DataError(f"unknown department(s) {bad}; departments are {list(DEPARTMENTS)}")
    files = [_provenance(path, len(rows))] + ([_provenance(routing, len(mapping))] if routing is not None else [])
    used = {label: mapping[label] for label in sorted(set(labels))}
    texts = [mask_text(r[text_column]).text for r in kept]
    return LabelledTexts(texts, labels, used, [path.stem] * len(kept), files)


def stratified_split(
    data: LabelledTexts, fraction: float = VALIDATION_FRACTION, seed: int = SEED
) -> tuple[LabelledTexts, LabelledTexts]:
    """Shuffled train/validation split stratified by source and label (Banking77's file is sorted by intent).

    Strata with a single row go to training; every label with at least two rows appears in both parts.
    """
    from sklearn.model_selection import train_test_split

    strata = [f"{s}|{label}" for s, label in zip(data.sources, data.labels, strict=True)]
    counts = Counter(strata)
    rows = [i for i, s in enumerate(strata) if counts[s] >= 2]
    singles = [i for i, s in enumerate(strata) if counts[s] < 2]
    if len(rows) < 2:
        raise DataError(f"too few labelled rows to split ({len(data)})")
    n_val = max(int(round(len(rows) * fraction)), len({strata[i] for i in rows}))
    if n_val >= len(rows):
        raise DataError(f"too few rows per label to hold out a validation split ({len(data)} rows)")
    train_rows, val_rows = train_test_split(
        rows, test_size=n_val, random_state=seed, shuffle=True, stratify=[strata[i] for i in rows]
    )
    return data.subset(sorted(train_rows) + singles), data.subset(sorted(val_rows))
