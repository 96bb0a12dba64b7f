"""Small, consistent plots for the labs (matplotlib)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def learning_curves(history, metrics=("loss",), title: str = ""):
    """Plot training and validation curves from a Keras `History` (or its `.history` dict)."""
    logs = getattr(history, "history", history)
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], "o-", label="train")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], "o-", label="validation")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs, also for short runs
        ax.set_ylabel(metric)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def precision_recall_curve(curves: dict, title: str = "Precision-recall (positive class)"):
    """Plot several precision-recall curves: {label: (recall, precision)}."""
    fig, ax = plt.subplots(figsize=(5, 4))
    for label, (recall, precision) in curves.items():
        ax.plot(recall, precision, label=label)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    return _finish(fig, ax, "recall", "precision", title, legend=True)


def confusion_matrix(matrix, labels, title: str = "Confusion matrix"):
    """Heat map of a square confusion matrix (rows: true, columns: predicted)."""
    matrix = np.asarray(matrix)
    side = max(3.0, 1 + 0.5 * len(labels))  # at least 3 inches, so that 2 x 2 matrices stay readable
    fig, ax = plt.subplots(figsize=(side, side))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90 if len(labels) > 4 else 0)
    ax.set_yticks(range(len(labels)), labels)
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=8)
    return _finish(fig, ax, "predicted", "true", title)


def lines(curves: dict, xlabel: str, ylabel: str, title: str = "", logy: bool = False):
    """Plot several named 1-D series against their index: {label: values}; `logy` for a log scale."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for label, values in curves.items():
        ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), label=label)
    if logy:
        ax.set_yscale("log")
    return _finish(fig, ax, xlabel, ylabel, title, legend=True)


def histogram(values, bins=30, title: str = "", xlabel: str = "", marks: dict | None = None):
    """Histogram of `values`, with labelled vertical lines at `marks` ({label: x})."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(np.asarray(values), bins=bins, color="tab:blue", alpha=0.8)
    for (label, x), color in zip((marks or {}).items(), ("tab:red", "tab:orange", "tab:green", "tab:purple")):
        ax.axvline(x, color=color, linestyle="--", label=label)
    return _finish(fig, ax, xlabel, "count", title, legend=bool(marks))


def bar_chart(labels, values, title: str = "", ylabel: str = ""):
    """Vertical bars, one per label, in the order given."""
    fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(labels) + 1), 3.5))
    ax.bar(range(len(labels)), np.asarray(values), color="tab:blue")
    ax.set_xticks(range(len(labels)), labels, rotation=90 if len(labels) > 6 else 0)
    return _finish(fig, ax, "", ylabel, title)


def scores_by_size(sizes, scores: dict, title: str = "", xlabel: str = "training examples",
                   ylabel: str = "accuracy"):
    """Learning curves over training-set sizes: {label: one score per size}, log-scaled x axis."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, values in scores.items():
        ax.plot(sizes, values, "o-", label=label)
    ax.set_xscale("log")
    ax.set_xticks(list(sizes), [f"{size:,}" for size in sizes])
    ax.minorticks_off()
    return _finish(fig, ax, xlabel, ylabel, title, legend=True)


def _finish(fig, ax, xlabel: str, ylabel: str, title: str, legend: bool = False):
    """The labels, title and layout every single-axes plot here ends with."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend:
        ax.legend()
    fig.tight_layout()
    return fig
