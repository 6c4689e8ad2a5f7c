"""What makes a teaching figure readable, checked on matplotlib's objects rather than on pixels: each colour
means one thing, legends cover no data, log axes label at least two major ticks, no text or legend overlaps
another, and every plot has axis labels and a title. test_notebook.py runs these checks inside the notebook's
kernel (`check_figures_when_shown`), test_figures.py on the example script's figures."""
import json

from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex, to_rgb
from matplotlib.contour import ContourSet
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox


def figure_problems(figure):
    """Every readability problem of `figure`, one sentence each; [] when there is none."""
    figure.canvas.draw()  # lays the figure out and sets its tick labels, as showing or saving it does
    renderer = figure.canvas.get_renderer()
    return (colour_problems(figure) + legend_problems(figure, renderer) + log_axis_problems(figure)
            + overlap_problems(figure, renderer) + axis_label_problems(figure))


def figure_title(figure):
    return figure.get_suptitle() or " | ".join(ax.get_title() for ax in figure.axes if ax.get_title())


def describe(ax):
    return f"the axes titled {ax.get_title()!r}" if ax.get_title() else f"axes {ax.figure.axes.index(ax) + 1}"


def describe_artist(artist):
    label = artist.get_label()
    if label and not label.startswith("_"):  # matplotlib names unlabelled artists "_child3" and the like
        return f"the {type(artist).__name__} {label!r}"
    return f"an unlabelled {type(artist).__name__}"


def legends(figure):
    return [ax.get_legend() for ax in figure.axes if ax.get_legend() is not None] + list(figure.legends)


def meaningful_colour(artist):
    """The artist's colour as a hex string, or None for greys and black: those key line styles or mark
    references (a minimum, contours), they do not stand for a series by their colour."""
    red, green, blue = to_rgb(artist.get_color() if isinstance(artist, Line2D) else artist.get_facecolor())
    return None if max(red, green, blue) - min(red, green, blue) < 0.02 else to_hex((red, green, blue))


def colour_problems(figure):
    """A colour must stand for one legend entry across the whole figure, an entry for one colour, and every
    coloured line or bar must have its colour explained by some legend of the figure."""
    meanings, colours = {}, {}
    for legend in legends(figure):
        for handle, text in zip(legend.legend_handles, legend.get_texts()):
            colour = meaningful_colour(handle)
            if colour is not None:
                meanings.setdefault(colour, set()).add(text.get_text())
                colours.setdefault(text.get_text(), set()).add(colour)
    problems = [f"colour {colour} stands for {sorted(texts)}" for colour, texts in meanings.items() if len(texts) > 1]
    problems += [f"{text!r} is drawn in {sorted(found)}" for text, found in colours.items() if len(found) > 1]
    for ax in figure.axes:
        for artist in ax.lines + ax.patches:
            colour = meaningful_colour(artist)
            if colour is not None and colour not in meanings:
                problems.append(f"{describe(ax)} has a {type(artist).__name__} in {colour} that no legend explains")
    return problems


def legend_problems(figure, renderer):
    """No legend may hide a line, bar or contour of any axes of the figure."""
    problems = []
    for legend in legends(figure):
        box = legend.get_window_extent(renderer)
        entries = ", ".join(text.get_text() for text in legend.get_texts())
        for ax in figure.axes:
            for artist in ax.lines + ax.patches + ax.collections:
                if artist.get_visible() and covers(box, artist, renderer):
                    problems.append(f"the legend ({entries}) covers {describe_artist(artist)} in {describe(ax)}")
    return problems


def covers(box, artist, renderer):
    """Whether `box` (in display pixels) hides part of `artist` where the artist is visible: a point or a
    segment of a line, widened by half its marker size and line width, or any part of a patch."""
    clip = artist.get_clip_box() if artist.get_clip_on() else None
    region = box if clip is None else Bbox.intersection(box, clip)
    if region is None:
        return False
    if isinstance(artist, Line2D):
        reach_points = max(artist.get_markersize() if artist.get_marker() not in ("", "None", None) else 0,
                           artist.get_linewidth()) / 2
        paths, filled = [artist.get_path()], False
    elif isinstance(artist, Patch):
        reach_points, paths, filled = artist.get_linewidth() / 2, [artist.get_path()], True
    elif isinstance(artist, (ContourSet, LineCollection)):
        reach_points, paths = 0.5, artist.get_paths()
        filled = isinstance(artist, ContourSet) and artist.filled  # contourf's regions, contour's lines
    else:  # e.g. a scatter plot, whose paths are marker shapes placed at offsets: not measured here
        raise NotImplementedError(f"covers: cannot measure a {type(artist).__name__}")
    widened = region.padded(renderer.points_to_pixels(reach_points))
    transform = artist.get_transform()
    return any(transform.transform_path(path).intersects_bbox(widened, filled=filled) for path in paths)


