"""History: the per-epoch record of one `Network.fit` call, and its plot."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import numpy as np

from . import _core

if TYPE_CHECKING:
    from matplotlib.axes import Axes

RECORD_FIELDS = _core.RECORD_FIELDS  # the columns of the core's epoch records, as history keys


class History:
    """Per-epoch training record of one `fit` call.

    `history` maps each key to a list with one entry per finished epoch: "loss" and "accuracy"
    (averaged over the epoch's mini-batches as they were trained; the loss is the data's, without the
    L2 term), "val_loss" and "val_accuracy" (measured at the end of the epoch, with validation data),
    "lr" (the learning rate of the epoch), "time" (seconds) and "grad_norm" (per layer, the mean over
    the mini-batches of ‖(∂C/∂W_l, ∂C/∂b_l)‖, before regularisation and clipping). Accuracy keys appear
    only when the network classifies (several outputs, or one sigmoid output). With `sg.LBFGS` an entry
    is an iteration, without "accuracy" and "lr"; "grad_norm" is the full-batch gradient's at the iterate.
    """

    def __init__(self, records: np.ndarray, gradient_norms: np.ndarray):
        """Made by `Network.fit` from the core's records.

        Parameters
        ----------
        records
            float64 (epochs, len(RECORD_FIELDS)), the core's epoch records in those columns, NaN
            where absent. Epochs that did not finish (time NaN) are dropped.
        gradient_norms
            float64 (epochs, layers).
        """
        finished = ~np.isnan(records[:, RECORD_FIELDS.index("time")])
        records, gradient_norms = records[finished], gradient_norms[finished]
        self.epoch: list[int] = list(range(len(records)))
        self.history: dict[str, list[Any]] = {key: records[:, i].tolist() for i, key in enumerate(RECORD_FIELDS)
                                              if len(records) and not np.isnan(records[:, i]).all()}
        if len(records):
            self.history["grad_norm"] = gradient_norms.tolist()

    def __repr__(self) -> str:
        last = ", ".join(f"{key}={values[-1]:.4g}" for key, values in self.history.items() if key != "grad_norm")
        return f"History(epochs={len(self.epoch)}{', last: ' + last if last else ''})"

    def plot(self, keys: Optional[Sequence[str]] = None, *, axes: Union["Axes", Sequence["Axes"], None] = None,
             ) -> list["Axes"]:
        """Draws the history per epoch with matplotlib (an optional dependency: `pip install matplotlib`).

        Parameters
        ----------
        keys
            The panels, one per key, in order: "loss", "accuracy", "lr", "time" or "grad_norm".
            Default: "loss", and "accuracy" when the history has it. Each panel plots the training
            figure (label "train") against the epoch number 1, 2, …, and the validation figure
            ("val_" + key, label "validation") when the fit had validation data. "grad_norm" plots
            one line per layer (labels "layer 1", "layer 2", …) on a logarithmic scale: the
            vanishing gradient of deep sigmoid networks shows as the first layers' lines lying lowest.
        axes
            A matplotlib Axes, or a sequence of them, one per panel, to draw into; None makes a new
            figure with the panels side by side.

        Returns
        -------
        list of Axes
            The Axes drawn into, one per key. Nothing is shown or saved: call `plt.show()` or
            `axes[0].figure.savefig(...)`. In a notebook the figure appears by itself.
        """
        try:
            from matplotlib.ticker import MaxNLocator  # optional dependency, only needed here
        except ImportError as error:
            raise ImportError("History.plot needs matplotlib, which is not installed: pip install matplotlib") \
                from error
        available = [key for key in self.history if not key.startswith("val_")]
        if keys is None:
            keys = [key for key in ("loss", "accuracy") if key in self.history]
            if not keys:
                raise ValueError("History.plot: nothing to plot, the history has no finished epochs")
        elif isinstance(keys, str):
            keys = [keys]
        keys = list(keys)
        for key in keys:
            if isinstance(key, str) and key.startswith("val_"):
                raise ValueError(f"keys: {key!r} is drawn with {key[4:]!r}; pass {key[4:]!r} instead")
            if key not in self.history:
                raise ValueError(f"keys: {key!r} is not in this history; it has {available}")
        if axes is None:
            import matplotlib.pyplot as plt

            _, created = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.5), squeeze=False,
                                      layout="constrained")
            panels = list(created[0])
        else:
            multiple = isinstance(axes, (Sequence, np.ndarray))
            panels = list(np.ravel(np.asarray(axes, dtype=object))) if multiple else [axes]
            if len(panels) != len(keys):
                raise ValueError(f"axes: expected {len(keys)} Axes (one per key {keys}), got {len(panels)}")
        epochs = [epoch + 1 for epoch in self.epoch]
        for key, ax in zip(keys, panels):
            if key == "grad_norm":
                norms = np.array(self.history[key], dtype=np.float64).reshape(len(epochs), -1)
                for layer in range(norms.shape[1]):
                    ax.plot(epochs, norms[:, layer], "o-", markersize=3, label=f"layer {layer + 1}")
                ax.set_yscale("log")
                ax.set_ylabel("mean ‖∂C/∂(W, b)‖")
                ax.set_title("gradient norm per layer")
            else:
                ax.plot(epochs, self.history[key], "o-", markersize=3, label="train")
                if "val_" + key in self.history:
                    ax.plot(epochs, self.history["val_" + key], "o-", markersize=3, label="validation")
                ax.set_ylabel(key)
                ax.set_title(key)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if len(ax.get_lines()) > 1:
                ax.legend()
        return panels


def epoch_logs(record: np.ndarray, gradient_norms: np.ndarray) -> dict[str, Any]:
    """One epoch's history entries, as handed to callbacks: the record's present columns as floats and
    "grad_norm" as a list."""
    logs: dict[str, Any] = {key: float(value) for key, value in zip(RECORD_FIELDS, record) if not np.isnan(value)}
    logs["grad_norm"] = gradient_norms.tolist()
    return logs
