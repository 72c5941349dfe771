"""Trainer settings: defaults, environment parsing and validation that names the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from training.settings import TrainerSettings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("TICKET_TRAINER_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    s = TrainerSettings()
    assert s.feedback_topic == "tickets.feedback" and s.group_id == "ticket-trainer"
    assert s.http_port == 8080 and s.min_new_corrections == 50 and s.refresh_interval_s == 0
    assert s.promotion_tolerance == 0.01 and s.keep_bundles == 5
    assert s.feedback_store == Path("var/feedback.sqlite3")
    assert s.loans_topic == "loans.created" and s.forecast_topic == "loans.forecast"
    assert s.forecast_bundle is not None and s.forecast_bundle.parts[-2:] == ("forecaster", "loans-amount")
    assert (s.forecast_bundle / "manifest.json").is_file(), "the shipped forecaster"


def test_environment_is_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TICKET_TRAINER_MIN_NEW_CORRECTIONS", "7")
    monkeypatch.setenv("TICKET_TRAINER_FORECAST_BUNDLE", f"{tmp_path}/a")
    monkeypatch.setenv("TICKET_TRAINER_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    s = TrainerSettings()
    assert s.min_new_corrections == 7
    assert s.forecast_bundle == tmp_path / "a"
    assert s.client_kwargs()["bootstrap_servers"] == ["k1:9092", "k2:9092"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_new_corrections", 0),
        ("promotion_tolerance", -0.1),
        ("promotion_tolerance", 1.5),
        ("keep_bundles", 0),
        ("http_port", 70000),
        ("holdout_fraction", 0.0),
        ("holdout_fraction", 1.0),
        ("refresh_interval_s", -1),
        ("bootstrap_servers", "no-port"),
    ],
)
def test_bad_values_fail_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        TrainerSettings(**{field: value})  # type: ignore[arg-type]
    assert field in str(info.value)


def test_empty_forecast_bundle_turns_forecasts_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKET_TRAINER_FORECAST_BUNDLE", "")
    assert TrainerSettings().forecast_bundle is None


def test_topics_must_differ() -> None:
    with pytest.raises(ValidationError, match="different topics"):
        TrainerSettings(loans_topic="x", forecast_topic="x")


def test_settings_are_frozen() -> None:
    s = TrainerSettings()
    with pytest.raises(ValidationError):
        s.http_port = 1  # type: ignore[misc]
