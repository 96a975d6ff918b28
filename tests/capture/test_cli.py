"""``simpleseg data capture``: a real page to records from the command line; bad input exits 2 with one line."""

import sys

import pytest
from PIL import Image

from simpleseg_agent.cli import main
from simpleseg_agent.training.records import read_records

from .web_page import require_chromium

pytestmark = pytest.mark.timeout(180)


@pytest.mark.slow
def test_capture_web_writes_records_training_reads(known_page, tmp_path, capsys):
    require_chromium()
    out = tmp_path / "cap"
    rc = main(["data", "capture", "web", str(known_page), "--out", str(out), "--viewport", "1280x800",
               "--viewport", "1920x1080", "--theme", "light,dark", "--state", "menu=click:text=Menu"])
    assert rc == 0, capsys.readouterr().err
    recs = list(read_records(out / "records.jsonl"))
    images = {r.image_path for r in recs}
    assert len(images) == 8  # 2 viewports x 2 themes x (as loaded + menu)
    assert all((out / p).is_file() for p in images)
    assert {r.meta["viewport_wh"][0] for r in recs} == {1280, 1920} and {r.meta["theme"] for r in recs} == {"light", "dark"}
    for image in images:
        texts = [r.expressions[0].lower() for r in recs if r.image_path == image]
        assert len(texts) == len(set(texts))
    default = {r.expressions[0] for r in recs if r.image_path == "images/000000.png"}
    assert {"the Email field", "the Remember me checkbox", "the Settings tab", "the Documentation link",
            "the first Save button from the left", "the second Save button from the left"} <= default
    menu = {r.expressions[0] for r in recs if r.meta["state"] == "menu"}
    assert {"the Open menu item", "the Close menu item"} <= menu
    # the Save button's region is its CSS box
    (save,) = [r for r in recs if r.image_path == "images/000000.png" and r.expressions[0].startswith("the first Save")]
    assert (save.region.xyxy * [1280, 800, 1280, 800]).tolist() == pytest.approx([20, 140, 100, 170], abs=1)
    assert "8 screens" in capsys.readouterr().out


def _one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("simpleseg data: error: "), err
    return err


def test_unreachable_url_exits_2_and_writes_nothing(tmp_path, capsys):
    require_chromium()
    assert main(["data", "capture", "web", "http://127.0.0.1:1/", "--out", str(tmp_path / "cap")]) == 2
    assert "cannot load http://127.0.0.1:1/" in _one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_page_without_elements_exits_2_and_writes_nothing(tmp_path, capsys):
    require_chromium()
    page = tmp_path / "empty.html"
    page.write_text("<div style='width:100px;height:100px;background:red'></div>")
    assert main(["data", "capture", "web", str(page), "--out", str(tmp_path / "cap")]) == 2
    assert "no element with a usable name" in _one_line_error(capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["empty.html"]


def test_an_output_folder_with_data_exits_2_and_is_kept(known_page, tmp_path, capsys):
    out = tmp_path / "cap"
    out.mkdir()
    (out / "records.jsonl").write_text("mine\n")
    assert main(["data", "capture", "web", str(known_page), "--out", str(out)]) == 2
    assert "already holds data" in _one_line_error(capsys)
    assert (out / "records.jsonl").read_text() == "mine\n"


@pytest.mark.parametrize("args, message", [
    (["--viewport", "big"], "expected WIDTHxHEIGHT"),
    (["--state", "nameonly"], "expected NAME=JAVASCRIPT"),
])
def test_bad_options_are_usage_errors(known_page, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        main(["data", "capture", "web", str(known_page), "--out", str(tmp_path / "c"), *args])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_desktop_capture_says_when_its_engine_is_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "simpleseg_agent.capture.desktop", None)  # as in an installation without it
    assert main(["data", "capture", "desktop", "--out", str(tmp_path / "cap"), "--", "zenity", "--question"]) == 2
    assert "desktop capture is not available" in _one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_desktop_capture_runs_the_engine_per_resolution_and_theme(tmp_path, capsys, monkeypatch):
    """The command's wiring, with a fake engine (named so) standing in for the AT-SPI one."""
    from simpleseg_agent.capture import CapturedElement, CapturedScreen
    from simpleseg_agent.capture import cli as capture_cli

    calls = []

    def fake_capture_desktop(command, *, toolkit, resolution_wh, theme, wait_role, timeout_s, source):
        calls.append((tuple(command), toolkit, resolution_wh, theme, wait_role))
        return CapturedScreen(Image.new("RGB", resolution_wh), (CapturedElement("button", "Yes", (10, 10, 60, 30)),),
                              source="zenity", toolkit="gtk", theme=theme)

    monkeypatch.setattr(capture_cli, "_desktop_engine", lambda: (fake_capture_desktop, None))
    out = tmp_path / "cap"
    rc = main(["data", "capture", "desktop", "--out", str(out), "--theme", "light,dark", "--resolution", "1920x1080",
               "--toolkit", "gtk", "--", "zenity", "--question"])
    assert rc == 0, capsys.readouterr().err
    assert calls == [(("zenity", "--question"), "gtk", (1920, 1080), t, "button") for t in ("light", "dark")]
    recs = list(read_records(out / "records.jsonl"))
    assert [(r.expressions[0], r.meta["theme"], r.source) for r in recs] == [
        ("the Yes button", "light", "zenity"), ("the Yes button", "dark", "zenity")]


def test_desktop_capture_without_an_app_exits_2(tmp_path, capsys):
    assert main(["data", "capture", "desktop", "--out", str(tmp_path / "cap")]) == 2
    assert "no app to capture" in _one_line_error(capsys)


@pytest.mark.timeout(120)
def test_desktop_capture_of_a_real_gtk_dialog(desktop, no_strays, tmp_path, capsys):
    out = tmp_path / "cap"
    rc = main(["data", "capture", "desktop", "--out", str(out), "--theme", "light,dark", "--toolkit", "gtk", "--",
               "zenity", "--question", "--text", "Delete the selected file?"])
    assert rc == 0, capsys.readouterr().err
    recs = list(read_records(out / "records.jsonl"))
    for theme in ("light", "dark"):
        texts = {r.expressions[0]: r for r in recs if r.meta["theme"] == theme}
        assert {"the Yes button", "the No button"} <= set(texts)
        yes, no = texts["the Yes button"].region.xyxy, texts["the No button"].region.xyxy
        assert no[2] <= yes[0] + 1e-3  # No stands left of Yes, as GTK lays the dialog out
    assert {r.source for r in recs} == {"zenity"} and {r.meta["toolkit"] for r in recs} == {"gtk"}
