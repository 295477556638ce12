import pytest

from word_stats import (
    content_words,
    frequencies,
    longest_word,
    tokenize,
    top_words,
    vocabulary_size,
)

TEXT = "The cat and the hat. A cat, a bat; the END! end? Cat"


def test_tokenize():
    assert tokenize(TEXT)[:5] == ["the", "cat", "and", "the", "hat"]
    assert tokenize("  ... ") == []


def test_frequencies_keep_first_occurrence_order():
    freq = frequencies(tokenize(TEXT))
    assert freq == {"the": 3, "cat": 3, "and": 1, "hat": 1, "a": 2, "bat": 1, "end": 2}
    assert list(freq) == ["the", "cat", "and", "hat", "a", "bat", "end"]


def test_content_words():
    assert content_words(tokenize(TEXT)) == ["cat", "hat", "cat", "bat", "end", "end", "cat"]


def test_top_words_ties_keep_first_occurrence():
    words = tokenize(TEXT)
    assert top_words(words, 3) == [("the", 3), ("cat", 3), ("a", 2)]
    assert top_words(words, 1) == [("the", 3)]
    assert top_words(words, 0) == []
    assert top_words([], 5) == []


def test_longest_word_first_of_ties():
    assert longest_word(["aa", "bbb", "ccc", "d"]) == "bbb"
    with pytest.raises((IndexError, ValueError)):
        longest_word([])


def test_vocabulary_size():
    assert vocabulary_size([TEXT, "new words here", ""]) == 10
    assert vocabulary_size([]) == 0
