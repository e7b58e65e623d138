"""Training logs: CSV always, TensorBoard when installed, a PNG of the loss curves."""

from __future__ import annotations

import csv
from pathlib import Path

TERMS = ("total", "cls", "box", "landmarks", "pose")


class TrainingLog:
    """Appends one row per epoch to ``log.csv`` and mirrors it to TensorBoard."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / "log.csv"
        self.plot_path = out_dir / "loss_curves.png"
        try:
            from torch.utils.tensorboard import (
                SummaryWriter,  # optional: tensorboard is not a dependency
            )
        except ImportError:
            self.writer = None
        else:
            self.writer = SummaryWriter(str(out_dir / "tensorboard"))

    def append(self, row: dict[str, float]) -> None:
        new = not self.path.exists()
        with self.path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
        if self.writer is not None:
            for key, value in row.items():
                if key != "epoch":
                    self.writer.add_scalar(key, value, int(row["epoch"]))
            self.writer.flush()
        self.plot()

    def rows(self) -> list[dict[str, float]]:
        with self.path.open() as f:
            return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]

    def plot(self) -> None:
        import matplotlib

        matplotlib.use("Agg")  # headless
        import matplotlib.pyplot as plt

        rows = self.rows()
        fig, ax = plt.subplots(figsize=(7, 4))
        for term in TERMS:
            ax.plot([r["epoch"] for r in rows], [r[term] for r in rows], marker=".", label=term)
        ax.set_xlabel("epoch")
        ax.set_ylabel("mean loss")
        ax.set_yscale("symlog", linthresh=1e-2)  # the uncertainty total can be negative
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(self.plot_path, dpi=100)
        plt.close(fig)
