"""Adaptive conformal intervals: the update rule, the bounds, and a replay over a known level shift."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from training.forecast.adaptive import AdaptiveIntervals, log_residuals, run_adaptive
from training.forecast.rolling import rolling_split


def test_misses_widen_and_hits_narrow() -> None:
    aci = AdaptiveIntervals(level=0.8, gamma=0.1)
    aci.update("1-7", np.zeros(5), np.array([True, True, True, True, False]))
    assert aci.alpha["1-7"] == pytest.approx(0.2 + 0.1 * (0.2 - 0.8))
    aci.update("8-30", np.zeros(5), np.zeros(5, dtype=bool))
    assert aci.alpha["8-30"] == pytest.approx(0.2 + 0.1 * 0.2)
    aci.update("31-90", np.zeros(3), None)
    assert aci.alpha["31-90"] == pytest.approx(0.2), "days forecast before any interval do not move alpha"
    assert aci.residuals["31-90"] == [0.0, 0.0, 0.0]


def test_bounds_are_quantiles_of_the_band_residuals_and_widen_as_alpha_falls() -> None:
    aci = AdaptiveIntervals(level=0.8, gamma=0.0, window=200)
    with pytest.raises(DataError, match="no residuals"):
        aci.bounds(np.ones(10))
    spread = np.linspace(-0.5, 0.5, 101)
    for band in ("1-7", "8-30", "31-90"):
        aci.update(band, spread, None)
    lower, upper = aci.bounds(np.full(90, 100.0))
    assert np.log1p(upper[0]) - np.log1p(100.0) == pytest.approx(0.4, abs=0.011)
    assert np.log1p(lower[0]) - np.log1p(100.0) == pytest.approx(-0.4, abs=0.011)
    aci.alpha["1-7"] = -0.3
    wide_lower, wide_upper = aci.bounds(np.full(90, 100.0))
    assert np.log1p(wide_upper[0]) - np.log1p(100.0) == pytest.approx(0.5), "alpha <= 0: the widest residual"
    assert wide_upper[10] == upper[10], "the other bands keep their own alpha"
    aci.alpha["1-7"] = 1.5
    point_lower, point_upper = aci.bounds(np.full(90, 100.0))
    assert point_lower[0] <= 100.0 <= point_upper[0], "an interval never excludes its forecast"
    assert log_residuals(np.array([-5.0]), np.array([0.0]))[0] == 0.0


def test_the_window_keeps_the_newest_residuals() -> None:
    aci = AdaptiveIntervals(window=3)
    aci.update("1-7", np.array([1.0, 2.0, 3.0, 4.0]), None)
    assert aci.residuals["1-7"] == [2.0, 3.0, 4.0]
    with pytest.raises(DataError):
        AdaptiveIntervals(level=1.0)


def _moving_average_replay(gamma: float) -> tuple[np.ndarray, list[int], np.ndarray, dict[str, list[int]], object]:
    """A series whose level drops 30% on day 500, forecast from weekly origins by the mean of the last 28 days."""
    rng = np.random.default_rng(7)
    days = 900
    values = np.where(np.arange(days) < 500, 1000.0, 700.0) * rng.lognormal(0, 0.1, days)
    split = rolling_split(days, 90, span_days=364, warmup_days=182, step=7, min_history=60)
    forecasts = np.stack([np.full(90, values[o - 28 : o].mean()) for o in split.origins])
    scored = [i for i, s in enumerate(split.scored) if s]
    after = [i for i in scored if 500 <= split.origins[i] < 500 + 56]
    aci = AdaptiveIntervals(level=0.8, gamma=gamma)
    run = run_adaptive(values, split.origins, forecasts, {"all": scored, "after_shift": after}, aci)
    return values, split.origins, forecasts, {"all": scored, "after_shift": after}, run


def test_a_replay_over_a_level_shift_widens_after_it_and_holds_coverage() -> None:
    _, origins, forecasts, groups, run = _moving_average_replay(gamma=0.05)
    _, _, _, _, fixed = _moving_average_replay(gamma=0.0)
    width = np.log1p(run.upper[:, 0]) - np.log1p(run.lower[:, 0])  # type: ignore[attr-defined]
    before = [i for i in groups["all"] if 400 <= origins[i] < 500]
    after = [i for i in groups["all"] if 530 <= origins[i] < 600]
    assert width[after].mean() > 1.2 * width[before].mean(), "the 1-7 day interval widens after the shift"
    adaptive_cov = run.coverage["whole"]["after_shift"]  # type: ignore[attr-defined]
    fixed_cov = fixed.coverage["whole"]["after_shift"]  # type: ignore[attr-defined]
    assert adaptive_cov > fixed_cov, "adapting holds coverage better right after the shift"
    for band in ("1-7", "8-30", "31-90"):
        assert 0.7 <= run.coverage[band]["all"] <= 0.9, band  # type: ignore[attr-defined]
    assert np.isnan(run.lower[0, 0]), "no interval before any residual"  # type: ignore[attr-defined]
