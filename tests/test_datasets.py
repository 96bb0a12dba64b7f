"""The real dataset files, built once per session from the raw mirror (and the generator)."""
import hashlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

from data_prep import VERSION, DataPrepError
from data_prep.build import build_all, select
from data_prep.fetch import RawStore
from labs import data, storage

NAMES = ["sentiment", "sms_spam", "shakespeare", "ud_ewt", "glove", "seq2seq_dates"]
GENERATED = {"seq2seq_dates"}
HELD_OUT_COLUMNS = {"sentiment": "label", "sms_spam": "label", "ud_ewt": "upos"}


def array_digests(path):
    """SHA-256 of every dataset in a file: equal digests mean equal contents."""
    digests = {}
    with h5py.File(path) as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                digests[name] = hashlib.sha256(np.asarray(obj[()]).tobytes()
                                               if obj.dtype.kind != "O" else
                                               "\x00".join(obj.asstr()[...].ravel().tolist()
                                                           if obj.shape else [obj.asstr()[()]])
                                               .encode()).hexdigest()
        f.visititems(visit)
        digests["attrs"] = str(sorted(storage.read_attrs(f.attrs).items()))
    return digests


def test_every_dataset_is_built_and_timed(built):
    assert [o.name for o in built["outcomes"]] == NAMES
    assert all(o.rebuilt for o in built["outcomes"])
    assert all(" s  " in line for line in built["report"])


@pytest.mark.parametrize("name", NAMES)
def test_file_attributes(built, name):
    attrs = data.info(name, built["out"])
    assert attrs["schema_version"] == storage.SCHEMA_VERSION
    assert attrs["dataset"] == name and attrs["data_prep_version"] == VERSION
    assert attrs["split_seed"] == 20261122
    assert set(attrs["source_urls"]) == set(attrs["raw_sha256"])
    assert attrs["license"] and attrs["split_sizes"]
    if name in GENERATED:
        assert attrs["generator_version"] and attrs["raw_sha256"] == {}
    else:
        assert attrs["raw_sha256"] and all(len(d) == 64 for d in attrs["raw_sha256"].values())
        assert attrs["citation"]


def test_sentiment_and_sms_splits_are_stratified(built):
    for name, sizes, spam_share in [("sentiment", (8530, 1066, 1066), 0.5),
                                    ("sms_spam", (3902, 836, 836), 747 / 5574)]:
        attrs = data.info(name, built["out"])
        assert tuple(attrs["split_sizes"].values()) == sizes
        for split, counts in attrs["class_counts"].items():
            assert counts[1] / sum(counts) == pytest.approx(spam_share, abs=0.002), (name, split)
        train = data.load(name, "train", built["out"])
        assert len(train["text"]) == sizes[0] and train["label"].dtype == np.uint8
        assert np.bincount(train["label"]).tolist() == attrs["class_counts"]["train"]


def test_sentiment_text_has_no_mojibake_or_control_characters(built):
    texts = data.load("sentiment", "train", built["out"])["text"]
    assert any("é" in t for t in texts) and not any("Ã" in t for t in texts)
    assert not any(0x80 <= ord(c) <= 0x9f for t in texts for c in t)


