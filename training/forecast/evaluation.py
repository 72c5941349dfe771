"""Scores of rolling forecasts per horizon band, on all scored origins and on those after a level shift."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.forecast.metrics import mae, mase_scale, smape
from training.forecast.rolling import RollingForecasts, scored_bands
from training.forecast.shift import LevelShift

BASELINES = ("naive", "seasonal_naive", "ets", "damped")


@dataclass(frozen=True)
class OriginFacts:
    """Per scored origin: its index in the split, MASE scale and whether it follows a level shift."""

    index: int
    scale: float
    shifted: bool


def origin_facts(rolling: RollingForecasts, shift: LevelShift) -> list[OriginFacts]:
    """The scored origins of ``rolling`` with their MASE scale and level-shift flag."""
    values = rolling.series.values
    return [
        OriginFacts(i, mase_scale(values[:origin]), origin >= shift.min_history and shift.at(values, origin))
        for i, (origin, scored) in enumerate(zip(rolling.split.origins, rolling.split.scored, strict=True))
        if scored
    ]


def band_errors(rolling: RollingForecasts, model: str, facts: list[OriginFacts]) -> dict[str, np.ndarray]:
    """Per band (and ``whole``, the whole horizon), an ``(origins, 3)`` array of MAE, sMAPE and MASE of
    ``model`` at each scored origin."""
    out: dict[str, np.ndarray] = {}
    for band in scored_bands(rolling.split.horizon):
        rows = []
        for fact in facts:
            leads = band.leads(rolling.split.horizon)
            actual, forecast = rolling.actual(fact.index)[leads], rolling.forecasts[model][fact.index][leads]
            error = mae(actual, forecast)
            rows.append((error, smape(actual, forecast), error / fact.scale))
        out[band.name] = np.asarray(rows)
    return out


def _mean(rows: np.ndarray) -> dict[str, float] | None:
    if len(rows) == 0:
        return None
    mean = rows.mean(axis=0)
    return {"mae": float(mean[0]), "smape": float(mean[1]), "mase": float(mean[2])}


def score_models(
    rolling: RollingForecasts, shift: LevelShift
) -> dict[str, dict[str, dict[str, dict[str, float] | None]]]:
    """``scores[model][band][group]`` = mean MAE, sMAPE and MASE over the origins of ``group``.

    Groups: ``all`` scored origins, ``shifted`` (following a level shift) and ``calm`` (the others); a
    group without origins scores None; ``last`` is the last scored origin alone (the final ``horizon``
    days of the data).
    """
    facts = origin_facts(rolling, shift)
    shifted = np.array([f.shifted for f in facts])
    masks = {"all": np.ones_like(shifted), "shifted": shifted, "calm": ~shifted}
    scores: dict[str, dict[str, dict[str, dict[str, float] | None]]] = {}
    for model in rolling.forecasts:
        table: dict[str, dict[str, dict[str, float] | None]] = {}
        for name, rows in band_errors(rolling, model, facts).items():
            table[name] = {group: _mean(rows[mask]) for group, mask in masks.items()}
            table[name]["last"] = _mean(rows[-1:])
        scores[model] = table
    return scores


def against_best_baseline(
    scores: dict[str, dict[str, dict[str, dict[str, float] | None]]], model: str
) -> dict[str, dict[str, float | None]]:
    """Per band and group: ``model``'s MASE over the best baseline's MASE minus one (0.05 = 5% worse)."""
    out: dict[str, dict[str, float | None]] = {}
    for band, groups in scores[model].items():
        out[band] = {}
        for group, mine in groups.items():
            others = [scores[b][band][group] for b in BASELINES if b in scores and b != model]
            best = min((s["mase"] for s in others if s is not None), default=None)
            out[band][group] = None if mine is None or not best else mine["mase"] / best - 1.0
    return out
