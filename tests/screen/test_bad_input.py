"""Bad input through the tools with the shipped model: a blank screenshot, a query naming nothing on the
screen, a screen with thousands of words. The answer is a typed ``not_found`` result with the reason,
never a click on something else, in bounded time."""

import time

import pytest
from PIL import Image

from .screens import login_form, wall_of_text


@pytest.fixture(scope="module")
def seg(shipped_seg):
    assert shipped_seg.decoding.ground
    return shipped_seg


def _not_found(r, word: str) -> None:
    assert not r.ok and r.error is not None and r.error.kind == "not_found", r
    assert repr(word) in r.error.message and "no words on the screen" in r.error.message


@pytest.mark.timeout(120)
@pytest.mark.parametrize("tool", ["segment", "locate_point", "locate_box"])
def test_a_blank_screenshot_and_a_named_button_is_not_found(seg, tool):
    r = getattr(seg, tool)(Image.new("RGB", (1280, 800), "white"), "the OK button")
    _not_found(r, "OK")


@pytest.mark.timeout(120)
def test_a_blank_screenshot_raises_when_asked(seg):
    from simpleseg_agent.errors import SimpleSegError

    with pytest.raises(SimpleSegError, match="OK"):
        seg.locate_point(Image.new("RGB", (640, 400), "#202020"), "the OK button", raise_on_error=True)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("query", ["the Email field", "the icon"])
def test_a_blank_screenshot_and_a_wordless_role_is_not_found(seg, query):
    r = seg.locate_point(Image.new("RGB", (1280, 800), "white"), query)
    assert not r.ok and r.error.kind == "not_found"


@pytest.fixture(scope="module")
def form():
    return login_form()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("query", ["the Help button", "the Next tab", "the second Log in button"])
def test_a_query_naming_nothing_on_a_real_screen_is_not_found(seg, form, query):
    img, _ = form
    r = seg.locate_point(img, query)
    assert not r.ok and r.error is not None and r.error.kind == "not_found", r
    assert r.xy_px is None


@pytest.mark.timeout(120)
def test_a_name_spelled_in_part_by_other_words_is_not_found(seg, form):
    img, _ = form
    r = seg.locate_point(img, "the Sign up link")
    assert not r.ok and r.error.kind == "not_found"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("query", ['click "Help"', "click Help"])
def test_a_bare_name_naming_nothing_is_not_found(seg, form, query):
    img, _ = form
    r = seg.locate_point(img, query)
    assert not r.ok and r.error.kind == "not_found"


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("query", "key", "stage"), [("the Log in button", "login", "words"),
                                                     ("the Remember me checkbox", "remember_mark", "label"),
                                                     ("the Password field", "password", "label")])
def test_named_elements_on_a_real_screen_are_found_and_say_how(seg, form, query, key, stage):
    img, boxes = form
    r = seg.locate_box(img, query)
    assert r.ok and r.stage == stage and r.words_matched and r.candidates >= 1
    x, y = r.click.xy_px
    b = boxes[key]
    assert b[0] <= x <= b[2] and b[1] <= y <= b[3]


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_screen_of_thousands_of_words_in_bounded_time(seg, capsys):
    img, box, n = wall_of_text(3000)
    assert n == 3000
    seg.clear_screen_cache()
    t0 = time.perf_counter()
    r = seg.locate_point(img, 'click "Xylophone"')
    spent = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\n3,000 words on {img.size[0]}x{img.size[1]}: {spent:.1f} s ({r.stage}, engine reads and element boxes)")
    assert spent < 60.0
    assert r.ok and r.stage == "words" and r.words_matched == "Xylophone"
    assert box[0] <= r.xy_px[0] <= box[2] and box[1] <= r.xy_px[1] <= box[3]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_name_absent_from_thousands_of_words_in_bounded_time(seg, capsys):
    img, _, _ = wall_of_text(3000)
    seg.clear_screen_cache()
    t0 = time.perf_counter()
    r = seg.locate_point(img, "the Zebra button")
    spent = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\nabsent name, 3,000 words on {img.size[0]}x{img.size[1]}: {spent:.1f} s")
    assert not r.ok and r.error.kind == "not_found"
    assert spent < 60.0
