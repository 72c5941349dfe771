"""Training data: the shared production data, generic labelled CSVs and the stratified split."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from core.errors import DataError
from schemas.common import DEPARTMENTS
from training.classifier.data import (
    OUT_OF_SCOPE,
    LabelledTexts,
    load_labelled_csv,
    load_production,
    stratified_split,
)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_shared_data_loads_mapped_by_the_taxonomy(data_dir: Path) -> None:
    data = load_production(data_dir)
    assert len(data) > 30_000
    assert Counter(data.sources).keys() == {"cfpb", "banking77", "clinc150"}
    assert set(data.departments) == set(DEPARTMENTS)
    assert "exclude" not in data.label_to_department.values()
    assert data.label_to_department[OUT_OF_SCOPE] == "triage"
    assert data.label_to_department["banking77:card_arrival"] == "cards"
    assert data.label_to_department["cfpb:payments"] == "payments"
    assert {f.path for f in data.files} >= {"taxonomy.csv", "cfpb/complaints.csv"}
    assert all(len(f.sha256) == 64 and f.rows > 0 for f in data.files)
    cfpb = Counter(d for d, s in zip(data.departments, data.sources, strict=True) if s == "cfpb")
    assert cfpb["payments"] == 71 and "triage" not in cfpb


def test_missing_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="shared data not found"):
        load_production(tmp_path / "nowhere")


def test_csv_departments_from_its_own_department_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t.csv",
        ["text", "intent", "department"],
        [
            ["my card is lost", "lost_card", "cards"],
            ["top up failed", "top_up", "accounts"],
            ["", "top_up", "accounts"],
        ],
    )
    data = load_labelled_csv(path, "text", "intent")
    assert data.labels == ["lost_card", "top_up"], "empty texts are dropped"
    assert data.label_to_department == {"lost_card": "cards", "top_up": "accounts"}
    assert data.files[0].rows == 3


def test_routing_file_maps_labels_and_excludes(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ["body", "tag"], [["a", "x"], ["b", "y"], ["c", "z"]])
    routing = _write(tmp_path / "r.csv", ["label", "department"], [["x", "loans"], ["y", "triage"], ["z", "exclude"]])
    data = load_labelled_csv(path, "body", "tag", routing=routing)
    assert data.labels == ["x", "y"] and data.label_to_department == {"x": "loans", "y": "triage"}
    assert len(data.files) == 2


def test_department_names_map_to_themselves_and_others_are_an_error(tmp_path: Path) -> None:
    ok = _write(tmp_path / "ok.csv", ["text", "label"], [["a", "cards"], ["b", "mortgages"]])
    assert load_labelled_csv(ok, "text", "label").label_to_department == {"cards": "cards", "mortgages": "mortgages"}
    bad = _write(tmp_path / "bad.csv", ["text", "label"], [["a", "cards"], ["b", "pizza"]])
    with pytest.raises(DataError, match=r"without a department.*pizza.*--routing"):
        load_labelled_csv(bad, "text", "label")


def test_missing_column_and_unknown_department_are_errors(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ["text", "label", "department"], [["a", "x", "insurance"]])
    with pytest.raises(DataError, match="missing column"):
        load_labelled_csv(path, "narrative", "label")
    with pytest.raises(DataError, match="unknown department"):
        load_labelled_csv(path, "text", "label")


def _sorted_by_label(n_labels: int, per_label: int) -> LabelledTexts:
    labels = [f"l{i}" for i in range(n_labels) for _ in range(per_label)]  # sorted, like Banking77's file
    return LabelledTexts([f"text {i}" for i in range(len(labels))], labels, dict.fromkeys(labels, "cards"),
                         ["s"] * len(labels))  # fmt: skip


def test_split_is_stratified_shuffled_and_reproducible() -> None:
    data = _sorted_by_label(10, 20)
    train, val = stratified_split(data, 0.2, seed=1)
    assert len(val) == 40 and len(train) == 160
    assert Counter(val.labels) == dict.fromkeys([f"l{i}" for i in range(10)], 4), "every label held out evenly"
    assert not set(train.texts) & set(val.texts)
    again = stratified_split(data, 0.2, seed=1)[1]
    assert again.texts == val.texts
    assert stratified_split(data, 0.2, seed=2)[1].texts != val.texts


def test_split_keeps_singleton_labels_in_training() -> None:
    data = _sorted_by_label(3, 4)
    mapping = {**data.label_to_department, "rare": "loans"}
    single = LabelledTexts([*data.texts, "only one"], [*data.labels, "rare"], mapping, [*data.sources, "s"])
    train, val = stratified_split(single, 0.25)
    assert "rare" in train.labels and "rare" not in val.labels
