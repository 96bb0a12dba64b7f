"""The raw-file readers on small inline fixtures."""
import zipfile

import numpy as np
import pytest

from data_prep import DataPrepError
from data_prep.datasets import sentiment, shakespeare, sms_spam


def polarity_zip(path, pos: bytes, neg: bytes, members=None):
    members = members or {"sentence_polarity/rt-polarity.pos": pos,
                          "sentence_polarity/rt-polarity.neg": neg}
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_polarity_decodes_latin1_and_labels_by_file(tmp_path):
    path = polarity_zip(tmp_path / "p.zip", "un film très réussi . \n\nsuperb\n".encode("latin-1"),
                        "a dull mess \x96 truly\n".encode("latin-1"))
    texts, labels = sentiment.read_polarity(path)
    assert texts == ["a dull mess – truly", "un film très réussi .", "superb"]
    assert labels.tolist() == [0, 1, 1] and labels.dtype == np.uint8


def test_polarity_reads_the_utf8_conversion_and_repairs_windows_1252_marks(tmp_path):
    # NLTK's copy: UTF-8, with Windows-1252 dashes/quotes left as C1 controls.
    path = polarity_zip(tmp_path / "p.zip", "el ladrón \x97 \x91great\x92\n".encode("utf-8"),
                        "meh\n".encode("utf-8"))
    texts, _ = sentiment.read_polarity(path)
    assert texts == ["meh", "el ladrón — ‘great’"]


def test_polarity_missing_member(tmp_path):
    path = polarity_zip(tmp_path / "p.zip", b"", b"",
                        members={"sentence_polarity/rt-polarity.pos": b"good\n"})
    with pytest.raises(DataPrepError, match="no member 'sentence_polarity/rt-polarity.neg'"):
        sentiment.read_polarity(path)


def test_polarity_truncated_zip(tmp_path):
    whole = polarity_zip(tmp_path / "whole.zip", b"good\n" * 1000, b"bad\n" * 1000).read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataPrepError, match="truncated.zip: not a readable zip archive"):
        sentiment.read_polarity(truncated)


def test_sms_reads_labels_and_keeps_tabs_in_text(tmp_path):
    path = tmp_path / "SMSSpamCollection"
    path.write_text("ham\tsee you at 5\nspam\tWIN £100\tnow\n", encoding="utf-8")
    texts, labels = sms_spam.read_sms(path)
    assert texts == ["see you at 5", "WIN £100\tnow"] and labels.tolist() == [0, 1]


@pytest.mark.parametrize("line", ["eggs\tnot a label", "no tab at all"])
def test_sms_malformed_line(tmp_path, line):
    path = tmp_path / "sms"
    path.write_text(f"ham\tfine\n{line}\n", encoding="utf-8")
    with pytest.raises(DataPrepError, match=r"sms:2: expected 'ham<TAB>text'"):
        sms_spam.read_sms(path)


def test_shakespeare_rejects_non_utf8(tmp_path):
    path = tmp_path / "input.txt"
    path.write_bytes(b"ROMEO:\n\xff\xfe\n")
    with pytest.raises(DataPrepError, match="input.txt: not UTF-8 text"):
        shakespeare.read_text(path)
