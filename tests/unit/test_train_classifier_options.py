"""``train-classifier``'s model options reach the recipe; the defaults are the production recipe."""

from __future__ import annotations

import pytest

from core.cli import build_parser
from training.classifier.model import TINY, ModelConfig
from training.commands.train_classifier import _config


def _parse(*argv: str) -> ModelConfig:
    parser = build_parser("ticket-trainer", "", ("training.commands.train_classifier",))
    config: ModelConfig = _config(parser.parse_args(["train-classifier", *argv]))
    return config


def test_defaults_are_the_production_recipe() -> None:
    assert _parse() == ModelConfig()
    # The recipe the README documents: GloVe 50d, Bi-LSTM 64, dropout 0.5, label smoothing 0.1, AdamW 3e-3
    # cut to 0.3x after 2 epochs without a better validation loss, at most 50 epochs, early stop after 5.
    recipe = ModelConfig()
    assert (recipe.glove, recipe.embedding_dim, recipe.lstm_units) == (True, 50, 64)
    assert (recipe.dropout, recipe.label_smoothing) == (0.5, 0.1)
    assert (recipe.learning_rate, recipe.lr_patience, recipe.epochs, recipe.patience) == (3e-3, 2, 50, 5)


def test_dropout_and_label_smoothing_override_the_recipe() -> None:
    config = _parse("--dropout", "0.2", "--label-smoothing", "0", "--epochs", "3")
    assert (config.dropout, config.label_smoothing, config.epochs) == (0.2, 0.0, 3)
    assert config.lstm_units == ModelConfig().lstm_units


def test_tiny_keeps_plain_targets_and_a_fixed_learning_rate() -> None:
    tiny = _parse("--tiny")
    assert tiny == TINY and tiny.label_smoothing == 0.0 and tiny.lr_patience == 0


def test_the_linear_branch_is_on_by_default_and_can_be_left_out() -> None:
    assert ModelConfig().linear_branch and _parse("--tiny").linear_branch
    assert not _parse("--no-linear-branch").linear_branch


def test_source_weight_power_is_off_by_default_and_bounded() -> None:
    assert ModelConfig().source_weight_power == 0.0
    assert _parse("--source-weight-power", "1").source_weight_power == 1.0
    with pytest.raises(SystemExit):
        _parse("--source-weight-power", "1.5")
