"""History.plot: matplotlib curves that are exactly the history's numbers; matplotlib stays optional."""
import sys

import numpy as np
import pytest

import sgdswift as sg

matplotlib = pytest.importorskip("matplotlib", reason="History.plot draws with matplotlib, which is not installed")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def blobs(rng, rows=120):
    """Two Gaussian blobs in 3-D: a classification task the network learns in a few epochs."""
    y = rng.integers(0, 2, rows)
    X = rng.normal(size=(rows, 3)) + 2.0 * y[:, None]
    return X, y


def trained(rng, epochs=5, validation=True, layers=(3, 6, 5, 2), **fit_arguments):
    X, y = blobs(rng)
    net = sg.Network(list(layers), hidden="sigmoid", output="softmax", loss="cross_entropy", seed=0)
    validation_data = blobs(rng, 40) if validation else None
    return net.fit(X, y, epochs=epochs, lr=0.5, batch_size=16, validation_data=validation_data, verbose=0,
                   **fit_arguments)


def lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_lines_are_the_history_with_validation(rng):
    history = trained(rng, epochs=5)
    axes = history.plot()
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    for ax, key in zip(axes, ("loss", "accuracy")):
        drawn = lines(ax)
        assert set(drawn) == {"train", "validation"}
        np.testing.assert_array_equal(drawn["train"].get_xdata(), [1, 2, 3, 4, 5])
        np.testing.assert_array_equal(drawn["train"].get_ydata(), history.history[key])
        np.testing.assert_array_equal(drawn["validation"].get_xdata(), [1, 2, 3, 4, 5])
        np.testing.assert_array_equal(drawn["validation"].get_ydata(), history.history["val_" + key])
        assert ax.get_xlabel() == "epoch"


def test_no_validation_lines_without_validation_data(rng):
    history = trained(rng, epochs=3, validation=False)
    assert "val_loss" not in history.history
    for ax, key in zip(history.plot(), ("loss", "accuracy")):
        drawn = lines(ax)
        assert list(drawn) == ["train"]
        np.testing.assert_array_equal(drawn["train"].get_ydata(), history.history[key])


def test_validation_split_counts_as_validation(rng):
    X, y = blobs(rng)
    net = sg.Network([3, 4, 2], output="softmax", loss="cross_entropy", seed=1)
    history = net.fit(X, y, epochs=2, lr=0.5, validation_split=0.25, verbose=0)
    assert set(lines(history.plot(["loss"])[0])) == {"train", "validation"}


def test_regression_history_has_only_a_loss_panel(rng):
    X = rng.normal(size=(50, 2))
    net = sg.Network([2, 3, 1], hidden="tanh", output="identity", loss="mse", seed=0)
    history = net.fit(X, X.sum(axis=1, keepdims=True), epochs=2, lr=0.05, verbose=0)
    axes = history.plot()
    assert len(axes) == 1 and axes[0].get_title() == "loss"
    with pytest.raises(ValueError, match="'accuracy' is not in this history"):
        history.plot(["accuracy"])


def test_gradient_norms_one_line_per_layer_on_a_log_scale(rng):
    history = trained(rng, epochs=4)
    (ax,) = history.plot(keys=["grad_norm"])
    norms = np.array(history.history["grad_norm"])
    assert norms.shape == (4, 3)
    drawn = lines(ax)
    assert list(drawn) == ["layer 1", "layer 2", "layer 3"]
    for layer in range(3):
        np.testing.assert_array_equal(drawn[f"layer {layer + 1}"].get_xdata(), [1, 2, 3, 4])
        np.testing.assert_array_equal(drawn[f"layer {layer + 1}"].get_ydata(), norms[:, layer])
    assert ax.get_yscale() == "log"


def test_draws_into_given_axes_and_returns_them(rng):
    history = trained(rng, epochs=3, schedule=sg.StepDecay(step_size=1, gamma=0.5))
    figure, grid = plt.subplots(2, 2)
    axes = history.plot(["loss", "accuracy", "grad_norm", "lr"], axes=grid)
    assert axes == list(grid.ravel())
    np.testing.assert_array_equal(axes[3].get_lines()[0].get_ydata(), [0.5, 0.25, 0.125])
    assert axes[3].get_legend() is None  # a single line needs no legend
    figure_before = len(plt.get_fignums())
    single = figure.add_subplot(1, 1, 1)
    assert history.plot("loss", axes=single) == [single]
    assert len(plt.get_fignums()) == figure_before  # no new figure when axes are given
    np.testing.assert_array_equal(lines(single)["train"].get_ydata(), history.history["loss"])


def test_new_figure_has_one_panel_per_key(rng):
    history = trained(rng, epochs=2)
    before = len(plt.get_fignums())
    axes = history.plot(keys=["loss", "accuracy", "grad_norm"])
    assert len(plt.get_fignums()) == before + 1
    assert len(axes) == 3 and len({id(ax.figure) for ax in axes}) == 1


def test_bad_keys_and_axes_are_explained(rng):
    history = trained(rng, epochs=2)
    with pytest.raises(ValueError, match="'val_loss' is drawn with 'loss'"):
        history.plot(["val_loss"])
    with pytest.raises(ValueError, match="'nope' is not in this history"):
        history.plot(["nope"])
    _, pair = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="expected 3 Axes"):
        history.plot(["loss", "accuracy", "grad_norm"], axes=pair)
    net = sg.Network([3, 2], seed=0)
    empty = net.fit(*blobs(rng), epochs=0, verbose=0)
    with pytest.raises(ValueError, match="no finished epochs"):
        empty.plot()


def test_missing_matplotlib_raises_a_clear_import_error(rng, monkeypatch):
    history = trained(rng, epochs=1)
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules makes `import` fail
    with pytest.raises(ImportError, match="pip install matplotlib"):
        history.plot()
    with pytest.raises(ImportError, match="pip install matplotlib"):
        history.plot(axes=object())
