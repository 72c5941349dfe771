"""Rolling splitter, coarse refit schedule without leakage, per-band scores and the served choice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from core.errors import DataError
from training.forecast.baselines import Naive, SeasonalNaive, StatelessRecipe
from training.forecast.evaluation import against_best_baseline, score_models
from training.forecast.rolling import BANDS, RollingForecasts, band_of, forecast_model, refit_points, rolling_split
from training.forecast.selection import choose
from training.forecast.series import DailySeries
from training.forecast.shift import LevelShift

START = dt.date(2021, 1, 4)


def _series(values: np.ndarray) -> DailySeries:
    return DailySeries(START, np.asarray(values, dtype=float), "amount")


def test_split_has_weekly_origins_over_the_span_ending_one_horizon_before_the_end() -> None:
    split = rolling_split(800, 90, span_days=364, warmup_days=91, step=7, min_history=150)
    scored = split.scored_origins
    assert scored[-1] == 710 and scored[0] == 710 - 364 and len(scored) == 53
    assert all(b - a == 7 for a, b in zip(split.origins, split.origins[1:], strict=False))
    assert split.origins[0] == 710 - 364 - 91, "the warm-up weeks come first, unscored"
    assert split.origins[-1] <= 800 - 7 and split.origins[-1] + 7 > 800 - 7, "partly observed origins last"
    assert not any(s for o, s in zip(split.origins, split.scored, strict=True) if o > 710 or o < 346)


def test_split_starts_no_earlier_than_the_history_allows() -> None:
    split = rolling_split(400, 90, span_days=364, warmup_days=91, step=7, min_history=150)
    assert split.origins[0] >= 150 and (310 - split.origins[0]) % 7 == 0
    with pytest.raises(DataError, match="too short"):
        rolling_split(200, 90, min_history=150)


def test_bands_cover_the_horizon_once() -> None:
    leads = [lead for band in BANDS for lead in range(band.first, band.last + 1)]
    assert leads == list(range(1, 91))
    assert band_of(1).name == "1-7" and band_of(8).name == "8-30" and band_of(90).name == "31-90"
    assert BANDS[2].leads(60) == slice(30, 60)


def test_refit_points_start_each_block() -> None:
    origins = list(range(100, 300, 7))
    points = refit_points(origins, 91)
    assert points[100] == 100 and points[184] == 100 and points[191] == 191 and points[296] == 282
    assert all(p <= o for o, p in points.items())


class _Recorder:
    """A recipe that remembers the history length of every fit; its forecast is the fit length."""

    name = "recorder"

    def __init__(self) -> None:
        self.fits: list[int] = []

    def fit(self, history: DailySeries) -> _Fitted:
        self.fits.append(len(history))
        return _Fitted(len(history))


class _Fitted:
    name = "recorder"

    def __init__(self, trained_on: int) -> None:
        self.trained_on = trained_on

    def forecast(self, history: DailySeries, horizon: int) -> np.ndarray:
        return np.full(horizon, float(self.trained_on * 1000 + len(history)))


def test_a_coarse_schedule_forecasts_every_origin_with_a_model_fit_before_it(tmp_path: Path) -> None:
    series = _series(np.arange(400.0))
    split = rolling_split(400, 30, span_days=140, warmup_days=28, step=7, min_history=60)
    recorder = _Recorder()
    out = forecast_model(series, split, recorder, refit_days=56, cache=tmp_path)
    assert recorder.fits == sorted(set(refit_points(split.origins, 56).values()))
    for origin, row in zip(split.origins, out, strict=True):
        trained_on, read = divmod(int(row[0]), 1000)
        assert read == origin, "each origin forecasts from its own history"
        assert trained_on <= origin and origin - trained_on < 56, "the latest fit, never one that saw the origin"
    again = _Recorder()
    np.testing.assert_array_equal(forecast_model(series, split, again, refit_days=56, cache=tmp_path), out)
    assert again.fits == [], "a rerun reads the cached blocks"


def _shifted_series(rng: np.random.Generator, days: int = 700, shift_at: int = 500) -> DailySeries:
    week = np.array([1.0, 1.1, 1.05, 1.2, 0.9, 0.5, 0.4])
    level = np.where(np.arange(days) < shift_at, 1000.0, 700.0)
    return _series(level * np.resize(week, days) * rng.lognormal(0, 0.05, days))


def test_scores_per_band_and_shifted_origins_on_a_known_level_shift() -> None:
    series = _shifted_series(np.random.default_rng(1))
    split = rolling_split(len(series), 90, span_days=280, warmup_days=56, step=7, min_history=150)
    forecasts = {
        r.name: forecast_model(series, split, r) for r in (StatelessRecipe(Naive()), StatelessRecipe(SeasonalNaive()))
    }
    rolling = RollingForecasts(series, split, forecasts)
    scores = score_models(rolling, LevelShift())
    snaive = scores["seasonal_naive"]
    assert set(snaive) == {"1-7", "8-30", "31-90", "whole"}
    assert snaive["1-7"]["shifted"] is not None and snaive["1-7"]["calm"] is not None
    # Calm origins just before the drop forecast the old level across it; shifted ones start from the new one.
    assert snaive["31-90"]["calm"]["mase"] > 2 * snaive["31-90"]["shifted"]["mase"]  # type: ignore[index]
    # A baseline is compared with the best of the others.
    assert against_best_baseline(scores, "seasonal_naive")["1-7"]["all"] < -0.5
    assert against_best_baseline(scores, "naive")["1-7"]["all"] > 1.0
    chosen, why = choose(scores, {m: against_best_baseline(scores, m) for m in scores}, 90)
    assert chosen == "seasonal_naive" and "within 10%" in why
