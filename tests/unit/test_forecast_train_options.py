"""``forecast train``'s options reach the LSTM recipe; the defaults are the production one; bad values are refused."""

from __future__ import annotations

import pytest

from core.cli import build_parser
from core.errors import ConfigError
from training.commands.forecast import _lstm_config
from training.forecast.lstm import LstmConfig


def _parse(*argv: str) -> LstmConfig:
    parser = build_parser("ticket-trainer", "", ("training.commands.forecast",))
    return _lstm_config(parser.parse_args(["forecast", "train", "--loans", "l.csv", "--out", "b", *argv]))


def test_defaults_are_the_production_recipe() -> None:
    assert _parse() == LstmConfig() and LstmConfig().ets_input


def test_options_override_the_recipe() -> None:
    config = _parse("--no-ets-input", "--window", "28", "--seeds", "5", "--epochs", "3", "--threads", "0")
    assert not config.ets_input and not config.spec().ets_input
    assert (config.window, config.seeds, config.epochs, config.threads) == (28, (0, 1, 2, 3, 4), 3, 0)


@pytest.mark.parametrize(("option", "value"), [("--level", "1.0"), ("--seeds", "0"), ("--epochs", "0")])
def test_bad_values_are_clear_errors(option: str, value: str) -> None:
    with pytest.raises(ConfigError, match=option):
        _parse(option, value)
