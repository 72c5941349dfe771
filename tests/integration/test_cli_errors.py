"""Bad files and options through the real console scripts: one clear error line and exit 2, never a traceback."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from classifier.registry import ModelRegistry
from core.hashing import sha256_file
from tests.integration.classifier_tools import read_jsonl, run
from tests.unit.trainer_fakes import BASE_RULES, write_bundle

pytestmark = pytest.mark.slow

Script = Callable[[str], Path]
DEEP = b"[" * 100_000 + b"]" * 100_000


def _refused(result: Any, *needles: str) -> None:
    """Exit 2, no traceback, exactly one error line holding every needle."""
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr[-3000:]
    for needle in needles:
        assert needle in errors[0], errors[0]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _binary(path: Path) -> Path:
    return _write(path, bytes(range(256)) * 64)


def _copy_bundle(source: Path, target: Path, version: str | None = None) -> Path:
    shutil.copytree(source, target)
    if version is not None:
        manifest = json.loads((target / "manifest.json").read_text())
        manifest["version"] = version
        (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def _deep_config_bundle(source: Path, target: Path, version: str | None = None) -> Path:
    """A copy of ``source`` whose model file's ``config.json`` is nested 100,000 deep, its sha256 in the manifest."""
    _copy_bundle(source, target, version)
    manifest = json.loads((target / "manifest.json").read_text())
    model = target / manifest["model_file"]
    with zipfile.ZipFile(source / manifest["model_file"]) as old, zipfile.ZipFile(model, "w") as new:
        for item in old.infolist():
            new.writestr(item, DEEP if item.filename == "config.json" else old.read(item))
    manifest["model_sha256"] = sha256_file(model)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


# Item 5: a bundle whose config.json is nested 100,000 deep is a ModelLoadError, at start and on hot reload.