def test_shakespeare_splits_are_contiguous_and_complete(built, raw_dir):
    original = (raw_dir / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    train = data.load("shakespeare", "train", built["out"])["text"]
    val = data.load("shakespeare", "val", built["out"])["text"]
    with h5py.File(built["heldout"] / "shakespeare.h5") as f:
        test = storage.read_group(f["test"])["text"]
    assert train + val + test == original
    assert len(original) == 1_115_394 and len(val) > 50_000 and len(test) > 50_000


def test_ud_ewt_official_splits_and_tags(built):
    attrs = data.info("ud_ewt", built["out"])
    assert attrs["split_sizes"] == {"train": 12544, "val": 2001, "test": 2077}
    labels = data.labels("ud_ewt", built["out"])
    assert labels.column == "upos" and len(labels.names) == 17
    train = data.load("ud_ewt", "train", built["out"])
    assert train["words"][0][:3] == ["Al", "-", "Zaman"]
    assert [labels.names[t] for t in train["upos"][0][:3]] == ["PROPN", "PUNCT", "PROPN"]
    assert all(len(w) == len(t) for w, t in zip(train["words"], train["upos"]))
    assert sum(map(len, train["words"])) == attrs["token_counts"]["train"] == labels.size("train")


def test_glove_keeps_every_lab_word_that_glove_knows(built, raw_dir):
    import pyarrow.parquet as pq

    from data_prep.fetch import RawStore
    from data_prep.registry import RAW_FILES
    full_index = set(pq.read_table(RawStore(raw_dir).path(RAW_FILES["glove_index"]))
                     .column(0).to_pylist())
    glove = data.load("glove", data_dir=built["out"])
    assert glove["vectors"].dtype == np.float32 and glove["vectors"].shape == (len(glove["words"]), 50)
    known = set(glove["words"])
    ud_words = {w.lower() for split in ("train", "val", "test")
                for s in data.load("ud_ewt", split, built["out"])["words"] for w in s}
    sentiment_words = {w for t in data.load("sentiment", "train", built["out"])["text"]
                       for w in t.lower().split()}
    assert ud_words & full_index <= known
    assert sentiment_words & full_index <= known
    assert len(known & ud_words) / len(ud_words) > 0.85
    the = glove["words"].index("the")
    np.testing.assert_allclose(glove["vectors"][the][:3], [0.418, 0.24968, -0.41242], rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_no_held_out_label_in_student_files(built, name):
    with h5py.File(built["out"] / f"{name}.h5") as f:
        if name in ("shakespeare", "seq2seq_dates"):
            assert "test" not in f
        elif name in HELD_OUT_COLUMNS:
            assert set(f["test"]) <= {"text", "words", "offsets", "sent_id"}
            assert HELD_OUT_COLUMNS[name] not in f["test"]


@pytest.mark.parametrize("name", list(HELD_OUT_COLUMNS))
def test_held_out_labels_align_with_student_test_inputs(built, name):
    student = data.load(name, "test", built["out"])
    with h5py.File(built["heldout"] / f"{name}.h5") as f:
        held = storage.read_group(f["test"])
        assert f.attrs["heldout"]
    spec = data.labels(name, built["out"])
    assert spec.column == HELD_OUT_COLUMNS[name]
    labels = held[spec.column]
    assert spec.size("test") == sum(np.size(t) for t in labels) if name == "ud_ewt" \
        else spec.size("test") == len(labels)
    if name == "ud_ewt":
        assert held["sent_id"] == student["sent_id"]
        assert [len(t) for t in labels] == [len(w) for w in student["words"]]
    else:
        assert len(labels) == len(student["text"])


def test_rebuild_gives_identical_contents(built, raw_dir, tmp_path):
    lines = []
    build_all(select(None), RawStore(raw_dir=raw_dir, cache_dir=tmp_path / "cache"),
              tmp_path / "data", tmp_path / "heldout", report=lines.append)
    for name in NAMES:
        assert array_digests(tmp_path / "data" / f"{name}.h5") == \
               array_digests(built["out"] / f"{name}.h5"), name
        if name in HELD_OUT_COLUMNS:  # (a new course draws its own secret date test split)
            assert array_digests(tmp_path / "heldout" / f"{name}.h5") == \
                   array_digests(built["heldout"] / f"{name}.h5"), name


def test_up_to_date_files_are_skipped_and_force_rebuilds(built, raw_dir):
    store = RawStore(raw_dir=raw_dir)
    again = build_all(select(["sms_spam"]), store, built["out"], built["heldout"], report=str)
    assert not again[0].rebuilt
    forced = build_all(select(["sms_spam"]), store, built["out"], built["heldout"],
                       force=True, report=str)
    assert forced[0].rebuilt


def test_missing_held_out_file_triggers_a_rebuild(built, raw_dir, tmp_path):
    import shutil
    out, heldout = tmp_path / "data", tmp_path / "heldout"
    shutil.copytree(built["out"], out)
    shutil.copytree(built["heldout"], heldout)
    (heldout / "sentiment.h5").unlink()
    outcome, = build_all(select(["sentiment"]), RawStore(raw_dir=raw_dir), out, heldout, report=str)
    assert outcome.rebuilt and (heldout / "sentiment.h5").is_file()


def test_loader_errors_name_the_problem(built, tmp_path):
    with pytest.raises(data.DatasetNotFoundError, match=r"'sentiment.h5' not found.*make data"):
        data.load("sentiment", "train", tmp_path)
    with pytest.raises(KeyError, match="has no split 'dev'"):
        data.load("ud_ewt", "dev", built["out"])
    with pytest.raises(ValueError, match="pass one of them"):
        data.load("sentiment", data_dir=built["out"])


def test_loader_finds_data_in_a_parent_folder(built, tmp_path, monkeypatch):
    import shutil
    shutil.copy(built["out"] / "sms_spam.h5", (tmp_path / "data").mkdir() or tmp_path / "data")
    (tmp_path / "source" / "lab1").mkdir(parents=True)
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path / "source" / "lab1")
    assert len(data.load("sms_spam", "val")["text"]) == 836


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "data_prep", *args], capture_output=True,
                          text=True, env=env)


