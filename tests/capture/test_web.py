"""Web capture end to end in a real headless Chromium: boxes, roles, names, visibility, scale, themes, states."""

import pytest

from simpleseg_agent.capture.web import WebCaptureConfig, WebCapturer, capture_web, page_urls
from simpleseg_agent.errors import CaptureError

from .web_page import KNOWN, require_chromium

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def screens(known_page):
    require_chromium()
    cfg = WebCaptureConfig(viewports_wh=((1280, 800),), themes=("light", "dark"), states=(("menu", "click:#menu-btn"),))
    return capture_web(known_page, cfg)


def _find(screen, role, name):
    return [e for e in screen.elements if e.role == role and e.name == name]


@pytest.mark.slow
def test_every_known_element_is_captured_within_one_pixel_with_its_role_and_name(screens):
    screen = screens[0]
    assert (screen.state, screen.theme, screen.resolution_wh) == ("default", "light", (1280, 800))
    for role, name, box in KNOWN:
        found = _find(screen, role, name)
        assert found, f"{role} {name!r} not captured: {[(e.role, e.name) for e in screen.elements]}"
        assert any(max(abs(a - b) for a, b in zip(e.xyxy_px, box)) <= 1 for e in found), (role, name, box, found)


def test_boxes_are_the_engines_own_geometry(known_page):
    require_chromium()
    with WebCapturer(WebCaptureConfig(viewports_wh=((1000, 700),))) as c:
        screen = c.capture(known_page.as_uri(), viewport_wh=(1000, 700))
        for e in screen.elements:
            js = (f"(() => {{ const r = document.elementFromPoint({(e.xyxy_px[0] + e.xyxy_px[2]) / 2}, "
                  f"{(e.xyxy_px[1] + e.xyxy_px[3]) / 2}).closest('h1,input,button,a,select,img,label,[role]')"
                  ".getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })()")
            rect = c.browser.call("Runtime.evaluate", {"expression": js, "returnByValue": True})["result"]["value"]
            assert max(abs(a - b) for a, b in zip(e.xyxy_px, rect)) <= 1, (e, rect)
    assert len(screen.elements) >= len(KNOWN)


def test_hidden_covered_and_offscreen_elements_are_left_out(screens):
    names = {e.name for e in screens[0].elements}
    assert not names & {"Below the fold", "Covered", "Hidden", "Open", "Close"}
    assert "Menu" in names


def test_a_label_is_captured_as_a_label_and_names_its_control(screens):
    labels = {e.name: e for e in screens[0].elements if e.role == "label"}
    assert labels["Email"].xyxy_px[:2] == pytest.approx((20, 64), abs=1)
    assert _find(screens[0], "checkbox", "Remember me")  # named by its <label for=...>


def test_dark_theme_is_the_pages_own_colour_scheme(screens):
    light, dark = screens[0], screens[1]
    assert dark.theme == "dark" and dark.meta["theme_differs"] is True
    assert light.image.getpixel((1000, 700)) == (255, 255, 255) and dark.image.getpixel((1000, 700)) == (0, 0, 0)


def test_a_scripted_click_state_shows_the_menu(screens):
    menu = [s for s in screens if s.state == "menu"]
    assert [s.theme for s in menu] == ["light", "dark"]
    items = {e.name: e.xyxy_px for e in menu[0].elements if e.role == "menuitem"}
    assert set(items) == {"Open", "Close"}
    assert items["Open"][1] == pytest.approx(60, abs=1) and items["Close"][1] == pytest.approx(84, abs=1)


def test_device_scale_factor_scales_boxes_and_image(known_page):
    require_chromium()
    (screen,) = capture_web(known_page, WebCaptureConfig(viewports_wh=((640, 400),), device_scale_factor=2.0))
    assert screen.resolution_wh == (1280, 800) and screen.device_scale_factor == 2.0
    (save,) = [e for e in screen.elements if e.name == "Save" and e.xyxy_px[0] < 50]
    assert save.xyxy_px == pytest.approx((40, 280, 200, 340), abs=1)


def test_a_javascript_state_that_throws_names_the_state(known_page):
    require_chromium()
    cfg = WebCaptureConfig(viewports_wh=((640, 400),), states=(("broken", "no_such_function()"),), include_default=False)
    with pytest.raises(CaptureError, match="state 'broken': its script failed"):
        capture_web(known_page, cfg)


def test_a_click_on_a_missing_selector_names_it(known_page):
    require_chromium()
    cfg = WebCaptureConfig(viewports_wh=((640, 400),), states=(("x", "click:#nope"),), include_default=False)
    with pytest.raises(CaptureError, match="no element matches '#nope'"):
        capture_web(known_page, cfg)


def test_an_unreachable_url_is_a_capture_error():
    require_chromium()
    with pytest.raises(CaptureError, match="cannot load http://127.0.0.1:1/"):
        capture_web("http://127.0.0.1:1/", WebCaptureConfig(viewports_wh=((640, 400),)))


@pytest.mark.parametrize("target, message", [
    ("/no/such/page.html", "no such page or folder"),
    ("ftp://example.org/x", "cannot capture a ftp:// URL"),
])
def test_bad_targets_say_what_was_expected(target, message):
    with pytest.raises(CaptureError, match=message):
        page_urls(target)


def test_a_folder_of_html_is_every_page(tmp_path):
    (tmp_path / "b.html").write_text("<p>b</p>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.htm").write_text("<p>a</p>")
    (tmp_path / "notes.txt").write_text("x")
    assert [u.rsplit("/", 1)[1] for u in page_urls(tmp_path)] == ["b.html", "a.htm"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(CaptureError, match="no .html files"):
        page_urls(tmp_path / "empty")


@pytest.mark.parametrize("kwargs, message", [
    ({"viewports_wh": ((50, 50),)}, "viewports_wh"),
    ({"themes": ("sepia",)}, "themes"),
    ({"states": (("default", "1"),)}, "states"),
    ({"include_default": False}, "nothing to capture"),
    ({"device_scale_factor": 9}, "device_scale_factor"),
])
def test_bad_configs_are_refused(kwargs, message):
    with pytest.raises(CaptureError, match=message):
        WebCaptureConfig(**kwargs)


def test_every_screen_starts_from_a_fresh_page_storage(tmp_path):
    require_chromium()
    page = tmp_path / "remembers.html"
    page.write_text("<button>Go</button><script>if (localStorage.getItem('seen')) document.body.style.background = '#000';"
                    "localStorage.setItem('seen', '1');</script>")
    first, second = capture_web([page.as_uri(), page.as_uri()], WebCaptureConfig(viewports_wh=((320, 200),)))
    assert first.image.getpixel((300, 190)) == second.image.getpixel((300, 190)) == (255, 255, 255)
