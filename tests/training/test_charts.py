"""The training charts: the legend stays inside the plot whatever the names' length."""

from __future__ import annotations

import numpy as np

from simpleseg_agent.training.charts import line_chart


def test_legend_with_long_names_stays_inside_the_plot(tmp_path):
    names = [f"validation: click accuracy of run {i}" for i in range(6)]
    img = line_chart({n: ([0, 1], [0.1 * i, 0.2]) for i, n in enumerate(names)}, tmp_path / "c.png", y_range=(0, 1))
    a = np.asarray(img).astype(int)
    W, right = img.width, 20
    # nothing drawn in the margin right of the plot's frame (the old legend ran its text off the image)
    margin = a[:, W - right + 5:, :]  # past the frame and the markers on it
    assert (margin == 255).all()
    # the legend is there: dark text pixels in the plot's top-right area, on a white box
    legend = a[34:34 + 14 * len(names) + 10, W // 2:W - right]
    assert (legend.sum(axis=2) < 200).sum() > 200


def test_legend_box_hides_the_lines_under_it(tmp_path):
    # a flat line at the height of the legend's first entry: the legend's white box is drawn over it
    H, top, bottom, right = 420, 34, 46, 20
    row = top + 12
    y = (H - bottom - row) / (H - top - bottom)
    img = line_chart({"a": ([0, 1], [y, y])}, tmp_path / "c.png", y_range=(0, 1), title="t")
    a = np.asarray(img).astype(int)
    W = img.width
    assert (a[row, W // 3, :] != 255).any()  # the line is drawn left of the legend
    assert (a[row - 1:row + 2, W - right - 12:W - right - 8] == 255).all()  # and hidden under it
