"""Priority: the label-to-priority file, its reader on hostile input, the shipped defaults."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ConfigError
from service.priority import DEFAULT_PRIORITY_FILE, MAX_FILE_BYTES, PriorityMap, load_priorities, parse_priorities

ISSUE_URGENT = {
    "banking77:card_payment_not_recognised",
    "banking77:compromised_card",
    "banking77:lost_or_stolen_card",
    "banking77:cash_withdrawal_not_recognised",
    "banking77:direct_debit_payment_not_recognised",
    "banking77:lost_or_stolen_phone",
    "banking77:transaction_charged_twice",
    "clinc150:report_lost_card",
    "clinc150:freeze_account",
}


def test_the_shipped_file_lists_the_urgent_intents() -> None:
    priorities = load_priorities(DEFAULT_PRIORITY_FILE)
    assert priorities.urgent == ISSUE_URGENT
    assert priorities.of("clinc150:freeze_account") == "urgent"
    assert priorities.of("banking77:card_arrival") == "normal"
    assert PriorityMap().of("anything") == "normal"


def test_a_bank_file_with_normal_rows_quotes_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes('\ufefflabel,priority\n"fraud, card",urgent\nfees,normal\n fraud ,urgent\n'.encode())
    assert load_priorities(path).urgent == {"fraud, card", "fraud"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "first line must name the columns label,priority"),
        (b"intent,level\nx,urgent\n", "first line must name the columns"),
        (b"label,priority\nx,high\n", "line 2: priority must be urgent or normal, not 'high'"),
        (b"label,priority\nx,urgent\nx,normal\n", "line 3: label 'x' is both urgent and normal"),
        (b"label,priority\n,urgent\n", "line 2: a label must be 1 to 200 printable characters"),
        (b"label,priority\nx\n", "line 2: expected two fields"),
        (b'label,priority\n"x\x00",urgent\n', "line 2"),
        (b"label,priority\n\xff\xfe,urgent\n", "is not UTF-8 text"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        load_priorities(path)


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the priority file"):
        load_priorities(tmp_path / "absent.csv")
    with pytest.raises(ConfigError, match="cannot read the priority file"):
        load_priorities(tmp_path)
    big = tmp_path / "big.csv"
    big.write_bytes(b"label,priority\n" + b"x,urgent\n" * (MAX_FILE_BYTES // 9 + 1))
    with pytest.raises(ConfigError, match="larger than"):
        load_priorities(big)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: ("label,priority\n" + t).encode()))
def test_any_file_is_read_or_a_clear_error(tmp_path_factory: pytest.TempPathFactory, content: bytes) -> None:
    path = tmp_path_factory.mktemp("p") / "p.csv"
    path.write_bytes(content)
    try:
        priorities = load_priorities(path)
    except ConfigError as exc:
        assert str(exc)
        return
    assert all(label and label.isprintable() for label in priorities.urgent)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_parsing_any_text_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(ConfigError):
        parse_priorities(text)


def test_urgent_labels_that_together_hold_the_mass_make_an_event_urgent() -> None:
    from classifier.prediction import Prediction

    priorities = PriorityMap(frozenset({"lost_card", "freeze"}), mass=0.3)
    spread = Prediction("card_arrival", "cards", 0.6, (), (("card_arrival", 0.6), ("lost_card", 0.2), ("freeze", 0.1)))
    assert priorities.of_prediction(spread) == "urgent"  # 0.2 + 0.1 reaches 0.3
    below = spread._replace(top_labels=(("card_arrival", 0.71), ("lost_card", 0.2), ("freeze", 0.09)))
    assert priorities.of_prediction(below) == "normal"  # 0.29
    assert priorities.of_prediction(Prediction("lost_card", "cards", 0.9)) == "urgent"  # the best label alone
    assert PriorityMap(frozenset({"lost_card", "freeze"}), mass=1.0).of_prediction(spread) == "normal"
    assert PriorityMap(mass=0.0001).of_prediction(spread) == "normal"  # no urgent labels: never urgent
