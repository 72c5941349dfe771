"""Personal data masking: generated identifiers inside real texts never survive; ordinary numbers are left alone."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from classifier.masking import ALL_ENTITIES, ENTITIES, PHONE_CHECKS, TAG_PATTERN, mask_text
from classifier.pii_checks import aba_valid, iban_valid, luhn_valid
from classifier.textclean import tokens
from tests.pii_samples import (
    GENERATORS,
    card_layout,
    card_number,
    insert,
    real_texts,
    surviving_card_runs,
)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GLUES = {  # how an identifier sits in the text: between words, in punctuation, next to an amount, inside a word
    "card": [" ", "(", '"', "$12.50 ", "USD 1,200.00 for ", ""],
    "iban": [" ", "(", "EUR 300.00 to "],
    "ssn": [" ", "(", '"', "ssn: "],
    "account": [" ", "(", "$45.00 from "],
    "email": [" ", "(", '"', "<", ""],
    "phone": [" ", "(", '"', "call "],
}


@pytest.fixture(scope="module")
def texts(data_dir: Path) -> list[str]:
    return real_texts(data_dir, per_source=200)


def _compact(text: str) -> str:
    return re.sub(r"[ \-]", "", text)


@pytest.mark.parametrize("entity", sorted(GENERATORS))
def test_generated_identifiers_inside_real_texts_never_survive(entity: str, texts: list[str]) -> None:
    @PROPERTY
    @given(st.randoms(use_true_random=False), st.sampled_from(texts), st.integers(0, 600), st.data())
    def check(rng: random.Random, text: str, position: int, data: st.DataObject) -> None:
        inserted, values = GENERATORS[entity](rng)
        glue = data.draw(st.sampled_from(GLUES[entity]))
        masked = mask_text(insert(text, inserted, position, glue)).text
        for value in values:
            assert value not in masked and _compact(value) not in _compact(masked), (value, masked)
        assert surviving_card_runs(masked) == []

    check()


@PROPERTY
@given(st.randoms(use_true_random=False), st.integers(13, 19), st.data())
def test_card_numbers_of_every_length_and_layout_keep_only_their_last_four(
    rng: random.Random, length: int, data: st.DataObject
) -> None:
    digits = card_number(rng, length)
    written = card_layout(rng, digits)
    text = data.draw(st.sampled_from(["{}", "card {} was charged $1,250.00", "paid 40.00USD with {}.", "x{}y"]))
    masked = mask_text(text.format(written))
    assert masked.counts == {"card": 1}
    assert f"[CARD ****{digits[-4:]}]" in masked.text and digits[:-4] not in _compact(masked.text)


def test_card_masks_keep_last_four_and_amex_layout() -> None:
    assert mask_text("amex 3782 822463 10005 and visa 4111-1111-1111-1111.").text == (
        "amex [CARD ****0005] and visa [CARD ****1111]."
    )
    assert mask_text("card 4111 1111 1111 1111 exp 2024").text == "card [CARD ****1111] exp 2024"


def test_every_entity_has_its_tag() -> None:
    text = (
        "card 5555555555554444, iban DE89 3704 0044 0532 0130 00, ssn 078-05-1120, "
        "routing 021000021 account 123456789012, mail jane.doe@example.com, call (212) 555-0199"
    )
    masked = mask_text(text)
    assert masked.text == (
        "card [CARD ****4444], iban [IBAN], ssn [SSN], routing [ROUTING] account [ACCOUNT], mail [EMAIL], call [PHONE]"
    )
    assert masked.counts == dict.fromkeys(ENTITIES, 1)


@pytest.mark.parametrize(
    "text",
    [
        "On XX/XX/2019 I paid {$240.00} to XXXX XXXX Bank, account ending in XXXX",
        "balance of $1,234,567.89 on 12/05/2019 at 10:30, due 2019-12-05 10:30:00",
        "years 2015 2016 2017 and 2018; order #12345678; ticket 00123456; invoice INV-2019-000123",
        "the payment of 20153.99000 % and 3.14159265358979 are decimals",
        "digits that fail Luhn: 4111 1111 1111 1112 and 1234567890123456",
        "call XXX-XXX-XXXX or XXXX-XXXX-XXXX-XXXX, card ending 1234, account ending in 5678",
        "routing 123456789 is not an ABA number; 12 payments of 300 in 24 months",
        "user@ alone, @handle, and a#b",
        "SSN 000-12-3456, 666-12-3456 and 912-34-5678 are never issued",
    ],
)
def test_ordinary_numbers_dates_amounts_and_cfpb_masks_are_not_masked(text: str) -> None:
    assert mask_text(text) == (text, {})


def test_cfpb_xxxx_and_amounts_stay_in_clear_on_real_narratives(texts: list[str]) -> None:
    for text in texts:
        masked = mask_text(text).text
        assert masked.count("XX") == text.count("XX")
        assert re.findall(r"\$[\d,.]+", masked) == re.findall(r"\$[\d,.]+", text)


def test_entity_list_selects_detectors_but_cards_are_always_masked() -> None:
    text = "4111111111111111 jane@example.com 078-05-1120"
    assert mask_text(text, frozenset()).text == "[CARD ****1111] jane@example.com 078-05-1120"
    assert mask_text(text, frozenset({"email"})).text == "[CARD ****1111] [EMAIL] 078-05-1120"


def test_json_escapes_are_left_to_the_record_layer() -> None:
    # mask_text sees text; classifier.mask_records writes out JSON escapes before masking raw values.
    assert mask_text(r"\u0034111111111111111").text == r"\u0034111111111111111"


def test_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82WEST12345698765432") and not iban_valid("GB82WEST12345698765433")
    assert aba_valid("021000021") and not aba_valid("021000022") and not aba_valid("991000021")


def test_cleaning_reads_tags_as_their_entity_word() -> None:
    masked = mask_text("my card 4111 1111 1111 1111 and jane@example.com").text
    assert tokens(masked) == ["my", "card", "card", "and", "email"]
    assert {m.group(1) or m.group(2) for m in TAG_PATTERN.finditer(mask_text("078-05-1120 x").text)} == {"SSN"}


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises_and_masking_is_idempotent(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once.text) == (once.text, {})


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789 -+().@#/$,:abXDEGB", max_size=300))
def test_digit_heavy_text_is_idempotent_and_leaves_no_card(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once.text) == (once.text, {})
    assert surviving_card_runs(once.text) == []


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 2000), st.sampled_from(["4", "4 ", "4-", "a@b.co ", "DE89 ", "+1 "]))
def test_long_repetitive_inputs_finish(repeat: int, unit: str) -> None:
    text = unit * repeat
    once = mask_text(text)
    assume(len(text) > 0)
    assert surviving_card_runs(once.text) == [] and set(once.counts) <= ALL_ENTITIES


def test_phone_checks_are_bounded_and_numbers_beyond_the_budget_are_still_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import phonenumbers

    calls = []
    real = phonenumbers.PhoneNumberMatcher

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(phonenumbers, "PhoneNumberMatcher", counting)
    text = "call +44 20 7946 0958 or " * 1000
    masked = mask_text(text)
    assert masked.counts == {"phone": 1000} and "7946" not in masked.text
    assert len(calls) <= PHONE_CHECKS


@pytest.mark.parametrize("text", ["finishing in 2 (212-202-0000) 9309", "call +44 121 234 5678 1 now"])
def test_phone_numbers_between_other_numbers_are_found(text: str) -> None:
    assert mask_text(text).counts == {"phone": 1}