def axis_drawn(axis):
    return axis.axes.axison and axis.get_visible()  # ax.axis("off") hides both axes, labels and ticks


def shown_tick_labels(axis, which):
    """The axis's major or minor tick labels that are drawn: inside the view interval, visible, not empty."""
    if not axis_drawn(axis):
        return []
    locations = axis.get_majorticklocs() if which == "major" else axis.get_minorticklocs()
    labels = axis.get_majorticklabels() if which == "major" else axis.get_minorticklabels()
    low, high = sorted(axis.get_view_interval())
    margin = (high - low) * 1e-9
    return [label for location, label in zip(locations, labels)
            if low - margin <= location <= high + margin and label.get_visible() and label.get_text()]


def log_axis_problems(figure):
    """A log axis that shows tick labels must label at least two major ticks (decades): with one, or with
    only minor labels such as 3×10⁻¹, the reader cannot tell the scale at a glance."""
    problems = []
    for ax in figure.axes:
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            major, minor = shown_tick_labels(axis, "major"), shown_tick_labels(axis, "minor")
            if axis.get_scale() == "log" and (major or minor) and len(major) < 2:
                problems.append(f"the log {name} axis of {describe(ax)} labels {len(major)} major tick(s): "
                                f"{[label.get_text() for label in major + minor]}")
    return problems


def overlap_problems(figure, renderer):
    """No two pieces of text (titles, axis labels, drawn tick labels, figure texts) or legends overlap."""
    boxes = [(f"the figure text {text.get_text()!r}", text) for text in figure.texts]
    for ax in figure.axes:
        boxes.append((f"the title {ax.get_title()!r}", ax.title))
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            where = f"of {describe(ax)}"
            if axis_drawn(axis):
                boxes.append((f"the {name} label {axis.label.get_text()!r} {where}", axis.label))
            boxes += [(f"the {name} tick label {label.get_text()!r} {where}", label)
                      for which in ("major", "minor") for label in shown_tick_labels(axis, which)]
    boxes = [(name, text) for name, text in boxes if text.get_visible() and text.get_text()]
    boxes += [("the legend (" + ", ".join(text.get_text() for text in legend.get_texts()) + ")", legend)
              for legend in legends(figure)]
    extents = [artist.get_window_extent(renderer) for _, artist in boxes]
    return [f"{boxes[first][0]} overlaps {boxes[second][0]}"
            for first in range(len(boxes)) for second in range(first + 1, len(boxes))
            if extents[first].overlaps(extents[second])]


def axis_label_problems(figure):
    """Every axes that plots data has an x label, a y label unless its y tick labels are hidden (a panel
    sharing its neighbour's y axis), and a title of its own or the figure's."""
    problems = []
    for ax in figure.axes:
        if not (ax.lines or ax.patches or ax.collections):  # image tiles, an empty placeholder
            continue
        if not ax.get_xlabel():
            problems.append(f"{describe(ax)} has no x label")
        if not ax.get_ylabel() and shown_tick_labels(ax.yaxis, "major"):
            problems.append(f"{describe(ax)} has no y label")
        if not (ax.get_title() or figure.get_suptitle()):
            problems.append(f"{describe(ax)} has no title, nor has its figure")
    return problems


checked_figures = []


def check_figures_when_shown():
    """Makes plt.show() check every open figure, as it is about to be shown, into `checked_figures`."""
    import matplotlib.pyplot as plt

    show = plt.show

    def checking_show(*args, **kwargs):
        for number in plt.get_fignums():
            figure = plt.figure(number)
            checked_figures.append({"title": figure_title(figure), "problems": figure_problems(figure)})
        return show(*args, **kwargs)

    plt.show = checking_show


def checked_figures_json():
    return json.dumps(checked_figures, ensure_ascii=False)
