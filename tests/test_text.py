import numpy as np
import pytest

from labs import seq2seq
from labs.text import UNK, ids, words


def test_words_are_lowercased_with_punctuation_kept():
    assert words("KING RICHARD III:\nNow is the winter of our discontent.") == [
        "king", "richard", "iii", ":", "now", "is", "the", "winter", "of", "our", "discontent", "."]


def test_apostrophes_stay_inside_words_and_other_symbols_go():
    assert words("O, 'tis the king's -- what? 1599!") == [
        "o", ",", "tis", "the", "king's", "what", "?", "1599", "!"]


def test_unknown_tokens_get_the_id_of_the_vocabularys_unknown_entry():
    vocabulary = ["<pad>", "<unk>", "the", "cat"]
    assert ids(["the", "dog", "cat"], vocabulary).tolist() == [2, 1, 3]
    assert ids("tax", ["\0", "a", "t"], unknown="\0").tolist() == [2, 1, 0]  # characters: id 0
    assert ids([], vocabulary).dtype == np.int64
    with pytest.raises(ValueError, match="no '<unk>' entry"):
        ids(["the"], ["the"])


def test_date_sources_are_cut_padded_and_their_unknown_characters_marked():
    vocabulary = seq2seq.source_vocabulary(["12 May"])
    encoded = seq2seq.encode_sources(["12 May", "May 9", ""], vocabulary, max_len=4)
    index = {c: i for i, c in enumerate(vocabulary)}
    assert encoded.dtype == np.int32 and encoded.shape == (3, 4)
    assert encoded[0].tolist() == [index["1"], index["2"], index[" "], index["M"]]
    assert encoded[1].tolist() == [index["M"], index["a"], index["y"], index[" "]]
    assert encoded[2].tolist() == [0, 0, 0, 0]
    assert seq2seq.encode_sources(["9!"], vocabulary, 3)[0].tolist() == [index[UNK], index[UNK], 0]
