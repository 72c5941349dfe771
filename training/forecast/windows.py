"""The LSTM's inputs and targets, one numpy implementation shared by training and serving.

Values enter as ``log(value / level + offset)``, the level being the mean of the last ``level_days`` days,
so the network learns the shape of the next days rather than the absolute volume and the same weights
work after the volume grows or shrinks. The small offset keeps zero days finite and at the same place
whatever the level: ``log1p(value) - log1p(level)`` puts a zero day at ``-log1p(level)``, so on the
originations series the weekend zeros told the network the absolute level, and it forecast a level it
had never seen far too low; ``log1p(value / level)`` fixed that but compressed ordinary days and was worse
on the amounts series. Calendar features of the past window and of every target day
(day of week, business day, horizon position) are inputs, so a direct 90-day output knows which future
days are weekends and holidays. With ``ets_input`` each target day also gets Holt-Winters ETS's forecast
from the same origin, on the same relative scale (a hybrid in the spirit of ES-RNN: the network learns
when to follow the statistical model's level and trend and when to correct it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from core.errors import DataError
from training.forecast.baselines import HoltWinters
from training.forecast.calendar import N_FEATURES, calendar_features
from training.forecast.series import DailySeries

MIN_CLOSED_DAYS = 20
PAST_FEATURES = 1 + N_FEATURES
FUTURE_FEATURES = N_FEATURES + 1


@dataclass(frozen=True)
class WindowSpec:
    """Window geometry plus the value scaler (fitted on training windows only)."""

    window: int = 60
    horizon: int = 90
    level_days: int = 28
    value_mean: float = 0.0
    value_std: float = 1.0
    zero_closed_days: bool = False
    offset: float = 0.1
    ets_input: bool = False

    def __post_init__(self) -> None:
        if self.window < 7 or self.horizon < 1 or self.level_days < 1 or self.value_std <= 0 or self.offset <= 0:
            raise DataError(f"invalid window spec: {self}")

    @property
    def future_features(self) -> int:
        """Inputs per target day: calendar and horizon position, plus ETS's forecast with ``ets_input``."""
        return FUTURE_FEATURES + int(self.ets_input)

    @property
    def min_history(self) -> int:
        """Days of history needed before the first forecast origin."""
        return max(self.window, self.level_days, HoltWinters().min_history if self.ets_input else 0)

    def to_dict(self) -> dict[str, object]:
        """Plain values for the bundle manifest."""
        return asdict(self)


@dataclass(frozen=True)
class Windows:
    """Model inputs (past window, future calendar), targets (NaN where not observed) and levels (raw units)."""

    past: np.ndarray
    future: np.ndarray
    target: np.ndarray | None
    level: np.ndarray


def _level(values: np.ndarray, origin: int, days: int) -> float:
    level = float(np.mean(values[origin - days : origin]))
    return level if level > 0 else 1.0  # a silent month: forecast relative to one unit a day


def relative(values: np.ndarray, level: float, offset: float) -> np.ndarray:
    """Daily values as the model sees them: ``log(value / level + offset)``."""
    return np.log(values / level + offset)


def make_windows(series: DailySeries, spec: WindowSpec, origins: list[int], with_target: bool = True) -> Windows:
    """Windows whose first forecast day is position ``origin`` of ``series`` (origin may equal its length)."""
    if not origins:
        raise DataError("no forecast origins to build windows for")
    if min(origins) < spec.min_history:
        raise DataError(f"the LSTM needs {spec.min_history} days of history, got {min(origins)}")
    values = np.maximum(series.values, 0.0)
    calendar = calendar_features(series.start, max(origins) + spec.horizon)
    position = (np.arange(spec.horizon, dtype=np.float32) / spec.horizon)[:, None]
    past, future, target, level = [], [], [], []
    for origin in origins:
        lvl = _level(values, origin, spec.level_days)
        scaled = (relative(values[origin - spec.window : origin], lvl, spec.offset) - spec.value_mean) / spec.value_std
        past.append(np.concatenate([scaled[:, None], calendar[origin - spec.window : origin]], axis=1))
        ahead = [calendar[origin : origin + spec.horizon], position]
        if spec.ets_input:
            ets = relative(HoltWinters().forecast_values(values[:origin], spec.horizon), lvl, spec.offset)
            ahead.append(((ets - spec.value_mean) / spec.value_std)[:, None])
        future.append(np.concatenate(ahead, axis=1))
        if with_target:
            row = np.full(spec.horizon, np.nan)
            seen = min(spec.horizon, len(series) - origin)
            row[:seen] = relative(values[origin : origin + seen], lvl, spec.offset)
            target.append(row)
        level.append(lvl)
    return Windows(
        past=np.asarray(past, dtype=np.float32),
        future=np.asarray(future, dtype=np.float32),
        target=np.asarray(target, dtype=np.float32) if with_target else None,
        level=np.asarray(level, dtype=np.float64),
    )


def fit_value_scaler(series: DailySeries, spec: WindowSpec, origins: list[int]) -> WindowSpec:
    """A copy of ``spec`` whose scaler is the mean/std of the relative log values in the given windows."""
    unscaled = replace(spec, value_mean=0.0, value_std=1.0, zero_closed_days=False, ets_input=False)
    values = make_windows(series, unscaled, origins, with_target=False).past[:, :, 0]
    return replace(
        spec,
        value_mean=float(values.mean()),
        value_std=std if (std := float(values.std())) > 1e-6 else 1.0,  # constant windows: do not divide by noise
        zero_closed_days=closed_days_are_zero(series),
    )


def closed_days_are_zero(series: DailySeries) -> bool:
    """True when the history has no activity on weekends and Federal Reserve holidays (originations).

    The network then only learns to put those days near zero (it predicts about one loan, which costs
    200% sMAPE on each such day and pushes the interval off zero), so the forecast sets them to exactly 0.
    """
    closed = calendar_features(series.start, len(series))[:, 7] == 0
    return int(closed.sum()) >= MIN_CLOSED_DAYS and bool(np.all(series.values[closed] == 0))


def training_origins(series: DailySeries, spec: WindowSpec) -> list[int]:
    """Every origin with a full input window and at least one observed target day."""
    origins = list(range(spec.min_history, len(series)))
    if len(origins) < 20:
        raise DataError(f"too little history to train the LSTM: {len(series)} days, need {spec.min_history + 20}")
    return origins


def to_values(output: np.ndarray, level: float, offset: float) -> np.ndarray:
    """Model output (``log(value / level + offset)``) back to non-negative daily values."""
    return np.maximum(np.exp(np.asarray(output, dtype=np.float64)) - offset, 0.0) * level
