"""The whole rolling evaluation of one series: every model, their combination, scores, the served choice
and the served model's adaptive intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from training.forecast.adaptive import AdaptiveIntervals, IntervalRun, run_adaptive
from training.forecast.combination import CombinationRule, Weights, rolling_combination, weights_at
from training.forecast.evaluation import against_best_baseline, origin_facts, score_models
from training.forecast.models import Recipe
from training.forecast.rolling import WHOLE, Progress, RollingForecasts, bands_for, rolling_forecasts, rolling_split
from training.forecast.series import DailySeries
from training.forecast.shift import LevelShift

COMBINATION = "combination"
TOLERANCE = 0.10
"""A served model may be at most this much worse than the best baseline in any band (all and shifted origins)."""

Table = dict[str, dict[str, dict[str, dict[str, float] | None]]]


@dataclass(frozen=True)
class EvaluationSettings:
    """Origins, refit schedule, level-shift definition, combination rule and interval settings."""

    span_days: int = 364
    warmup_days: int = 91
    step_days: int = 7
    lstm_refit_days: int = 182
    min_history: int = 28
    level: float = 0.8
    gamma: float = 0.05
    window: int = 1000
    shift: LevelShift = field(default_factory=LevelShift)
    rule: CombinationRule = field(default_factory=CombinationRule)


@dataclass(frozen=True)
class EvaluationOutcome:
    """Everything the evaluation found on one series."""

    rolling: RollingForecasts
    scores: Table
    versus: dict[str, dict[str, dict[str, float | None]]]
    chosen: str
    why: str
    final_weights: Weights
    intervals: AdaptiveIntervals
    interval_run: IntervalRun
    groups: dict[str, list[int]]


def choose(scores: Table, versus: dict[str, dict[str, dict[str, float | None]]], horizon: int) -> tuple[str, str]:
    """Among models never more than ``TOLERANCE`` worse than the best baseline in any band (on all and on
    shifted origins), the lowest whole-horizon MASE; if none qualifies, the smallest worst-band gap."""

    def worst(model: str) -> float:
        gaps = [versus[model][b.name][g] for b in bands_for(horizon) for g in ("all", "shifted")]
        return max((x for x in gaps if x is not None), default=0.0)

    def whole(model: str) -> float:
        best = scores[model][WHOLE]["all"]
        return best["mase"] if best else float("inf")

    qualified = [m for m in scores if worst(m) <= TOLERANCE]
    if qualified:
        chosen = min(qualified, key=whole)
        rule = f"within {TOLERANCE:.0%} of the best baseline in every band, lowest whole-horizon MASE"
    else:
        chosen = min(scores, key=worst)
        rule = f"no model is within {TOLERANCE:.0%} of the best baseline in every band; smallest worst-band gap"
    runner = min((m for m in scores if m != chosen), key=whole, default=None)
    why = f"{rule}: MASE over the horizon {whole(chosen):.3f}, worst band {worst(chosen):+.1%} vs best baseline"
    if runner is not None:
        why += f" (next: {runner} {whole(runner):.3f}, worst band {worst(runner):+.1%})"
    return chosen, why


def evaluate_series(
    series: DailySeries,
    recipes: Sequence[Recipe],
    horizon: int,
    settings: EvaluationSettings,
    cache: Path | None = None,
    progress: Progress | None = None,
) -> EvaluationOutcome:
    """Rolling forecasts of every recipe and of their combination, scored; the served model chosen."""
    split = rolling_split(
        len(series), horizon, settings.span_days, settings.warmup_days, settings.step_days, settings.min_history
    )
    rolling = rolling_forecasts(series, split, recipes, {"lstm": settings.lstm_refit_days}, cache, progress)
    members = [r.name for r in recipes]
    combined = rolling_combination(rolling, members, settings.rule)
    rolling = rolling.with_model(COMBINATION, combined)
    scores = score_models(rolling, settings.shift)
    versus = {m: against_best_baseline(scores, m) for m in scores}
    chosen, why = choose(scores, versus, horizon)
    final = weights_at(rolling, members, len(series), settings.rule)
    facts = origin_facts(rolling, settings.shift)
    groups = {
        "all": [f.index for f in facts],
        "shifted": [f.index for f in facts if f.shifted],
        "calm": [f.index for f in facts if not f.shifted],
        "last": [facts[-1].index],
    }
    intervals = AdaptiveIntervals(settings.level, settings.gamma, settings.window)
    run = run_adaptive(series.values, split.origins, rolling.forecasts[chosen], groups, intervals)
    return EvaluationOutcome(rolling, scores, versus, chosen, why, final, intervals, run, groups)
