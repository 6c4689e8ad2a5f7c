"""Network.summary() and the reprs of networks, callbacks, optimizers, schedules and History: the
parameter counts against Σ_l (fan_in·fan_out + fan_out) computed here from the sizes, the table's columns."""
import numpy as np
import pytest

import sgdswift as sg
from sgdswift import callbacks, schedules

SIZES = [784, 100, 30, 10]


def expected_counts(sizes):
    return [fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_summary_table(dtype, capsys):
    net = sg.Network(SIZES, hidden="relu", output="softmax", loss="cross_entropy", dtype=dtype, seed=1)
    table = net.summary()
    assert capsys.readouterr().out == table + "\n"
    header, rule, *rows, closing_rule, total = table.splitlines()
    assert header.split() == ["Layer", "Input", "→", "output", "Activation", "Dropout", "Parameters"]
    assert set(rule) == {"─"} and closing_rule == rule
    assert len(rows) == len(SIZES) - 1
    for layer, (row, fan_in, fan_out, count) in enumerate(zip(rows, SIZES, SIZES[1:], expected_counts(SIZES)), 1):
        assert row.split() == [str(layer), str(fan_in), "→", str(fan_out),
                               "relu" if layer < len(rows) else "softmax", "—", f"{count:,}"]
    total_count = sum(expected_counts(SIZES))  # 89,610
    memory = total_count * np.dtype(dtype).itemsize
    assert total == f"Total parameters: {total_count:,} ({dtype}, {memory / 1024:.4g} KiB)"


@pytest.mark.parametrize("dropout, shown", [([0.2, 0.5], ["0.2", "0.5", "—"]), (np.float32(0.25), ["0.25", "0.25", "—"]),
                                            ([0.0, 0.5], ["—", "0.5", "—"])])
def test_summary_and_repr_show_dropout(dropout, shown, capsys):
    net = sg.Network(SIZES, dropout=dropout)
    rows = net.summary().splitlines()[2:5]
    assert [row.split()[5] for row in rows] == shown
    assert f"dropout={[float(rate) if rate != '—' else 0.0 for rate in shown[:2]]}, parameters=" in repr(net)


def test_repr_names_sizes_activations_and_parameter_count():
    net = sg.Network([3, 4, 2], hidden="tanh", output="sigmoid", loss="binary_cross_entropy", dtype="float64")
    assert repr(net) == ("Network([3, 4, 2], hidden='tanh', output='sigmoid', loss='binary_cross_entropy', "
                         f"dtype='float64', parameters={sum(expected_counts([3, 4, 2]))})")


def test_callback_optimizer_and_schedule_reprs_rebuild_the_object():
    objects = [sg.EarlyStopping(monitor="loss", patience=3, min_delta=0.01, restore_best_weights=True),
               sg.Adam(lr=0.01, betas=(0.8, 0.99)), sg.SGD(lr=0.5, momentum=0.9, nesterov=True),
               schedules.StepDecay(step_size=10, gamma=0.5), schedules.CosineAnnealing(epochs=20, min_lr=0.001)]
    namespace = {**vars(sg), **vars(schedules)}
    for thing in objects:
        rebuilt = eval(repr(thing), namespace)
        assert type(rebuilt) is type(thing) and repr(rebuilt) == repr(thing)
    assert repr(callbacks.EpochPrinter(7)).startswith("EpochPrinter(epochs=7, file=")


def test_history_repr_names_epochs_and_last_figures(rng):
    net = sg.Network([3, 4, 2], output="softmax", loss="cross_entropy", seed=2)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    history = net.fit(X, y, epochs=3, verbose=0, validation_split=0.25)
    text = repr(history)
    assert text.startswith("History(epochs=3, last: ")
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert f"{key}={history.history[key][-1]:.4g}" in text
