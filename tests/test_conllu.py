import pytest

from data_prep import DataPrepError, conllu


def rows(*lines):
    return [line + "\n" for line in lines]


def word(i, form, upos="NOUN"):
    return f"{i}\t{form}\t{form.lower()}\t{upos}\t_\t_\t0\troot\t_\t_"


def test_comments_multiword_ranges_and_empty_nodes():
    lines = rows(
        "# newdoc id = d1",
        "# sent_id = s1",
        "# text = I don't know.",
        word(1, "I", "PRON"),
        "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_",
        word(2, "do", "AUX"),
        word(3, "n't", "PART"),
        word(4, "know", "VERB"),
        "4.1\tknows\tknow\tVERB\t_\t_\t_\t_\t_\t_",
        word(5, ".", "PUNCT"),
        "",
        "# sent_id = s2",
        word(1, "Hello", "INTJ"),
    )  # no blank line after the last sentence: still read
    sentences = conllu.parse(lines, "mini.conllu")
    assert [s.sent_id for s in sentences] == ["s1", "s2"]
    assert sentences[0].words == ["I", "do", "n't", "know", "."]
    assert sentences[0].upos == ["PRON", "AUX", "PART", "VERB", "PUNCT"]
    assert sentences[1].words == ["Hello"]


def test_missing_sent_id_gets_file_and_line():
    sentences = conllu.parse(rows("", word(1, "x")), "f.conllu")
    assert sentences[0].sent_id == "f.conllu:2"


def test_several_blank_lines_between_sentences():
    sentences = conllu.parse(rows(word(1, "a"), "", "", word(1, "b"), ""), "f")
    assert [s.words for s in sentences] == [["a"], ["b"]]


@pytest.mark.parametrize("bad_line, message", [
    ("1\tonly\tthree", "expected 10 tab-separated columns, found 3"),
    (word("x", "bad"), "invalid word ID 'x'"),
    (word(3, "skip"), "word ID 3 out of sequence (expected 2)"),
    (word(2, "tag", "NOUNISH"), "unknown UPOS tag 'NOUNISH'"),
    ("# sent_id = late", "comment line inside a sentence"),
])
def test_malformed_line_names_file_and_line(bad_line, message):
    lines = rows("# sent_id = s1", word(1, "fine"), bad_line, "")
    with pytest.raises(DataPrepError) as err:
        conllu.parse(lines, "broken.conllu")
    assert f"broken.conllu:3: {message}" in str(err.value)


def test_sentence_with_id_but_no_words_is_an_error():
    with pytest.raises(DataPrepError, match=r"empty\.conllu:2: sentence 's9' has no words"):
        conllu.parse(rows("# sent_id = s9", ""), "empty.conllu")
