"""JSON Schema export writes a valid schema for every contract."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.export import MODELS, write_schemas


def test_every_contract_is_exported(tmp_path: Path) -> None:
    written = write_schemas(tmp_path / "out")
    names = {path.name for path in written}
    assert names == {f"{n}.schema.json" for n in [*MODELS, "input_event"]}
    union = json.loads((tmp_path / "out" / "input_event.schema.json").read_text())
    assert union["discriminator"]["propertyName"] == "kind"
    complaint = json.loads((tmp_path / "out" / "complaint_event.schema.json").read_text())
    assert complaint["additionalProperties"] is False
    assert "text" in complaint["required"]
