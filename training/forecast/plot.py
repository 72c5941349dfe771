"""The forecaster's plot: forecast fans from several rolling origins over the actuals, the next days, and
every model on the last scored origin."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from training.forecast.rolling import WHOLE

if TYPE_CHECKING:
    from training.forecast.selection import EvaluationOutcome

FANS = 6
"""Rolling origins drawn with their forecast and interval (evenly spread over the scored ones, the last included)."""


def _days(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(count)]


def fan_origins(scored: list[int], count: int = FANS) -> list[int]:
    """``count`` indices spread evenly over ``scored``, ending with its last."""
    picks = np.linspace(0, len(scored) - 1, min(count, len(scored))).round().astype(int)
    return [scored[i] for i in sorted(set(picks.tolist()))]


def plot_forecast(
    path: Path, outcome: EvaluationOutcome, forecast: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> Path:
    """Write a two-panel PNG (matplotlib Agg, no display needed); returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rolling, run, served = outcome.rolling, outcome.interval_run, outcome.chosen
    series, split = rolling.series, rolling.split
    level = outcome.intervals.level
    unit = "USD per day" if series.value == "amount" else "loans per day"
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), constrained_layout=True)
    start = split.origins[outcome.groups["all"][0]] - 28
    top.plot(_days(series.date_at(start), len(series) - start), series.values[start:], color="black", lw=0.6,
             label="actual")  # fmt: skip
    colors = plt.get_cmap("tab10")
    for k, i in enumerate(fan_origins(outcome.groups["all"])):
        first = series.date_at(split.origins[i])
        days = _days(first, split.horizon)
        color = colors(k % 10)
        top.plot(days, rolling.forecasts[served][i], color=color, lw=1.2)
        if not np.isnan(run.lower[i, 0]):
            top.fill_between(days, run.lower[i], run.upper[i], color=color, alpha=0.18)
        top.axvline(first, color=color, lw=0.6, ls=":")
    future = _days(series.end + dt.timedelta(days=1), len(forecast))
    top.plot(future, forecast, color="tab:red", lw=1.5, label=f"next {len(forecast)} days")
    top.fill_between(future, lower, upper, color="tab:red", alpha=0.2, label=f"{level:.0%} interval")
    shifted = outcome.groups["shifted"]
    if shifted:
        top.scatter([series.date_at(split.origins[i]) for i in shifted], [0] * len(shifted), marker="^",
                    color="tab:orange", s=14, label="origin after a level shift", zorder=3)  # fmt: skip
    top.set_title(f"Daily loan {series.value}: {served} forecasts from rolling origins ({level:.0%} intervals)")
    top.set_ylabel(unit)
    top.legend(loc="upper left", fontsize="small")

    last = outcome.groups["last"][0]
    days = _days(series.date_at(split.origins[last]), split.horizon)
    bottom.plot(days, rolling.actual(last), color="black", lw=1, label="actual")
    for name, forecasts in rolling.forecasts.items():
        mase = outcome.scores[name][WHOLE]["last"]
        score = f" (MASE {mase['mase']:.2f})" if mase else ""
        bottom.plot(days, forecasts[last], lw=2 if name == served else 0.9, label=f"{name}{score}")
    bottom.set_title("Last scored origin: the final days of the data, every model")
    bottom.set_ylabel(unit)
    bottom.legend(loc="upper left", fontsize="small", ncol=2)
    fig.savefig(path, dpi=70)
    plt.close(fig)
    return path
