"""The bundle's plot: recent history with the forecast and its interval, and every model on the last fold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from training.forecast.backtest import ModelBacktest
from training.forecast.series import DailySeries

HISTORY_DAYS = 180


def _days(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(count)]


def plot_forecast(
    path: Path,
    series: DailySeries,
    forecast: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    level: float,
    served: str,
    backtest: dict[str, ModelBacktest],
) -> Path:
    """Write a two-panel PNG (matplotlib Agg, no display needed); returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    unit = "USD per day" if series.value == "amount" else "loans per day"
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 8), constrained_layout=True)
    start = max(0, len(series) - HISTORY_DAYS)
    top.plot(
        _days(series.date_at(start), len(series) - start), series.values[start:], color="black", lw=1, label="actual"
    )
    future = _days(series.end + dt.timedelta(days=1), len(forecast))
    top.plot(future, forecast, color="tab:blue", lw=1.5, label=f"forecast ({served})")
    top.fill_between(future, lower, upper, color="tab:blue", alpha=0.25, label=f"{level:.0%} interval")
    top.set_title(f"Daily loan {series.value}: next {len(forecast)} days")
    top.set_ylabel(unit)
    top.legend(loc="upper left")

    some = next(iter(backtest.values())).final_fold()
    fold_days = _days(some.first_day, len(some.actual))
    bottom.plot(fold_days, some.actual, color="black", lw=1, label="actual")
    for name, result in backtest.items():
        fold = result.final_fold()
        bottom.plot(fold_days, fold.forecast, lw=1, label=f"{name} (MASE {fold.metrics['mase']:.2f})")
    bottom.set_title("Backtest, last fold (the most recent days of the data)")
    bottom.set_ylabel(unit)
    bottom.legend(loc="upper left", fontsize="small")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
