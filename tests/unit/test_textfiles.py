"""Users' files: whole-or-nothing outputs, long CSV fields, BOM headers, model files kept inside their bundle."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from classifier.bundle import verify_model_file
from core.cli import build_parser, run
from core.errors import DataError, ModelLoadError
from core.textfiles import atomic_output, csv_rows
from tests.unit.trainer_fakes import BASE_RULES, write_bundle


def test_an_output_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out.jsonl"
    with atomic_output(out) as handle:
        handle.write("one\n")
        assert not out.exists(), "nothing under the final name until the end"
    assert out.read_text() == "one\n"
    with pytest.raises(DataError, match="bad line"), atomic_output(out) as handle:
        handle.write("partial\n")
        raise DataError("bad line")
    assert out.read_text() == "one\n", "the previous output is left as it was"
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.jsonl"], "no partial file left behind"


def test_an_output_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a directory"), atomic_output(tmp_path):
        pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="cannot write"), atomic_output(tmp_path / "file" / "out.csv"):
        pass


def test_csv_fields_of_any_length_and_a_byte_order_mark(tmp_path: Path) -> None:
    complaint = "my card was charged twice " * 8_000  # 208,000 characters, over the csv module's default limit
    path = tmp_path / "in.csv"
    path.write_bytes(b"\xef\xbb\xbftext,id\n" + f'"{complaint}",7\n'.encode())
    assert list(csv_rows(path, ["text", "id"])) == [{"text": complaint, "id": "7"}]


def test_a_model_file_symlinked_out_of_its_bundle_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    write_bundle(bundle, "v1", BASE_RULES)
    from schemas.manifest import ModelManifest

    manifest = ModelManifest.model_validate_json((bundle / "manifest.json").read_bytes())
    assert verify_model_file(bundle, manifest) == bundle / "model.json"
    outside = tmp_path / "outside.json"
    (bundle / "model.json").rename(outside)
    (bundle / "model.json").symlink_to(outside)
    assert hashlib.sha256(outside.read_bytes()).hexdigest() == manifest.model_sha256, "the hash alone would pass"
    with pytest.raises(ModelLoadError, match="leads outside the bundle"):
        verify_model_file(bundle, manifest)


def test_file_system_errors_of_a_command_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    parser = build_parser("ticket-router", "", ("service.commands.schemas",))
    assert run(parser, ["schemas", "--out", str(tmp_path / "file" / "schemas")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ticket-router schemas: error: [Errno") and "Traceback" not in err
    assert err.count("\n") == 1
