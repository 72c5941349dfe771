"""The shared text cleaning on real-looking complaints and social posts."""

from __future__ import annotations

import pytest

from classifier.textclean import (
    CLEANING_VERSION,
    DATE,
    EMOJI,
    EMPTY,
    HEAD_TOKENS,
    MASK,
    MAX_TOKENS,
    MONEY,
    NUMBER,
    URL,
    clean_text,
    clean_texts,
    tokens,
)


def test_cfpb_masks_dates_and_amounts_become_placeholders() -> None:
    text = (
        "On XX/XX/2019 I paid {$240.00} to XXXX XXXX Bank but my account ending in XXXX still shows "
        "a balance of $1,200.50."
    )
    out = tokens(text)
    assert out.count(MASK) == 3 and DATE in out and out.count(MONEY) == 2
    assert "xxxx" not in out and "240.00" not in out
    assert out[:3] == ["on", DATE, "i"]


def test_lowercase_x_words_are_kept_not_masked_or_deleted() -> None:
    # The tutorial's text.replace('x', '') deleted every letter x; only uppercase CFPB masks are placeholders.
    assert tokens("my xbox and tax refund xx") == ["my", "xbox", "and", "tax", "refund", "xx"]


def test_digits_become_placeholders_instead_of_vanishing() -> None:
    # The tutorial's str.replace('\\d+', '') was not a regex and removed nothing.
    assert tokens("card 4532 expires 09/27, call 1-800-555-0199") == [
        "card", NUMBER, "expir", NUMBER, NUMBER, "call", NUMBER, NUMBER, NUMBER, NUMBER,
    ]  # fmt: skip
    assert tokens("paid 3 times: 12, 15 and 27.5") == ["paid", NUMBER, "time", NUMBER, NUMBER, "and", NUMBER]


def test_social_post_handles_hashtags_urls_emoji_and_elongation() -> None:
    post = "@AskMyBank my card got declined sooooo many times 😡😡 #CardDeclined #fee https://t.co/Ab12x"
    out = tokens(post)
    assert "askmybank" not in out and "@askmybank" not in out
    assert out[:4] == ["my", "card", "got", "declin"]
    assert "sooo" in out and "sooooo" not in out
    assert out.count(EMOJI) == 2
    assert out[-4:] == ["card", "declin", "fee", URL]


def test_question_marks_survive_and_other_punctuation_goes() -> None:
    assert tokens("Why is my top-up still pending?!") == ["whi", "is", "my", "top-up", "still", "pend", "?", "!"]
    assert tokens("refund... (please) ; thanks") == ["refund", "pleas", "thank"]


def test_html_entities_are_decoded() -> None:
    assert tokens("fees &amp; charges") == ["fee", "charg"]


def test_empty_or_symbol_only_text_gives_one_placeholder() -> None:
    assert clean_text("") == EMPTY
    assert clean_text("   ...  ") == EMPTY


def test_long_narrative_keeps_head_and_tail_tokens() -> None:
    words = [f"w{chr(97 + i % 26)}" for i in range(400)]
    out = tokens(" ".join(words), max_chars=100_000)
    assert len(out) == MAX_TOKENS
    assert out[:HEAD_TOKENS] == words[:HEAD_TOKENS]
    assert out[HEAD_TOKENS:] == words[-(MAX_TOKENS - HEAD_TOKENS) :]


def test_text_is_cut_to_max_chars_head_and_tail_before_cleaning() -> None:
    text = "start " + "filler " * 2000 + "finish"
    out = tokens(text, max_chars=200)
    assert out[0] == "start" and out[-1] == "finish" and len(out) < 40


def test_clean_texts_keeps_order() -> None:
    assert clean_texts(["Mortgage", "Loans"]) == ["mortgag", "loan"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see WWW.MyBank.com/help now", "see tokurl now"),
        ("HTTPS://bank.example/x?y=1 broke", "tokurl broke"),
        ("paid $5 on 3/4/21 to XX", "paid tokmoney on tokdate to tokmask"),
        ("account XXXX, ref 12:30", "account tokmask ref toknum"),
        ("ping @bank_help please", "ping pleas"),
        ("no symbols here", "no symbol here"),
    ],
)
def test_each_pattern_applies_whatever_else_the_text_holds(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_cleaning_version_is_recorded() -> None:
    assert CLEANING_VERSION == "3"
