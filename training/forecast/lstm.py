"""The LSTM forecaster: build, train (a small seed ensemble with early stopping), save, load, forecast.

TensorFlow is imported inside functions only, so the CLI's ``--help`` and the TF-free service core stay fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import ModelLoadError
from training.forecast.calendar import BUSINESS_DAY
from training.forecast.series import DailySeries
from training.forecast.windows import (
    PAST_FEATURES,
    WindowSpec,
    fit_value_scaler,
    make_windows,
    to_values,
    training_origins,
)

if TYPE_CHECKING:  # Keras and TensorFlow ship no type information: mypy sees Any behind these names
    import keras
    import tensorflow as tf

logger = logging.getLogger(__name__)

MODEL_FILE = "lstm.keras"


@dataclass(frozen=True)
class LstmConfig:
    """Architecture and training settings; the defaults are the ones chosen by the research backtests."""

    window: int = 60
    horizon: int = 90
    level_days: int = 28
    units: int = 32
    decoder_units: int = 16
    dropout: float = 0.1
    learning_rate: float = 3e-3
    batch_size: int = 32
    epochs: int = 200
    patience: int = 15
    validation_fraction: float = 0.15
    seeds: tuple[int, ...] = (0, 1, 2)
    threads: int = 1
    ets_input: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    def spec(self) -> WindowSpec:
        """The window geometry (scaler not fitted yet)."""
        return WindowSpec(self.window, self.horizon, self.level_days, ets_input=self.ets_input)

    def to_dict(self) -> dict[str, object]:
        """Plain values for the manifest."""
        out = asdict(self)
        out["seeds"] = list(self.seeds)
        return out


def configure_tensorflow(threads: int) -> None:
    """Limit TensorFlow's thread pools (must run before the first op); 0 keeps TensorFlow's default."""
    import tensorflow as tf

    if threads > 0:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            logger.debug("TensorFlow already initialised; thread limits unchanged")


def build_member(config: LstmConfig) -> keras.Model:
    """One network: LSTM over the past window, its state joined with each target day's inputs, a Dense head."""
    import keras

    past = keras.Input((config.window, PAST_FEATURES), name="past")
    future = keras.Input((config.horizon, config.spec().future_features), name="future")
    state = keras.layers.LSTM(config.units, dropout=config.dropout)(past)
    repeated = keras.layers.RepeatVector(config.horizon)(state)
    joined = keras.layers.Concatenate()([repeated, future])
    hidden = keras.layers.Dense(config.decoder_units, activation="relu")(joined)
    out = keras.layers.Reshape((config.horizon,))(keras.layers.Dense(1)(hidden))
    return keras.Model([past, future], out)


def masked_mae(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """MAE over the observed target days only (targets after the end of the training data are NaN)."""
    from keras import ops

    mask = ops.logical_not(ops.isnan(y_true))
    err = ops.where(mask, ops.abs(ops.where(mask, y_true, 0.0) - y_pred), 0.0)
    return ops.sum(err) / ops.maximum(ops.sum(ops.cast(mask, "float32")), 1.0)


@dataclass
class LstmForecaster:
    """A trained ensemble plus the window spec (with its scaler) it was trained with."""

    model: keras.Model
    spec: WindowSpec
    name: str = "lstm"

    def forecast(self, history: DailySeries, horizon: int) -> np.ndarray:
        """Forecast from the end of ``history``; ``horizon`` may not exceed the trained horizon."""
        if horizon > self.spec.horizon:
            raise ValueError(f"the LSTM was trained for {self.spec.horizon} days, asked for {horizon}")
        win = make_windows(history, self.spec, [len(history)], with_target=False)
        relative = np.asarray(self.model.predict_on_batch([win.past, win.future]))[0]
        values = to_values(relative[:horizon], float(win.level[0]), self.spec.offset)
        if self.spec.zero_closed_days:
            values[win.future[0, :horizon, BUSINESS_DAY] == 0] = 0.0
        return values

    def save(self, path: Path) -> Path:
        """Write the Keras model (the spec goes into the bundle manifest); returns ``path``."""
        self.model.save(path)
        return path


def load_lstm(path: Path, spec: WindowSpec, threads: int = 0) -> LstmForecaster:
    """Load a model written by :meth:`LstmForecaster.save`, with the spec recorded in the manifest."""
    configure_tensorflow(threads)
    import keras

    try:
        model = keras.saving.load_model(path, custom_objects={"masked_mae": masked_mae}, compile=False)
    except (OSError, ValueError, TypeError) as exc:
        raise ModelLoadError(f"cannot load the LSTM from {path}: {exc}") from exc
    return LstmForecaster(model, spec)


class LstmRecipe:
    """Trains an :class:`LstmForecaster` on a history (used by the backtest and the final fit)."""

    name = "lstm"

    def __init__(self, config: LstmConfig, on_epoch: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.on_epoch = on_epoch

    def fit(self, history: DailySeries) -> LstmForecaster:
        """Scale on the training windows, train one member per seed with early stopping, average them."""
        configure_tensorflow(self.config.threads)
        import keras

        cfg = self.config
        origins = training_origins(history, cfg.spec())
        spec = fit_value_scaler(history, cfg.spec(), origins)
        data = make_windows(history, spec, origins)
        n_val = max(1, int(cfg.validation_fraction * len(origins)))
        x_train, x_val = [data.past[:-n_val], data.future[:-n_val]], [data.past[-n_val:], data.future[-n_val:]]
        assert data.target is not None  # noqa: S101 - make_windows(with_target=True) always sets it
        y_train, y_val = data.target[:-n_val], data.target[-n_val:]
        members = []
        for seed in cfg.seeds:
            keras.utils.set_random_seed(seed)
            member = build_member(cfg)
            member.compile(keras.optimizers.Adam(cfg.learning_rate), loss=masked_mae)
            stop = keras.callbacks.EarlyStopping(patience=cfg.patience, restore_best_weights=True)
            hist = member.fit(
                x_train,
                y_train,
                validation_data=(x_val, y_val),
                epochs=cfg.epochs,
                batch_size=cfg.batch_size,
                callbacks=[stop],
                verbose=0,
                shuffle=True,
            )
            best = float(np.min(hist.history["val_loss"]))
            logger.debug("seed %d: %d epochs, best val MAE %.4f", seed, len(hist.history["loss"]), best)
            if self.on_epoch:
                self.on_epoch(f"seed {seed}: {len(hist.history['loss'])} epochs, val MAE {best:.4f}")
            members.append(member)
        return LstmForecaster(_ensemble(members, cfg), spec)


def _ensemble(members: list[keras.Model], config: LstmConfig) -> keras.Model:
    """One Keras model averaging the members, so the bundle holds a single model file."""
    import keras

    if len(members) == 1:
        return members[0]
    past = keras.Input((config.window, PAST_FEATURES), name="past")
    future = keras.Input((config.horizon, config.spec().future_features), name="future")
    out = keras.layers.Average()([m([past, future]) for m in members])
    return keras.Model([past, future], out, name="lstm_ensemble")
