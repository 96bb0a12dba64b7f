import numpy as np
import pytest

from data_prep.splits import contiguous_split, stratified_split

FRACTIONS = {"train": 0.7, "val": 0.15, "test": 0.15}


def imbalanced_labels(n=1000, rare=0.134, seed=0):
    labels = np.zeros(n, dtype=np.uint8)
    labels[np.random.default_rng(seed).choice(n, int(rare * n), replace=False)] = 1
    return labels


def test_stratified_split_is_a_deterministic_partition():
    labels = imbalanced_labels()
    first, second = stratified_split(labels, FRACTIONS), stratified_split(labels, FRACTIONS)
    for name in FRACTIONS:
        np.testing.assert_array_equal(first[name], second[name])
    together = np.concatenate(list(first.values()))
    assert sorted(together.tolist()) == list(range(len(labels)))


def test_stratified_split_keeps_class_balance_in_every_split():
    labels = imbalanced_labels()
    for name, index in stratified_split(labels, FRACTIONS).items():
        assert labels[index].mean() == pytest.approx(labels.mean(), abs=0.005), name
        assert len(index) == pytest.approx(FRACTIONS[name] * len(labels), abs=2)


def test_stratified_split_is_not_ordered_by_class():
    labels = np.repeat([0, 1], 500)
    train = stratified_split(labels, FRACTIONS)["train"]
    assert 0.3 < labels[train[: len(train) // 2]].mean() < 0.7


def test_other_seed_other_split():
    labels = imbalanced_labels()
    assert not np.array_equal(stratified_split(labels, FRACTIONS, seed=1)["test"],
                              stratified_split(labels, FRACTIONS, seed=2)["test"])


def test_fractions_must_add_up():
    with pytest.raises(ValueError, match="add up to 1"):
        stratified_split(np.zeros(10), {"train": 0.5, "val": 0.1})


def test_contiguous_split_cuts_at_blank_lines_and_covers_the_text():
    text = "".join(f"SPEAKER {i}:\nline one\nline two\n\n" for i in range(200))
    ranges = contiguous_split(text, {"train": 0.9, "val": 0.05, "test": 0.05})
    assert ranges["train"][0] == 0 and ranges["test"][1] == len(text)
    assert ranges["train"][1] == ranges["val"][0] and ranges["val"][1] == ranges["test"][0]
    for start, _ in ranges.values():
        assert text[start:].startswith("SPEAKER")
