from labs.text import words


def test_words_are_lowercased_with_punctuation_kept():
    assert words("KING RICHARD III:\nNow is the winter of our discontent.") == [
        "king", "richard", "iii", ":", "now", "is", "the", "winter", "of", "our", "discontent", "."]


def test_apostrophes_stay_inside_words_and_other_symbols_go():
    assert words("O, 'tis the king's -- what? 1599!") == [
        "o", ",", "tis", "the", "king's", "what", "?", "1599", "!"]
