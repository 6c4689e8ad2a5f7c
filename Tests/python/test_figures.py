"""figure_checks finds each readability defect it names, and only those; the example script's figures have none.
(The notebook's figures are checked while it runs, in test_notebook.py.)"""
import pathlib
import runpy

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="the figure checks need matplotlib, which is not installed")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import figure_checks  # noqa: E402

TOUR = pathlib.Path(__file__).resolve().parents[2] / "examples" / "gradient_descent_tour.py"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def readable_figure():
    """Two series with a legend below the axes, a log y axis over three decades, labels and a title."""
    figure, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    x = np.arange(1, 6)
    ax.plot(x, 10.0 ** -x, "o-", label="falls")
    ax.plot(x, np.full(5, 0.01), "o-", label="flat")
    ax.set(yscale="log", xlabel="step", ylabel="cost", title="one falls, one stays")
    figure.legend(loc="outside lower center", ncols=2)
    return figure, ax


def test_a_readable_figure_has_no_problems():
    figure, _ = readable_figure()
    assert figure_checks.figure_problems(figure) == []


def test_a_colour_that_stands_for_two_things():
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    left.plot([1, 2], [1, 2], color="tab:blue", label="sigmoid")
    right.plot([1, 2], [1, 2], color="tab:blue", label="layer 1")
    right.plot([1, 2], [2, 1], color="tab:orange")  # in no legend
    for ax in (left, right):
        ax.set(xlabel="x", ylabel="y", title="t")
        ax.legend()
    problems = figure_checks.colour_problems(figure)
    assert "colour #1f77b4 stands for ['layer 1', 'sigmoid']" in problems
    assert any("#ff7f0e that no legend explains" in problem for problem in problems)
    assert len(problems) == 2


def test_one_meaning_drawn_in_two_colours():
    figure, ax = plt.subplots()
    ax.plot([1, 2], [1, 2], color="tab:blue", label="train")
    ax.plot([1, 2], [2, 3], color="tab:red", label="train")
    ax.legend()
    assert figure_checks.colour_problems(figure) == ["'train' is drawn in ['#1f77b4', '#d62728']"]


def test_grey_keys_are_not_meanings():
    figure, _ = readable_figure()
    ax = figure.axes[0]
    ax.plot([], [], "--", color="black", label="epoch 2")  # a line-style key: black carries no meaning
    ax.plot([], [], ":", color="black", label="epoch 3")
    ax.legend(loc="upper right")
    assert figure_checks.colour_problems(figure) == []


def test_a_legend_over_a_line_and_a_legend_beside_the_data():
    figure, ax = plt.subplots(figsize=(6, 4))
    ax.plot([0, 10], [0, 10], label="diagonal")
    ax.set(xlim=(0, 10), ylim=(0, 10))
    ax.legend(loc="center")  # the diagonal runs through the centre
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    assert figure_checks.legend_problems(figure, renderer) == [
        "the legend (diagonal) covers the Line2D 'diagonal' in axes 1"]
    ax.legend(loc="upper left")  # the diagonal passes the top left corner at a distance
    figure.canvas.draw()
    assert figure_checks.legend_problems(figure, renderer) == []


def test_a_legend_over_a_line_between_its_markers():
    figure, ax = plt.subplots(figsize=(6, 4))
    ax.plot([-1, 1], [-0.9, -0.9], "o-", label="two points")  # only the segment lies under a centred legend
    ax.set(xlim=(-1, 1), ylim=(-1, 1))
    ax.legend(loc="lower center")
    figure.canvas.draw()
    problems = figure_checks.legend_problems(figure, figure.canvas.get_renderer())
    assert problems == ["the legend (two points) covers the Line2D 'two points' in axes 1"]


def test_a_legend_over_a_contour_line():
    figure, ax = plt.subplots(figsize=(6, 4))
    v1, v2 = np.meshgrid(np.linspace(-1, 1, 50), np.linspace(-1, 1, 50))
    ax.contour(v1, v2, v1, levels=[0], colors="grey")  # the line v1 = 0, through the centre
    ax.legend(handles=[plt.Line2D([], [], color="tab:blue", label="key")], loc="center")
    figure.canvas.draw()
    problems = figure_checks.legend_problems(figure, figure.canvas.get_renderer())
    assert problems == ["the legend (key) covers an unlabelled QuadContourSet in axes 1"]
    ax.get_legend().set_loc("upper left")
    figure.canvas.draw()
    assert figure_checks.legend_problems(figure, figure.canvas.get_renderer()) == []


def test_a_scatter_plot_is_refused_rather_than_passed_unmeasured():
    figure, ax = plt.subplots()
    ax.scatter([0.5], [0.5], label="dots")
    ax.legend(loc="center")
    with pytest.raises(NotImplementedError, match="PathCollection"):
        figure_checks.figure_problems(figure)


def test_a_clipped_line_outside_the_axes_is_not_covered():
    figure, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot([0, 1], [0, 100], label="leaves the picture")  # clipped at y = 1, runs on under the legend above
    ax.set(xlim=(0, 1), ylim=(0, 1))
    figure.legend(loc="outside upper center")
    figure.canvas.draw()
    assert figure_checks.legend_problems(figure, figure.canvas.get_renderer()) == []


def test_a_log_axis_spanning_less_than_a_decade():
    figure, ax = plt.subplots(layout="constrained")
    ax.plot([1, 2, 3], [2.6, 1.0, 0.3])
    ax.set(yscale="log")
    figure.canvas.draw()
    problems = figure_checks.log_axis_problems(figure)
    assert len(problems) == 1 and problems[0].startswith("the log y axis of axes 1 labels 1 major tick(s)")
    ax.set_ylim(0.01, 10)
    figure.canvas.draw()
    assert figure_checks.log_axis_problems(figure) == []


def test_overlapping_tick_labels_and_a_legend_over_a_title():
    figure, ax = plt.subplots(figsize=(4, 3))
    ax.plot(range(10), range(10), label="a line")
    ax.set_xticks(range(10), [f"long label {tick}" for tick in range(10)])
    ax.set_title("a title")
    figure.legend(loc="upper center")  # on the title
    figure.canvas.draw()
    problems = figure_checks.overlap_problems(figure, figure.canvas.get_renderer())
    assert "the x tick label 'long label 0' of the axes titled 'a title' overlaps the x tick label " \
           "'long label 1' of the axes titled 'a title'" in problems
    assert "the title 'a title' overlaps the legend (a line)" in problems


def test_missing_axis_labels_and_title():
    figure, (plain, image) = plt.subplots(1, 2)
    plain.plot([1, 2], [1, 2])
    image.imshow(np.eye(3))
    image.axis("off")  # image tiles need no labels
    assert figure_checks.axis_label_problems(figure) == [
        "axes 1 has no x label", "axes 1 has no y label", "axes 1 has no title, nor has its figure"]
    figure.suptitle("a figure title")
    plain.set(xlabel="x", ylabel="y")
    assert figure_checks.axis_label_problems(figure) == []


@pytest.mark.slow
def test_gradient_descent_tour_figures_are_readable(tmp_path, monkeypatch):
    saved = []
    save = Figure.savefig

    def recording_savefig(figure, *args, **kwargs):
        saved.append((figure, figure_checks.figure_problems(figure)))
        return save(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording_savefig)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(TOUR), run_name="__main__")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["gradient_norms.png", "surface.png"]
    assert len(saved) == 2
    for figure, problems in saved:
        assert problems == [], figure_checks.figure_title(figure)
