"""JSON Schema export of every contract, so other teams can validate without Python."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaValue

from schemas.events import INPUT_EVENT_ADAPTER, ComplaintEvent, SocialPostEvent
from schemas.feedback import Feedback
from schemas.forecast import ForecastManifest
from schemas.loans import ForecastEvent, LoanRecord
from schemas.manifest import ModelManifest
from schemas.outputs import DeadLetter, RoutedEvent

MODELS: dict[str, type[BaseModel]] = {
    "complaint_event": ComplaintEvent,
    "social_post_event": SocialPostEvent,
    "routed_event": RoutedEvent,
    "dead_letter": DeadLetter,
    "feedback": Feedback,
    "model_manifest": ModelManifest,
    "loan_record": LoanRecord,
    "forecast_event": ForecastEvent,
    "forecast_manifest": ForecastManifest,
}


def all_schemas() -> dict[str, JsonSchemaValue]:
    """Every contract's JSON Schema by file stem, including the input-event union."""
    schemas = {name: model.model_json_schema() for name, model in MODELS.items()}
    schemas["input_event"] = INPUT_EVENT_ADAPTER.json_schema()
    return schemas


def write_schemas(out_dir: Path) -> list[Path]:
    """Write ``<name>.schema.json`` for every contract into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in sorted(all_schemas().items()):
        path = out_dir / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
