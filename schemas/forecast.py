"""The manifest of a loan-forecaster bundle: model, rolling evaluation of every model, intervals, provenance."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from schemas.common import SCHEMA_VERSION, Contract, UtcDatetime
from schemas.manifest import VERSION_PATTERN, DataFile, Sha256

ForecastModelName = Literal["lstm", "naive", "seasonal_naive", "ets", "damped", "combination"]
ValueKind = Literal["amount", "count"]
FileName = Annotated[str, Field(pattern=r"^[^/\\]+$")]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
BandName = Literal["1-7", "8-30", "31-90", "whole"]
Weight = Annotated[float, Field(ge=0.0, le=1.0)]


class Scores(Contract):
    """Point-forecast accuracy: MAE (series units), sMAPE (percent, 0-200), MASE (weekly seasonal-naive scale)."""

    mae: NonNegative
    smape: NonNegative
    mase: NonNegative


class GroupScores(Contract):
    """Mean scores over the scored origins of each group (None: the group has no origin)."""

    all: Scores | None
    shifted: Scores | None = Field(description="Origins that follow a level shift (see Evaluation.level_shift).")
    calm: Scores | None
    last: Scores | None = Field(description="The last origin alone: the final `horizon` days of the data.")


class ModelEvaluation(Contract):
    """One model on the rolling evaluation, per horizon band (``whole``: the whole horizon)."""

    model: ForecastModelName
    bands: dict[BandName, GroupScores]
    vs_best_baseline: dict[BandName, dict[str, float | None]] = Field(
        description="Band -> group -> this model's MASE over the best baseline's, minus one (0.05 = 5% worse)."
    )


class Evaluation(Contract):
    """The rolling-origin evaluation every model was scored on."""

    horizon: Annotated[int, Field(ge=1)]
    step_days: Annotated[int, Field(ge=1)]
    first_scored: dt.date
    last_scored: dt.date
    origins_scored: Annotated[int, Field(ge=1)]
    origins_shifted: Annotated[int, Field(ge=0)]
    warmup_days: Annotated[int, Field(ge=0)]
    lstm_refit_days: Annotated[int, Field(ge=1)] | None = Field(
        description="The LSTM is refit every this many days and forecasts each origin with the latest fit "
        "(None: the LSTM was left out of this evaluation)."
    )
    level_shift: str
    combination_lookback: Annotated[int, Field(ge=1)]
    combination_power: Annotated[float, Field(ge=0.0)]
    models: Annotated[list[ModelEvaluation], Field(min_length=1)]


class Intervals(Contract):
    """Adaptive conformal intervals (log1p residuals) per horizon band, with the state to keep adapting."""

    level: Annotated[float, Field(gt=0.0, lt=1.0)]
    method: Literal["adaptive_conformal_log1p"] = "adaptive_conformal_log1p"
    gamma: Annotated[float, Field(ge=0.0)]
    window: Annotated[int, Field(ge=1)]
    alpha: dict[BandName, float] = Field(description="Working miscoverage rate per band at the end of the data.")
    residuals: dict[BandName, list[float]] = Field(description="The most recent residuals per band, oldest first.")
    coverage: dict[BandName, dict[str, Share | None]] = Field(
        description="Rolling-evaluation coverage of the served model: band -> group -> share of days inside."
    )


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
    combination_weights: dict[BandName, dict[ForecastModelName, Weight]] | None = Field(
        default=None, description="Band -> member -> weight when the served model is the combination."
    )
    model_file: FileName
    model_sha256: Sha256
    lstm: LstmSettings
    evaluation: Evaluation
    intervals: Intervals
    series: SeriesInfo
    data: Annotated[list[DataFile], Field(min_length=1)]

    @model_validator(mode="after")
    def _chosen_was_evaluated(self) -> Self:
        if self.chosen_model not in {m.model for m in self.evaluation.models}:
            raise ValueError(f"chosen_model {self.chosen_model!r} is not in the evaluation")
        if (self.chosen_model == "combination") != (self.combination_weights is not None):
            raise ValueError("combination_weights are required exactly when the combination is served")
        return self
