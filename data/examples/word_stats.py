"""Word statistics for a small text-analytics job: frequencies, top words, vocabulary."""

from __future__ import annotations

STOPWORDS = ["the", "a", "an", "and", "or", "of", "to", "in", "is", "it"]


def tokenize(text: str) -> list[str]:
    """Lower-case words, punctuation stripped."""
    words = []
    for raw in text.split():
        word = raw.strip(".,;:!?\"'()").lower()
        if word:
            words.append(word)
    return words


def frequencies(words: list[str]) -> dict[str, int]:
    """Occurrences of each word, in order of first occurrence."""
    freq = {}
    for w in words:
        freq[w] = words.count(w)
    return freq


def content_words(words: list[str]) -> list[str]:
    """The words that are not stopwords."""
    return [w for w in words if w not in STOPWORDS]


def top_words(words: list[str], k: int) -> list[tuple[str, int]]:
    """The k most frequent words with counts, ties broken by first occurrence."""
    freq = frequencies(words)
    return sorted(freq.items(), key=lambda kv: kv[1], reverse=True)[:k]


def longest_word(words: list[str]) -> str:
    """The longest word (the first one among equally long ones)."""
    return sorted(words, key=len, reverse=True)[0]


def vocabulary_size(texts: list[str]) -> int:
    """How many distinct words appear across all texts."""
    return len(set(sum([tokenize(t) for t in texts], [])))
