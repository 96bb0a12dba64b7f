import h5py
import numpy as np
import pytest

from data_prep.h5write import Ragged, smallest_int_dtype, write_h5
from labs import storage


@pytest.mark.parametrize("values, dtype", [
    ([0, 255], np.uint8), ([0, 256], np.uint16), ([0, 70000], np.uint32),
    ([-1, 100], np.int8), ([-200, 5], np.int16), ([], np.uint8),
])
def test_smallest_int_dtype(values, dtype):
    assert smallest_int_dtype(np.array(values, dtype=np.int64)) == dtype


def test_round_trip_of_strings_ragged_columns_and_attributes(tmp_path):
    path = tmp_path / "x.h5"
    words = [["Grüße", "aus", "Köln"], [], ["ok"]]
    tags = [np.array([1, 2, 3]), np.array([], dtype=int), np.array([4])]
    write_h5(path, {"train": {"words": Ragged(words), "tags": Ragged(tags),
                              "id": ["a", "b", "c"], "label": np.array([0, 1, 0])},
                    "": {"text": "a whole\nbook"}},
             {"dataset": "x", "split_sizes": {"train": 3}})
    with h5py.File(path) as f:
        assert f["train/tags"].dtype == np.uint8 and f["train/offsets"].dtype == np.uint8
        assert h5py.check_string_dtype(f["train/words"].dtype).encoding == "utf-8"
        train = storage.read_group(f["train"])
        attrs = storage.read_attrs(f.attrs)
        text = storage.read_group(f)["text"]
    assert train["words"] == words and train["id"] == ["a", "b", "c"]
    assert [t.tolist() for t in train["tags"]] == [[1, 2, 3], [], [4]]
    assert train["label"].tolist() == [0, 1, 0]
    assert text == "a whole\nbook"
    assert attrs == {"dataset": "x", "split_sizes": {"train": 3}}


def test_large_arrays_are_compressed_in_chunks(tmp_path):
    path = tmp_path / "big.h5"
    write_h5(path, {"": {"vectors": np.zeros((5000, 50), np.float32)}}, {})
    with h5py.File(path) as f:
        assert f["vectors"].compression == "gzip" and f["vectors"].chunks is not None


def test_ragged_columns_must_agree(tmp_path):
    with pytest.raises(ValueError, match="differ in their lengths"):
        write_h5(tmp_path / "bad.h5", {"train": {"a": Ragged([[1, 2]]), "b": Ragged([[1]])}}, {})
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "x.h5"
    write_h5(path, {"": {"v": np.arange(3)}}, {"dataset": "old"})
    with pytest.raises(TypeError):
        write_h5(path, {"": {"v": np.arange(3), "bad": object()}}, {"dataset": "new"})
    assert [p.name for p in tmp_path.iterdir()] == ["x.h5"]
    with h5py.File(path) as f:
        assert f.attrs["dataset"] == "old"
