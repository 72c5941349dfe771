"""Explanation terms from linear weights: the right terms, readable ones, the text's own words."""

from __future__ import annotations

import numpy as np

from classifier.explain import LinearExplainer, surface

VOCABULARY = ["card", "stolen", "my", "card stolen", "tokmask", "mortgag", "escrow", "deliveri", "the"]
# Label 0 (cards): card, stolen, "card stolen", and the stopword "my" and a placeholder; label 1 (mortgages).
KERNEL = np.zeros((len(VOCABULARY), 2), dtype=np.float32)
for term, weights in {
    "card": (1.0, -1.0),
    "stolen": (2.0, -2.0),
    "card stolen": (3.0, -3.0),
    "my": (5.0, -5.0),
    "tokmask": (5.0, -5.0),
    "mortgag": (-2.0, 2.0),
    "escrow": (-1.0, 1.0),
    "deliveri": (0.5, -0.5),
}.items():
    KERNEL[VOCABULARY.index(term)] = weights


def _explainer(terms: int = 3) -> LinearExplainer:
    return LinearExplainer(VOCABULARY, np.ones(len(VOCABULARY), dtype=np.float32), KERNEL, max_tokens=50, terms=terms)


def test_largest_readable_contributions_for_the_label() -> None:
    cleaned = ["my card stolen tokmask", "my mortgag escrow card", "the"]
    raw = ["My card, stolen! XXXX", "my mortgage escrow card", "the"]
    out = _explainer().explain(cleaned, [0, 1, 0], raw)
    # "card stolen" outranks its own words (they are covered by it); stopwords and placeholders never show.
    assert out[0] == ("card stolen",)
    assert out[1] == ("mortgage", "escrow"), "only terms that push towards the label, largest first"
    assert out[2] == ()
    assert _explainer().explain([], [], []) == []


def test_terms_cap_and_tokens_beyond_the_branchs_reach() -> None:
    cleaned = ["deliveri stolen card"]
    assert _explainer(terms=1).explain(cleaned, [0], ["delivery stolen card"]) == [("stolen",)]
    short = LinearExplainer(VOCABULARY, np.ones(len(VOCABULARY), np.float32), KERNEL, max_tokens=1)
    assert short.explain(cleaned, [0], ["delivery stolen card"]) == [("delivery",)]


def test_stems_are_shown_as_the_texts_words() -> None:
    assert surface("Where is the DELIVERY of my card?", ["deliveri", "card"]) == ("delivery", "card")
    assert surface("mortgages and escrows", ["mortgag escrow"]) == ("mortgages escrows",)
    assert surface("nothing here", ["charg"]) == ("charg",), "a stem not found in the text stays as it is"
