"""The bundle's evaluation report: metrics JSON, confusion-matrix and training-curve plots (matplotlib Agg)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np

REPORT = "report.json"
CONFUSION_PNG = "confusion_matrix.png"
CURVES_PNG = "training_curves.png"


def _pyplot() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(true: Sequence[str], pred: Sequence[str], classes: Sequence[str], path: Path, title: str) -> None:
    """Row-normalised confusion matrix with counts, true classes down, predictions across."""
    from sklearn.metrics import confusion_matrix

    counts = confusion_matrix(true, pred, labels=list(classes))
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    plt = _pyplot()
    size = max(5.0, 0.7 * len(classes) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted department (after the triage threshold)")
    ax.set_ylabel("true department")
    ax.set_title(title)
    if len(classes) <= 20:
        for i in range(len(classes)):
            for j in range(len(classes)):
                if counts[i, j]:
                    color = "white" if share[i, j] > 0.5 else "black"
                    ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8, color=color)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true row")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_curves(history: dict[str, list[float]], path: Path) -> None:
    """Loss and accuracy per epoch, training and validation."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for key, style in ((metric, "-"), (f"val_{metric}", "--")):
            if key in history:
                ax.plot(range(1, len(history[key]) + 1), history[key], style, marker="o", label=key)
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Bi-LSTM training (early stopping restores the best val_loss epoch)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(folder: Path, report: Mapping[str, object]) -> Path:
    """``report.json`` in ``folder``."""
    path = folder / REPORT
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
