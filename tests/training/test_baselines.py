"""The baselines of ``simpleseg eval``: reading the screen alone, and the model without snapping, on the same queries."""

import pytest
from PIL import Image, ImageDraw, ImageFont

from simpleseg_agent.capture import CapturedElement, CapturedScreen
from simpleseg_agent.capture.records import write_capture
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import SimpleSeg
from simpleseg_agent.screen.words import ScreenWord, tesseract_path
from simpleseg_agent.training.baselines import ocr_click, query_words
from simpleseg_agent.training.evaluate import evaluate


@pytest.mark.parametrize("query, expected", [
    ("the Save button", ["save"]),
    ("the first Remember me checkbox from the left", ["remember", "me"]),
    ("the checkbox", []),
])
def test_query_words(query, expected):
    assert query_words(query) == expected


def test_ocr_click_prefers_the_run_with_most_of_the_query():
    words = [ScreenWord((10, 10, 50, 20), "Save"), ScreenWord((100, 10, 140, 20), "Save"), ScreenWord((144, 10, 170, 20), "as")]
    assert ocr_click("the Save as button", words) == ((100.0, 10.0, 170.0, 20.0), 2)
    assert ocr_click("the Save button", words)[0] == (10.0, 10.0, 50.0, 20.0)
    assert ocr_click("the checkbox", words) is None and ocr_click("the Help link", words) is None


@pytest.fixture
def drawn_records(tmp_path):
    """A screen with two labelled buttons and one checkbox without words, as captured records."""
    img = Image.new("RGB", (400, 200), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=22)
    for (x0, y0, x1, y1), text in (((20, 20, 160, 70), "Submit"), ((220, 20, 360, 70), "Cancel")):
        d.rectangle((x0, y0, x1, y1), fill=(225, 225, 225), outline=(150, 150, 150))
        d.text((x0 + 30, y0 + 12), text, fill="black", font=font)
    d.rectangle((20, 120, 40, 140), outline=(90, 90, 90), width=2)
    els = (CapturedElement("button", "Submit", (20, 20, 161, 71)), CapturedElement("button", "Cancel", (220, 20, 361, 71)),
           CapturedElement("checkbox", "", (20, 120, 41, 141)))
    write_capture([CapturedScreen(img, els, source="web:drawn", toolkit="web")], tmp_path / "cap")
    return tmp_path / "cap" / "records.jsonl"


def test_eval_reports_both_baselines_by_source_and_element_type(drawn_records):
    if tesseract_path() is None:
        pytest.skip("tesseract is not installed")
    # a named fake model that always answers the Submit button's outline
    seg = SimpleSeg(FakeAnswerBackend(["[[[0.05, 0.1], [0.4, 0.1], [0.4, 0.35], [0.05, 0.35]]]"]), snap=False)
    report = evaluate(seg, drawn_records, progress=False, baselines=["ocr", "unsnapped"])
    assert report.breakdown["by_label"]["button"] == {"n": 2, "click_acc": 0.5, "box_iou": pytest.approx(0.5, abs=0.05),
                                                      "latency_s": pytest.approx(report.breakdown["by_label"]["button"]["latency_s"])}
    assert set(report.breakdown["by_source"]) == {"web:drawn"}
    ocr = report.baselines["ocr"]
    # the reader finds both buttons' words and cannot find a checkbox without words
    assert ocr["by_label"]["button"]["click_acc"] == 1.0 and ocr["by_label"]["checkbox"]["click_acc"] == 0.0
    assert ocr["latency_s"] > 0
    assert report.baselines["unsnapped"]["click_acc"] == pytest.approx(report.click_acc, abs=1e-4)  # already unsnapped
    assert "ocr: click=0.6667" in report.table()


def test_unknown_baselines_are_refused(drawn_records):
    from simpleseg_agent.errors import SimpleSegError

    seg = SimpleSeg(FakeAnswerBackend(["[[[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]]]"]))
    with pytest.raises(SimpleSegError, match="unknown baseline"):
        evaluate(seg, drawn_records, progress=False, baselines=["magic"])
