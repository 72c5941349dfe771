"""End to end through the console scripts: train a tiny classifier, check its bundle, predict, evaluate, refuse."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from classifier.registry import ModelRegistry
from core.hashing import sha256_file
from schemas.common import DEPARTMENTS
from schemas.manifest import ModelManifest
from tests.integration.classifier_tools import read_jsonl, run

pytestmark = pytest.mark.slow

Script = Callable[[str], Path]


def test_bundle_has_a_valid_manifest_report_and_matching_hashes(tiny_bundle: Path, small_labelled_csv: Path) -> None:
    manifest = ModelManifest.model_validate_json((tiny_bundle / "manifest.json").read_bytes())
    assert manifest.version == "tiny-1"
    assert manifest.model_sha256 == sha256_file(tiny_bundle / manifest.model_file)
    assert sorted(manifest.labels) == sorted(DEPARTMENTS)
    assert all(manifest.label_to_department[d] == d for d in manifest.labels)
    assert 0.0 <= manifest.triage_threshold <= 0.95 and "macro-F1" in manifest.threshold_rule
    assert {"accuracy", "macro_f1", "out_of_scope_recall"} <= manifest.validation_metrics.keys()
    assert manifest.data[0].sha256 == sha256_file(small_labelled_csv)
    assert manifest.training["lstm_units"] == 8 and manifest.training["epochs_run"] >= 1
    report = json.loads((tiny_bundle / "report.json").read_text())
    assert set(report["departments"]["per_class"]) == set(DEPARTMENTS)
    for png in ("confusion_matrix.png", "training_curves.png"):
        assert (tiny_bundle / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_predict_keeps_input_order_and_fields(tiny_bundle: Path, tmp_path: Path, console_script: Script) -> None:
    texts = ["I was charged twice on my credit card", "what's the weather tomorrow", "",
             "The servicer never applied my mortgage payment " * 40, "@bank my loan is sooo late #help 😡"]  # fmt: skip
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ticket", "body"])
        writer.writerows([f"t{i}", text] for i, text in enumerate(texts * 3))
    out = tmp_path / "out" / "routed.jsonl"
    result = run(console_script("ticket-router"), "predict", "--model", tiny_bundle, "--input", source,
                 "--text-column", "body", "--id-column", "ticket", "--output", out)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = read_jsonl(out)
    assert [line["id"] for line in lines] == [f"t{i}" for i in range(15)]
    assert [line["row"] for line in lines] == list(range(15))
    for line in lines:
        assert line["department"] in DEPARTMENTS and line["label"] in DEPARTMENTS
        assert 0.0 <= line["confidence"] <= 1.0 and line["reason"] in {"confident", "low_confidence", "out_of_scope"}
    assert lines[0] == {**lines[5], "id": "t0", "row": 0}, "same text, same answer"


def test_predict_without_model_uses_the_registry_current(
    tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    registry = ModelRegistry(tmp_path / "registry")
    registry.root.mkdir()
    shutil.copytree(tiny_bundle, registry.root / "tiny-1")
    registry.set_current("tiny-1")
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in ["card lost", "mortgage", "hi"]), "utf-8")
    result = run(console_script("ticket-router"), "predict", "--registry", registry.root, "--input", source,
                 "--output", tmp_path / "out.jsonl")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert [line["row"] for line in read_jsonl(tmp_path / "out.jsonl")] == [0, 1, 2]


def test_corrupt_model_file_is_refused_with_a_clear_error(
    tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_bundle, bundle)
    model_file = bundle / "model.keras"
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model_file.write_bytes(bytes(data))
    source = tmp_path / "in.csv"
    source.write_text("text\nhello\n", encoding="utf-8")
    result = run(console_script("ticket-router"), "predict", "--model", bundle, "--input", source)
    assert result.returncode == 2
    assert "sha256" in result.stderr and "refusing" in result.stderr and "Traceback" not in result.stderr
    result = run(console_script("ticket-trainer"), "evaluate", "--model", bundle, "--input", source,
                 "--label-column", "text")  # fmt: skip
    assert result.returncode == 2 and "sha256" in result.stderr


def test_evaluate_prints_metrics_json(tiny_bundle: Path, small_labelled_csv: Path, console_script: Script) -> None:
    result = run(console_script("ticket-trainer"), "evaluate", "--model", tiny_bundle, "--input", small_labelled_csv,
                 "--text-column", "text", "--label-column", "label")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(result.stdout)
    assert metrics["model"] == "tiny-1" and metrics["level"] == "department"
    assert 0.0 <= metrics["macro_f1"] <= 1.0 and 0.0 <= metrics["accuracy"] <= 1.0
    assert metrics["n"] == 320 and set(metrics["per_class"]) == set(DEPARTMENTS)
    assert 0.0 <= metrics["out_of_scope_recall"] <= 1.0
    assert metrics["accuracy"] > 0.3, "a tiny model still learns something"


def test_training_into_a_registry_makes_the_new_version_current(
    small_labelled_csv: Path, tmp_path: Path, console_script: Script
) -> None:
    registry = tmp_path / "registry"
    result = run(console_script("ticket-trainer"), "train-classifier", "--train", small_labelled_csv, "--tiny",
                 "--epochs", "1", "--registry", registry, "--work-dir", tmp_path / "work")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert ModelRegistry(registry).current_version() == summary["version"]
    assert (registry / summary["version"] / "manifest.json").is_file()
    assert not list(registry.glob(".*partial*")), "no half-written bundle left behind"


def test_missing_data_and_unmapped_labels_fail_clearly(tmp_path: Path, console_script: Script) -> None:
    result = run(console_script("ticket-trainer"), "train-classifier", "--data-dir", tmp_path / "nowhere")
    assert result.returncode == 2 and "shared data not found" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\na,pizza\nb,pasta\n", encoding="utf-8")
    result = run(console_script("ticket-trainer"), "train-classifier", "--train", bad, "--tiny")
    assert result.returncode == 2 and "--routing" in result.stderr
    one_label = tmp_path / "one_label.csv"
    one_label.write_text("text,label\n" + "".join(f"my card {i} was declined,cards\n" for i in range(20)), "utf-8")
    result = run(console_script("ticket-trainer"), "train-classifier", "--train", one_label, "--tiny")
    assert result.returncode == 2 and "at least two labels" in result.stderr and "Traceback" not in result.stderr
