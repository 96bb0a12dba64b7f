"""Lab 4's conventions for the dates task, shared by its notebooks and the grader.

A date translator reads the characters of a human-written date (`source`,
ids padded to `MAX_SOURCE_LEN`) and writes `YYYY-MM-DD` one character at a
time. Its Keras model takes two inputs, `[source_ids (n, S), decoder_ids (n, T)]`,
and returns for every decoder position a distribution over
`TARGET_VOCABULARY` (n, T, 14): position t predicts target character t from
the source and the decoder inputs up to t (`<s>` then the characters before t).
The grader decodes with `greedy_decode` below on the held-out dates.
"""
from __future__ import annotations

import numpy as np

from labs.artifacts import model_outputs
from labs.text import PAD, UNK, ids

BOS, EOS = "<s>", "</s>"
TARGET_VOCABULARY = [PAD, BOS, EOS, *"0123456789-"]
TARGET_LEN = 10                     # YYYY-MM-DD
DECODER_STEPS = TARGET_LEN + 1      # the ten characters, then </s>
MAX_SOURCE_LEN = 40                 # the dataset's longest source is shorter


def source_vocabulary(texts: list[str]) -> list[str]:
    """[PAD, UNK] then every character of `texts`, sorted: position = id."""
    return [PAD, UNK, *sorted(set("".join(texts)))]


def encode_sources(texts: list[str], vocabulary: list[str],
                   max_len: int = MAX_SOURCE_LEN) -> np.ndarray:
    """int32 (n, max_len): character ids, unknown characters UNK, padded with PAD (0) at the end."""
    cut = [text[:max_len] for text in texts]
    codes = ids("".join(cut), vocabulary)
    matrix = np.zeros((len(texts), max_len), dtype=np.int32)
    start = 0
    for row, text in enumerate(cut):
        matrix[row, :len(text)] = codes[start:start + len(text)]
        start += len(text)
    return matrix


def encode_targets(dates: list[str]) -> np.ndarray:
    """int32 (n, TARGET_LEN): the ids of each ISO date's ten characters."""
    index = {char: i for i, char in enumerate(TARGET_VOCABULARY)}
    return np.array([[index[char] for char in date] for date in dates], dtype=np.int32)


def teacher_forcing(target_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(decoder inputs, decoder targets), int32 (n, DECODER_STEPS): `<s>` + date, date + `</s>`."""
    target_ids = np.asarray(target_ids, dtype=np.int32)
    n = len(target_ids)
    bos = np.full((n, 1), TARGET_VOCABULARY.index(BOS), dtype=np.int32)
    eos = np.full((n, 1), TARGET_VOCABULARY.index(EOS), dtype=np.int32)
    return np.concatenate([bos, target_ids], axis=1), np.concatenate([target_ids, eos], axis=1)


def decode_targets(ids) -> str:
    """The characters of target ids up to the first </s> (PAD and <s> skipped)."""
    chars = []
    for i in ids:
        token = TARGET_VOCABULARY[int(i)]
        if token == EOS:
            break
        if token not in (PAD, BOS):
            chars.append(token)
    return "".join(chars)


def greedy_decode(model, source_ids: np.ndarray, batch_size: int = 512) -> list[str]:
    """Decode every source greedily: at each step the most probable character is fed back.

    The decoder input is always DECODER_STEPS long: `<s>`, the characters chosen
    so far, then PAD; step t reads the model's output at position t.
    """
    n = len(source_ids)
    decoder_ids = np.zeros((n, DECODER_STEPS), dtype=np.int32)
    decoder_ids[:, 0] = TARGET_VOCABULARY.index(BOS)
    chosen = np.zeros((n, DECODER_STEPS), dtype=np.int64)
    for t in range(DECODER_STEPS):
        outputs = model_outputs(model, [source_ids, decoder_ids],
                                (n, DECODER_STEPS, len(TARGET_VOCABULARY)), batch_size)
        chosen[:, t] = outputs[:, t].argmax(axis=-1)
        if t + 1 < DECODER_STEPS:
            decoder_ids[:, t + 1] = chosen[:, t]
    return [decode_targets(row) for row in chosen]


def exact_and_char_accuracy(predicted: list[str], expected: list[str]) -> tuple[float, float]:
    """(share of dates exactly right, share of the ten characters right at their position)."""
    exact = np.mean([p == e for p, e in zip(predicted, expected)])
    chars = np.mean([sum(a == b for a, b in zip(p.ljust(TARGET_LEN)[:TARGET_LEN], e)) / TARGET_LEN
                     for p, e in zip(predicted, expected)])
    return float(exact), float(chars)