def test_cli_unknown_dataset(tmp_path):
    result = run_cli("--only", "imdb", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "unknown dataset(s) imdb; known: sentiment, sms_spam" in result.stderr


def test_cli_unwritable_output_directory(tmp_path, raw_dir):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_cli("--raw-dir", str(raw_dir), "--out", str(blocker / "data"),
                     "--heldout-dir", str(tmp_path / "h"))
    assert result.returncode == 1
    assert f"output directory {blocker / 'data'} is not writable" in result.stderr


def test_corrupt_mirror_file_is_refused_and_nothing_written(raw_dir, tmp_path):
    import shutil
    mirror = tmp_path / "mirror"
    shutil.copytree(raw_dir / "sms_spam", mirror / "sms_spam")
    with open(mirror / "sms_spam" / "SMSSpamCollection", "ab") as f:
        f.write(b"ham\tone more line\n")
    result = run_cli("--raw-dir", str(mirror), "--cache-dir", str(tmp_path / "cache"),
                     "--only", "sms_spam", "--out", str(tmp_path / "out"),
                     "--heldout-dir", str(tmp_path / "held"))
    assert result.returncode == 1
    assert "SMSSpamCollection: SHA-256 mismatch for the local mirror copy" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []
    assert list((tmp_path / "held").iterdir()) == []


def test_cli_builds_and_summarizes(raw_dir, tmp_path):
    result = run_cli("--raw-dir", str(raw_dir), "--only", "sentiment", "--out", str(tmp_path / "o"),
                     "--heldout-dir", str(tmp_path / "h"), "--summary")
    assert result.returncode == 0, result.stderr
    assert "sentiment    built" in result.stdout
    assert "train negative 50.0%, positive 50.0%" in result.stdout
    assert "held-out labels:" in result.stdout


def test_generated_dates_are_right_and_the_test_split_is_secret(built, raw_dir, tmp_path):
    """Every target is the date its source names; test dates are drawn per course, unseen."""
    import datetime as dt
    import shutil

    from data_prep.datasets.dates import FORMATS, MONTHS, TWO_DIGIT_YEARS, WEEKDAYS
    english = {"en_d_month_y": "%d %B %Y", "en_month_d_y": "%B %d, %Y", "iso": "%Y-%m-%d",
               "en_weekday_d_month_y": "%A %d %B %Y", "en_weekday_month_d_y": "%A, %B %d, %Y",
               "en_rfc2822": "%a, %d %b %Y", "dd_mm_yyyy_dots": "%d.%m.%Y",
               "dd_mm_yyyy_dashes": "%d-%m-%Y", "us_mm_dd_yyyy": "%m/%d/%Y",
               "compact_yyyymmdd": "%Y%m%d"}
    train = data.load("seq2seq_dates", "train", built["out"])
    val = data.load("seq2seq_dates", "val", built["out"])
    with h5py.File(built["heldout"] / "seq2seq_dates.h5") as f:
        test = storage.read_group(f["test"])
    seen = set()
    for split in (train, val, test):
        assert len(split["source"]) == len(set(split["source"])) and not seen & set(split["source"])
        seen |= set(split["source"])
        for source, target, form in zip(split["source"], split["target"], split["format"]):
            day = dt.date.fromisoformat(target)
            assert form in FORMATS and dt.date(1900, 1, 1) <= day <= dt.date(2099, 12, 31)
            if form in english:
                assert dt.datetime.strptime(source, english[form]).date() == day, source
            lower = source.lower()
            if "'" in source or form in ("d_m_yy_dots", "us_m_d_yy"):
                assert TWO_DIGIT_YEARS[0] <= day.year <= TWO_DIGIT_YEARS[1], source
            else:
                assert str(day.year) in source, source
            if "month" in form:
                assert MONTHS[form[:2]][day.month - 1].lower() in lower, source
            if "weekday" in form or form == "en_rfc2822":
                weekday = WEEKDAYS[form[:2]][day.weekday()].lower()
                assert (weekday[:3] if form == "en_rfc2822" else weekday) in lower, source
    assert set(train["format"]) == set(FORMATS)
    assert max(len(s) for s in seen) <= 40

    # The course's seed is kept: a rebuild in the same course draws the same test split;
    # another course (another held-out folder) draws other test dates.
    seed_file = built["heldout"] / "seq2seq_dates.seed"
    assert seed_file.stat().st_mode & 0o077 == 0
    same = tmp_path / "same"
    shutil.copytree(built["heldout"], same)
    (same / "seq2seq_dates.h5").unlink()
    build_all(select(["seq2seq_dates"]), RawStore(raw_dir=raw_dir), tmp_path / "data", same,
              report=str)
    assert array_digests(same / "seq2seq_dates.h5") == \
        array_digests(built["heldout"] / "seq2seq_dates.h5")
    other = tmp_path / "other"
    build_all(select(["seq2seq_dates"]), RawStore(raw_dir=raw_dir), tmp_path / "data2", other,
              report=str)
    with h5py.File(other / "seq2seq_dates.h5") as f:
        assert len(set(storage.read_group(f["test"])["source"]) & set(test["source"])) < 50
    assert array_digests(tmp_path / "data2" / "seq2seq_dates.h5") == \
        array_digests(built["out"] / "seq2seq_dates.h5")
