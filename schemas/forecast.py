"""The manifest of a loan-forecaster bundle: model, backtest of every model, intervals, data provenance."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from schemas.common import SCHEMA_VERSION, Contract, UtcDatetime
from schemas.manifest import VERSION_PATTERN, DataFile, Sha256

ForecastModelName = Literal["lstm", "naive", "seasonal_naive", "ets"]
ValueKind = Literal["amount", "count"]
FileName = Annotated[str, Field(pattern=r"^[^/\\]+$")]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Scores(Contract):
    """Point-forecast accuracy: MAE (series units), sMAPE (percent, 0-200), MASE (weekly seasonal-naive scale)."""

    mae: NonNegative
    smape: NonNegative
    mase: NonNegative


class OriginScores(Scores):
    """Scores of one rolling origin; ``first_day`` is the first forecast day."""

    first_day: dt.date


class ModelReport(Contract):
    """One model on the rolling-origin backtest."""

    model: ForecastModelName
    mean: Scores = Field(description="Averaged over all origins.")
    final_fold: Scores = Field(description="The last origin: the most recent `horizon` days of the data.")
    origins: Annotated[list[OriginScores], Field(min_length=1)]
    coverage: Share | None = Field(
        description="Share of scored days inside the interval; each origin calibrated only on reference "
        "forecasts complete before it. None when no origin had such history."
    )
    coverage_final_fold: Share | None
    coverage_days: Annotated[int, Field(ge=0)]


class Backtest(Contract):
    """The rolling-origin backtest every model was scored on."""

    horizon: Annotated[int, Field(ge=1)]
    step_days: Annotated[int, Field(ge=1)]
    first_days: Annotated[list[dt.date], Field(min_length=1)]
    models: Annotated[list[ModelReport], Field(min_length=1)]


class Intervals(Contract):
    """Split-conformal intervals: log1p-space offsets per ``<horizon block>:<business|other>`` group."""

    level: Annotated[float, Field(gt=0.0, lt=1.0)]
    method: Literal["split_conformal_log1p"] = "split_conformal_log1p"
    block_days: Annotated[int, Field(ge=1)]
    lower: dict[str, float]
    upper: dict[str, float]
    calibration_days: Annotated[int, Field(ge=1)]
    calibrated_on: str = Field(default="", description="Which forecasts' residuals set the offsets.")
    coverage: Share | None = Field(description="Backtest coverage of the served model (see ModelReport).")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.lower.keys() != self.upper.keys() or not self.lower:
            raise ValueError("lower and upper need the same, non-empty groups")
        if any(self.lower[k] > 0 or self.upper[k] < 0 for k in self.lower):
            raise ValueError("lower offsets must be <= 0 and upper offsets >= 0")
        return self


class SeriesInfo(Contract):
    """The daily series the bundle was trained on (also stored in the bundle as ``series_file``)."""

    value: ValueKind
    first_day: dt.date
    last_day: dt.date
    days: Annotated[int, Field(ge=1)]
    file: FileName
    sha256: Sha256


class LstmSettings(Contract):
    """The LSTM's window geometry, fitted scaler and training settings."""

    window: Annotated[int, Field(ge=7)]
    horizon: Annotated[int, Field(ge=1)]
    level_days: Annotated[int, Field(ge=1)]
    value_mean: float
    value_std: Annotated[float, Field(gt=0.0)]
    offset: Annotated[float, Field(gt=0.0)] = Field(
        default=0.1, description="Values enter the network as log(value / level + offset)."
    )
    zero_closed_days: bool = Field(
        default=False, description="Weekends and Federal Reserve holidays are forecast as exactly 0 (never active)."
    )
    ets_input: bool = Field(default=False, description="Each target day's input includes ETS's forecast.")
    training: dict[str, float | int | str | bool | list[int]] = Field(default_factory=dict)


class ForecastManifest(Contract):
    """``manifest.json`` of a forecaster bundle directory."""

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: Literal["forecaster"] = "forecaster"
    version: Annotated[str, Field(pattern=VERSION_PATTERN)]
    created_at: UtcDatetime
    value: ValueKind
    window: Annotated[int, Field(ge=7)]
    horizon: Annotated[int, Field(ge=1)]
    chosen_model: ForecastModelName
    chosen_reason: str
    model_file: FileName
    model_sha256: Sha256
    lstm: LstmSettings
    backtest: Backtest
    intervals: Intervals
    series: SeriesInfo
    data: Annotated[list[DataFile], Field(min_length=1)]

    @model_validator(mode="after")
    def _chosen_was_backtested(self) -> Self:
        if self.chosen_model not in {m.model for m in self.backtest.models}:
            raise ValueError(f"chosen_model {self.chosen_model!r} is not in the backtest")
        return self
