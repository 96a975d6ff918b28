"""Captured screens as records: expressions from real names, unique on their screen; safe writing."""

from collections import Counter

import pytest
from PIL import Image

from simpleseg_agent.capture import CapturedElement as E
from simpleseg_agent.capture import CapturedScreen
from simpleseg_agent.capture.records import referring_expressions, screen_records, write_capture
from simpleseg_agent.errors import CaptureError
from simpleseg_agent.training.records import read_records


def _screen(*elements, source="web:test"):
    return CapturedScreen(Image.new("RGB", (400, 300), "white"), tuple(elements), source=source, toolkit="web")


@pytest.mark.parametrize("elements, expected", [
    ([E("button", "Save", (0, 0, 50, 20))], ["the Save button"]),
    ([E("field", "Email", (0, 0, 50, 20))], ["the Email field"]),
    ([E("checkbox", "Remember me", (0, 0, 10, 10))], ["the Remember me checkbox"]),
    ([E("tab", "Settings", (0, 0, 50, 20))], ["the Settings tab"]),
    ([E("link", "Documentation", (0, 0, 50, 20))], ["the Documentation link"]),
    ([E("field", "Search field", (0, 0, 50, 20))], ["the Search field"]),
    # a row: from the left, whatever the order of the tree
    ([E("button", "Save", (100, 0, 150, 20)), E("button", "Save", (0, 0, 50, 20))],
     ["the second Save button from the left", "the first Save button from the left"]),
    # a column: from the top
    ([E("link", "Docs", (0, 0, 50, 20)), E("link", "Docs", (0, 40, 50, 60)), E("link", "Docs", (0, 80, 50, 100))],
     ["the first Docs link from the top", "the second Docs link from the top", "the third Docs link from the top"]),
    # overlapping both ways: no position tells them apart
    ([E("button", "OK", (0, 0, 50, 20)), E("button", "OK", (10, 10, 60, 30))], []),
    # more than four of a kind are dropped
    ([E("button", "Open", (i * 60, 0, i * 60 + 50, 20)) for i in range(5)], []),
    # an unnamed element: by role only when it is the one of its role
    ([E("checkbox", "", (0, 0, 10, 10)), E("button", "Go", (20, 0, 60, 20))], ["the checkbox", "the Go button"]),
    ([E("checkbox", "", (0, 0, 10, 10)), E("checkbox", "Agree", (20, 0, 30, 10))], ["the Agree checkbox"]),
    # a paragraph-long name is not a query; an unknown role has no noun
    ([E("link", "word " * 20, (0, 0, 50, 20)), E("other", "Pane", (0, 0, 50, 20))], []),
    # the same element reported twice by the tree counts once
    ([E("button", "Save", (0, 0, 50, 20)), E("button", "Save", (0.2, 0, 50, 20))], ["the Save button"]),
    # a list item around its own link is left to the link; one around other words stays
    ([E("listitem", "Home", (0, 0, 200, 30)), E("link", "Home", (10, 5, 60, 25)),
      E("listitem", "Check out docs", (0, 40, 200, 70)), E("link", "docs", (80, 45, 120, 65))],
     ["the Home link", "the Check out docs list item", "the docs link"]),
    ([], []),
])
def test_referring_expressions(elements, expected):
    assert [text for _, text, _ in referring_expressions(elements)] == expected


def test_records_carry_region_label_source_and_meta():
    screen = _screen(E("button", "Save", (40, 30, 120, 60), engine_role="button", meta={"tag": "button"}))
    (r,) = screen_records(screen, "images/000007.png", index=7)
    assert r.image_path == "images/000007.png" and r.image_wh == (400, 300)
    assert r.region.xyxy.tolist() == pytest.approx([0.1, 0.1, 0.3, 0.2])
    assert (r.label, r.source, r.record_id) == ("button", "web:test", "000007-000")
    assert r.meta["role"] == "button" and r.meta["name"] == "Save" and r.meta["theme"] == "light"
    assert r.meta["dsf"] == 1.0 and r.meta["state"] == "default" and r.meta["el_tag"] == "button"


def test_an_exact_outline_is_the_mask_where_given():
    tri = ((100, 100), (200, 100), (150, 200))
    (r,) = screen_records(_screen(E("icon", "Play", (100, 100, 200, 200), polygon_xy_px=tri)), "a.png")
    assert len(r.region.polygons[0]) == 3


def test_write_capture_writes_readable_records_with_unique_expressions(tmp_path):
    screens = [_screen(E("button", "Save", (0, 0, 50, 20)), E("button", "Save", (60, 0, 110, 20)),
                       E("field", "Email", (0, 40, 200, 60))),
               _screen(E("heading", "Welcome", (0, 0, 200, 40)), source="web:other"),
               _screen(E("other", "pane", (0, 0, 10, 10)))]  # nothing nameable: left out
    summary = write_capture(screens, tmp_path / "cap")
    recs = list(read_records(tmp_path / "cap" / "records.jsonl"))
    assert (summary.screens, summary.records, summary.dropped_screens) == (2, 4, 1)
    assert summary.by_source == {"web:test": 3, "web:other": 1}
    assert all((tmp_path / "cap" / r.image_path).is_file() for r in recs)
    per_image = Counter((r.image_path, r.expressions[0].lower()) for r in recs)
    assert max(per_image.values()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cap"]  # no temporary folder left


def test_a_folder_that_holds_data_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "cap"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    with pytest.raises(CaptureError, match="already holds data"):
        write_capture([_screen(E("button", "Go", (0, 0, 50, 20)))], out)
    assert (out / "mine.txt").read_text() == "keep"
    write_capture([_screen(E("button", "Go", (0, 0, 50, 20)))], out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["capture.json", "images", "records.jsonl"]


def test_a_capture_failing_midway_leaves_nothing(tmp_path):
    def screens():
        yield _screen(E("button", "Go", (0, 0, 50, 20)))
        raise CaptureError("the page stopped answering")

    with pytest.raises(CaptureError, match="stopped answering"):
        write_capture(screens(), tmp_path / "cap")
    assert list(tmp_path.iterdir()) == []


def test_no_nameable_element_anywhere_is_an_error_and_writes_nothing(tmp_path):
    with pytest.raises(CaptureError, match="no element with a usable name"):
        write_capture([_screen()], tmp_path / "cap")
    assert list(tmp_path.iterdir()) == []
