"""The one text cleaning of the project, used by training and serving alike: pure Python, no TensorFlow."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import casual

from classifier.masking import TAG_PATTERN

CLEANING_VERSION = "3"
"""Bumped whenever the output of :func:`clean_text` changes; bundles record it and loading checks it."""

MAX_CHARS = 1500
"""Text is cut to this many characters (three quarters head, one quarter tail) before anything else."""

MAX_TOKENS = 200
HEAD_TOKENS = 150
"""At most ``MAX_TOKENS`` tokens are kept: the first ``HEAD_TOKENS`` and the last ones."""

# Placeholder tokens: plain lowercase words, so the tokenizer and the vectorizer keep them whole.
URL, MONEY, DATE, MASK, NUMBER, EMOJI = "tokurl", "tokmoney", "tokdate", "tokmask", "toknum", "tokemoji"
EMPTY = "tokempty"
"""The whole cleaned text of a message with no usable token, so the model never sees an empty sequence."""
PLACEHOLDERS = frozenset({URL, MONEY, DATE, MASK, NUMBER, EMOJI, EMPTY})

# NLTK's TweetTokenizer patterns (emoticons, URLs, handles, hashtags, words with apostrophes and dashes),
# compiled with the standard `re`: TweetTokenizer itself wraps them in a ReDoS timer that costs more than
# the matching on long narratives; the input is cut to MAX_CHARS first, which bounds the work instead.
_WORDS = re.compile(r"({})".format("|".join(casual.REGEXPS)), re.VERBOSE | re.IGNORECASE | re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_MONEY = re.compile(r"\{\$[\d,]*(?:\.\d+)?\}|\$\s?\d[\d,]*(?:\.\d+)?")  # CFPB writes amounts as {$240.00}
_DATE = re.compile(r"\b(?:XX|\d{1,2})/(?:XX|\d{1,2})/(?:XXXX|XX|\d{4}|\d{2})\b")  # also CFPB's XX/XX/2019
_MASK = re.compile(r"\bX{2,}\b")  # CFPB's redaction of names and numbers: uppercase only, "xx" stays
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ELONGATED = re.compile(r"(.)\1{2,}")  # "sooooo" -> "sooo", as TweetTokenizer(reduce_len=True)
_KEPT_PUNCTUATION = frozenset({"?", "!"})

_stem = lru_cache(maxsize=100_000)(SnowballStemmer("english").stem)


def stem_word(word: str) -> str:
    """The Snowball (Porter2) stem the cleaning uses for alphabetic words."""
    return str(_stem(word))


def _tag_word(match: re.Match[str]) -> str:
    """A masking tag as its entity word (``[CARD ****1234]`` -> ``card``): the model learns the type, never digits."""
    return " " + (match.group(1) or match.group(2)).lower() + " "


def _hashtag_words(match: re.Match[str]) -> str:
    return " " + _CAMEL.sub(" ", match.group(1)) + " "


def _cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    head = max_chars * 3 // 4
    return text[:head] + " " + text[len(text) - (max_chars - head) :]


@lru_cache(maxsize=50_000)
def _token(raw: str) -> str | None:
    """The cleaned form of one tokenizer match (cached: a few thousand distinct words make most of the traffic)."""
    first = raw[0]
    if first.isalnum():
        return raw if raw in PLACEHOLDERS or not raw.isalpha() else _stem(raw)
    if raw in _KEPT_PUNCTUATION:
        return raw
    if unicodedata.category(first) == "So":  # emoji and other pictographs
        return EMOJI
    return None  # other punctuation, emoticons and symbols carry no department signal


def tokens(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """The cleaned, stemmed tokens of one message, at most ``MAX_TOKENS`` (head and tail kept)."""
    text = _cut(text, max_chars)
    if "[" in text:
        text = TAG_PATTERN.sub(_tag_word, text)
    if "&" in text:
        text = html.unescape(text)
    # Each pattern runs only when the character it cannot match without is present (short texts skip most).
    if ":" in text or "." in text:
        text = _URL.sub(f" {URL} ", text)
    if "@" in text:
        text = _HANDLE.sub(" ", text)
    if "$" in text:
        text = _MONEY.sub(f" {MONEY} ", text)
    if "/" in text:
        text = _DATE.sub(f" {DATE} ", text)
    if "XX" in text:
        text = _MASK.sub(f" {MASK} ", text)
    text = _NUMBER.sub(f" {NUMBER} ", text)
    if "#" in text:
        text = _HASHTAG.sub(_hashtag_words, text)
    text = _ELONGATED.sub(r"\1\1\1", text.lower())
    out = [tok for tok in map(_token, _WORDS.findall(text)) if tok is not None]
    if len(out) > MAX_TOKENS:
        out = out[:HEAD_TOKENS] + out[len(out) - (MAX_TOKENS - HEAD_TOKENS) :]
    return out or [EMPTY]


def clean_text(text: str, max_chars: int = MAX_CHARS) -> str:
    """One message as the model sees it: space-separated tokens (the vectorizer splits on whitespace)."""
    return " ".join(tokens(text, max_chars))


def clean_texts(texts: Iterable[str], max_chars: int = MAX_CHARS) -> list[str]:
    """:func:`clean_text` of every text, in order."""
    return [clean_text(text, max_chars) for text in texts]