def test_a_deeply_nested_model_config_is_refused_at_start(
    tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    bundle = _deep_config_bundle(tiny_bundle, tmp_path / "deep")
    source = _write(tmp_path / "in.csv", b"text\nhello\n")
    result = run(console_script("ticket-router"), "serve", "--model", bundle, "--http-port", "0")
    _refused(result, "no loadable model", "RecursionError")
    result = run(console_script("ticket-router"), "predict", "--model", bundle, "--input", source)
    _refused(result, "cannot load model.keras", "RecursionError")


def test_a_deeply_nested_model_config_on_hot_reload_is_refused_and_the_watcher_lives_on(
    kafka_settings: Any, unique_name: Callable[[str], str], start_router: Callable[..., Any], tiny_bundle: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    from tests.integration.router_process import make_topics, metric_value, wait_for

    registry = ModelRegistry(tmp_path / "registry")
    _copy_bundle(tiny_bundle, registry.root / "v1", "v1")
    registry.set_current("v1")
    topics = make_topics(kafka_settings, unique_name)
    env = {"TICKET_ROUTER_REGISTRY": str(registry.root), "TICKET_ROUTER_RELOAD_INTERVAL_S": "0.3"}
    router = start_router({**topics.env(), "TICKET_ROUTER_GROUP_ID": unique_name("g"), **env})
    router.wait_ready()
    _deep_config_bundle(tiny_bundle, registry.root / "v2", "v2")
    registry.set_current("v2")
    wait_for(lambda: metric_value(router.metrics(), "ticket_router_model_reloads_total", outcome="refused") >= 1, 60,
             "the deeply nested bundle to be refused")  # fmt: skip
    _copy_bundle(tiny_bundle, registry.root / "v3", "v3")
    registry.set_current("v3")
    wait_for(lambda: metric_value(router.metrics(), "ticket_router_model_info", version="v3") == 1, 60,
             "a later good bundle to be loaded by the same watcher")  # fmt: skip
    assert router.process.poll() is None and "Traceback" not in router.log()
    assert router.terminate() == 0


# Item 6: bad input files and option values of every command.


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("binary.csv", None, "not UTF-8"),
        ("latin1.csv", "text\ncaf\xe9 au lait\n".encode("latin-1"), "not UTF-8"),
        ("latin1.jsonl", '{"text": "caf\xe9"}\n'.encode("latin-1"), "not UTF-8"),
        ("deep.jsonl", b'{"text": ' + DEEP + b"}\n", "nested too deeply"),
        ("list.jsonl", b'{"text": "fine"}\n[1, 2]\n', "list.jsonl:2: not a JSON object"),
        ("surrogate.jsonl", b'{"text": "\\ud800"}\n', "not valid Unicode"),
        ("empty.csv", b"", "columns found: none (empty file)"),
        ("empty.jsonl", b"", "no rows"),
        ("nocolumn.csv", b"body\nhello\n", "missing column(s) text"),
    ],
)
def test_predict_refuses_bad_input_files(
    name: str, data: bytes | None, needle: str, tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    source = _binary(tmp_path / name) if data is None else _write(tmp_path / name, data)
    out = tmp_path / "out.jsonl"
    result = run(console_script("ticket-router"), "predict", "--model", tiny_bundle, "--input", source, "--output", out)
    _refused(result, needle)
    assert list(tmp_path.iterdir()) == [source], "no output, partial or not"


def test_a_bad_line_after_good_ones_leaves_no_output_behind(
    tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    good = "".join(json.dumps({"text": f"my card {i} was declined"}) + "\n" for i in range(5000))
    source = _write(tmp_path / "in.jsonl", (good + "{not json\n").encode())
    out = tmp_path / "out.jsonl"
    result = run(console_script("ticket-router"), "predict", "--model", tiny_bundle, "--input", source, "--output", out)
    _refused(result, "in.jsonl:5001: not JSON")
    assert list(tmp_path.iterdir()) == [source], "neither OUT nor OUT.partial"


def test_predict_reads_long_fields_and_a_byte_order_mark(
    tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    complaint = "my mortgage servicer never applied my payment and charged late fees " * 3_000  # 210 KB
    source = _write(tmp_path / "in.csv", b"\xef\xbb\xbfid,text\n" + f'a,"{complaint}"\nb,card lost\n'.encode())
    out = tmp_path / "out.jsonl"
    result = run(console_script("ticket-router"), "predict", "--model", tiny_bundle, "--input", source,
                 "--id-column", "id", "--output", out)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert [line["id"] for line in read_jsonl(out)] == ["a", "b"]


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--threshold", "7", "argument --threshold: must be a number in [0, 1]"),
        ("--threshold", "nan", "argument --threshold: must be a number in [0, 1]"),
        ("--top-k", "-1", "argument --top-k: must be between 1 and 5"),
        ("--top-k", "6", "argument --top-k: must be between 1 and 5"),
    ],
)
def test_predict_refuses_option_values_out_of_range(
    option: str, value: str, needle: str, tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    source = _write(tmp_path / "in.csv", b"text\nhello\n")
    result = run(console_script("ticket-router"), "predict", "--model", tiny_bundle, "--input", source, option, value)
    _refused(result, needle)


def test_outputs_naming_a_directory_or_an_unwritable_path_are_refused(
    tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    source = _write(tmp_path / "in.csv", b"text\nhello\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    for out, needle in [(tmp_path / "dir", "is a directory"), (tmp_path / "file" / "out.jsonl", "cannot write")]:
        result = run(console_script("ticket-router"), "predict", "--model", tiny_bundle, "--input", source,
                     "--output", out)  # fmt: skip
        _refused(result, needle)
        result = run(console_script("ticket-trainer"), "forecast", "predict", "--model", tmp_path / "dir",
                     "--output", out)  # fmt: skip
        _refused(result, needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "file", "in.csv"]
    assert list((tmp_path / "dir").iterdir()) == []


def test_training_and_evaluation_refuse_binary_and_non_utf8_files(
    tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    trainer = console_script("ticket-trainer")
    for source in (_binary(tmp_path / "binary.csv"), _write(tmp_path / "latin1.csv", b"text,label\ncaf\xe9,cards\n")):
        _refused(run(trainer, "evaluate", "--model", tiny_bundle, "--input", source), "not UTF-8")
        _refused(run(trainer, "train-classifier", "--train", source, "--tiny", "--out", tmp_path / "b"), "not UTF-8")
        _refused(run(trainer, "forecast", "train", "--loans", source, "--out", tmp_path / "f"), "not UTF-8")
    assert not (tmp_path / "b").exists() and not (tmp_path / "f").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ("evaluate", "--input", "x.csv", "--threshold", "nan"),
        ("train-classifier", "--validation-fraction", "1"),
        ("train-classifier", "--epochs", "0"),
        ("forecast", "predict", "--model", "b", "--output", "-", "--days", "0"),
        ("forecast", "train", "--loans", "x.csv", "--out", "b", "--window", "0"),
        ("models", "prune", "--keep", "0"),
    ],
)
def test_trainer_options_are_checked_when_parsed(argv: tuple[str, ...], console_script: Script) -> None:
    _refused(run(console_script("ticket-trainer"), *argv), f"argument {argv[-2]}: must be")


def test_forecast_commands_refuse_junk_bundles_and_loans(tmp_path: Path, console_script: Script) -> None:
    trainer = console_script("ticket-trainer")
    junk = tmp_path / "junk"
    junk.mkdir()
    _write(junk / "manifest.json", DEEP)
    _refused(run(trainer, "forecast", "predict", "--model", junk, "--output", "-"), "invalid forecaster manifest")
    loans = _write(tmp_path / "loans.csv", b"created_at,amount\n9999-12-31T23:00:00-01:00,5\n")
    _refused(run(trainer, "forecast", "train", "--loans", loans, "--out", tmp_path / "f"), "loans.csv:2")


# Item 7: registry paths confined; symlinks out of the registry refused; prune never follows them.


@pytest.mark.parametrize("pointer", ["../elsewhere", "ABSOLUTE"])
def test_current_naming_a_path_outside_the_registry_is_refused(
    pointer: str, tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    elsewhere = _copy_bundle(tiny_bundle, tmp_path / "elsewhere")
    registry = ModelRegistry(tmp_path / "registry")
    registry.root.mkdir()
    (registry.root / "CURRENT").write_text((str(elsewhere) if pointer == "ABSOLUTE" else pointer) + "\n")
    source = _write(tmp_path / "in.csv", b"text\nhello\n")
    result = run(console_script("ticket-router"), "predict", "--registry", registry.root, "--input", source)
    _refused(result, "is not a version name")
    result = run(console_script("ticket-router"), "serve", "--registry", registry.root, "--http-port", "0")
    _refused(result, "is not a version name")


def test_rollback_refuses_a_history_entry_leading_outside(tmp_path: Path, console_script: Script) -> None:
    registry = ModelRegistry(tmp_path / "registry")
    write_bundle(tmp_path / "elsewhere", "elsewhere", BASE_RULES)
    for version in ("v1", "v2"):
        write_bundle(registry.root / version, version, BASE_RULES)
        registry.set_current(version)
    (registry.root / "HISTORY").write_text("v1\n../elsewhere\nv2\n")
    result = run(console_script("ticket-trainer"), "models", "--registry", registry.root, "rollback")
    _refused(result, "'../elsewhere' is not a version name")
    assert (registry.root / "CURRENT").read_text() == "v2\n"


def test_a_model_file_symlinked_outside_the_registry_is_refused(
    tiny_bundle: Path, tmp_path: Path, console_script: Script
) -> None:
    bundle = _copy_bundle(tiny_bundle, tmp_path / "registry" / "v1")
    outside = tmp_path / "outside.keras"
    (bundle / "model.keras").rename(outside)
    (bundle / "model.keras").symlink_to(outside)
    source = _write(tmp_path / "in.csv", b"text\nhello\n")
    result = run(console_script("ticket-router"), "predict", "--model", bundle, "--input", source)
    _refused(result, "leads outside the bundle")


def test_prune_with_a_symlinked_version_folder_deletes_nothing_outside(tmp_path: Path, console_script: Script) -> None:
    registry = ModelRegistry(tmp_path / "registry")
    write_bundle(tmp_path / "outside", "outside", BASE_RULES)
    write_bundle(registry.root / "v1", "v1", BASE_RULES)
    (registry.root / "v2").symlink_to(registry.root / "v1", target_is_directory=True)
    (registry.root / "v3").symlink_to(tmp_path / "outside", target_is_directory=True)
    write_bundle(registry.root / "v4", "v4", BASE_RULES)
    registry.set_current("v4")
    result = run(console_script("ticket-trainer"), "models", "--registry", registry.root, "prune", "--keep", "1")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "deleted 2 bundle(s): v1, v2" in result.stdout
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["manifest.json", "model.json"]
