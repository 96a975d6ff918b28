"""How the AT-SPI reader's nodes become elements: visibility, clipping, windows above, names from labels."""

from __future__ import annotations

from simpleseg_agent.capture.desktop import elements_from_nodes


def node(parent, role, name, xywh, *, showing=True, visible=True, depth=None, **extra):
    return {"parent": parent, "depth": depth if depth is not None else (0 if parent < 0 else 1), "role": role,
            "name": name, "xywh": list(xywh), "showing": showing, "visible": visible, "states": [], **extra}


def names(elements):
    return sorted(e.name for e in elements)


def test_hidden_and_container_nodes_are_left_out():
    nodes = [node(-1, "frame", "Main", (0, 0, 400, 300)),
             node(0, "push button", "OK", (10, 10, 80, 30)),
             node(0, "push button", "Inspector", (10, 50, 80, 30), showing=False),
             node(0, "push button", "Ghost", (10, 90, 80, 30), visible=False),
             node(0, "filler", "", (0, 0, 400, 300)),
             node(0, "push button", "Flat", (10, 130, 80, 0))]
    out = elements_from_nodes(nodes, (800, 600))
    got = [(e.role, e.name, e.xyxy_px, e.engine_role) for e in out]
    assert got == [("button", "OK", (10, 10, 90, 40), "push button")]


def test_boxes_are_clipped_to_their_window_viewport_and_screen():
    nodes = [node(-1, "frame", "Wide", (0, 0, 1366, 300)),
             node(0, "push button", "Close", (1322, 4, 40, 30)),            # off the 1280 px screen
             node(0, "push button", "Edge", (1250, 40, 40, 30)),            # 30 of 40 px on screen: kept, clipped
             node(0, "viewport", "", (0, 100, 300, 100)),
             node(3, "push button", "Scrolled away", (10, 230, 80, 30), depth=2),
             node(3, "push button", "Half", (10, 190, 80, 30), depth=2)]    # 10 of 30 px inside the viewport
    out = {e.name: e for e in elements_from_nodes(nodes, (1280, 800))}
    assert set(out) == {"Edge"}
    assert out["Edge"].xyxy_px == (1250, 40, 1280, 70)
    assert out["Edge"].meta["clipped_from_xyxy_px"] == (1250, 40, 1290, 70)


def test_a_window_above_hides_what_it_covers_and_the_stacking_order_decides():
    nodes = [node(-1, "frame", "Main", (0, 0, 600, 400)),
             node(0, "push button", "Under", (50, 50, 80, 30)),
             node(0, "push button", "Beside", (450, 300, 80, 30)),
             node(-1, "dialog", "Dialog", (20, 20, 300, 200)),
             node(3, "push button", "Dialog OK", (200, 170, 80, 30))]
    # X lists the dialog above the main window: "Under" is hidden
    above = elements_from_nodes(nodes, (800, 600), stacking_xywh=[(0, 0, 600, 400), (20, 20, 300, 200)])
    assert names(above) == ["Beside", "Dialog OK"]
    # the other way round, the dialog's button is the one hidden
    below = elements_from_nodes(nodes, (800, 600), stacking_xywh=[(20, 20, 300, 200), (0, 0, 600, 400)])
    assert names(below) == ["Beside", "Under"]


def test_an_open_menu_hides_the_window_under_it_but_not_its_own_items():
    nodes = [node(-1, "frame", "Editor", (0, 0, 600, 400)),
             node(0, "menu bar", "", (0, 0, 600, 24)),
             node(1, "menu", "File", (0, 0, 40, 24), depth=2),
             node(2, "menu item", "Open", (0, 24, 120, 24), depth=3),
             node(2, "menu item", "Save", (0, 48, 120, 24), depth=3),
             node(0, "push button", "Under the menu", (10, 30, 60, 30)),
             node(0, "push button", "Elsewhere", (300, 300, 60, 30))]
    out = elements_from_nodes(nodes, (800, 600))
    assert names(out) == ["Elsewhere", "Open", "Save"]


def test_unnamed_fields_take_their_labels_name():
    nodes = [node(-1, "dialog", "Form", (0, 0, 500, 300)),
             node(0, "label", "_Email:", (10, 14, 60, 20)),
             node(0, "text", "", (80, 10, 200, 28)),                          # label on its left
             node(0, "label", "Comment", (80, 60, 80, 18)),
             node(0, "text", "", (80, 80, 300, 120)),                         # label right above it
             node(0, "text", "", (300, 10, 100, 28), labelled_by="Search"),   # the tree links its label
             node(0, "text", "", (80, 250, 200, 28)),                         # nothing close
             node(0, "label", "Far away", (420, 250, 60, 20))]
    out = [e for e in elements_from_nodes(nodes, (800, 600)) if e.role == "field"]
    assert [(e.name, e.meta["name_from"]) for e in out] == [
        ("Email", "nearby-label"), ("Comment", "nearby-label"), ("Search", "labelled-by"), ("", "")]


def test_a_tall_text_area_does_not_take_a_label_beside_its_middle():
    nodes = [node(-1, "frame", "F", (0, 0, 900, 600)),
             node(0, "label", "Ridge", (885 - 800, 442, 44, 17)),
             node(0, "text", "", (282, 329, 198, 233))]
    out = [e for e in elements_from_nodes(nodes, (900, 600)) if e.role == "field"]
    assert out[0].name == ""


def test_a_qt_popup_menu_hides_what_it_covers():
    # as Qt 6 reports an open menu: a "popup menu" under the bar's item, its extents those of the popup
    nodes = [node(-1, "frame", "app", (50, 50, 500, 350)),
             node(0, "menu bar", "", (50, 50, 500, 21)),
             node(1, "menu item", "File", (56, 50, 30, 21), depth=2),
             node(2, "popup menu", "app", (56, 71, 120, 69), depth=3),
             node(3, "menu item", "New", (56, 71, 120, 23), depth=4),
             node(0, "push button", "Under", (62, 108, 100, 30)),
             node(0, "page tab", "General", (50, 71, 76, 27)),   # 6 of 76 px wide left of the menu: hidden
             node(0, "page tab", "Advanced", (150, 71, 100, 27))]  # 26 of 100 px under the menu: seen
    out = {e.name: e for e in elements_from_nodes(nodes, (800, 600))}
    assert sorted(out) == ["Advanced", "File", "New"]
    assert out["Advanced"].meta["covered_fraction"] == 0.26


def test_an_element_mostly_under_an_open_popup_is_dropped_a_partly_covered_one_kept():
    # zenity --forms with its combo box open: the popup hides most of OK and Cancel (as captured here)
    nodes = [node(-1, "dialog", "New contact", (499, 259, 281, 281)),
             node(0, "menu", "", (598, 456, 168, 34)),
             node(1, "menu item", "Family", (598, 461, 168, 29), depth=2),
             node(1, "menu item", "Work", (598, 519, 168, 29), depth=2),
             node(0, "push button", "Cancel", (597, 499, 86, 34)),
             node(0, "push button", "OK", (687, 499, 86, 34)),
             node(0, "label", "Group", (519, 456, 39, 34)),
             node(0, "push button", "Half", (558, 520, 78, 20))]   # 38 of 78 px wide under the popup
    out = {e.name: e for e in elements_from_nodes(nodes, (1280, 800))}
    assert set(out) == {"Family", "Work", "Group", "Half"}
    assert out["Half"].meta["covered_fraction"] == round(38 / 78, 3) and "covered_fraction" not in out["Group"].meta


# -- scripted states as a command line gives them ----------------------------------------------------------
import pytest  # noqa: E402

from simpleseg_agent.capture.desktop import DesktopState  # noqa: E402
from simpleseg_agent.errors import CaptureError  # noqa: E402


def test_a_state_is_parsed_into_click_and_xdotool_steps():
    state = DesktopState.parse("menu=@click menuitem File; key Down; mousemove 40 12 click 1")
    assert state.name == "menu"
    assert state.steps == (("@click", "menuitem", "File"), ("key", "Down"), ("mousemove", "40", "12", "click", "1"))


@pytest.mark.parametrize("text", ["menu", "=key F10", "menu=", "menu= ; ", "m=@click button"])
def test_bad_states_are_refused(text):
    with pytest.raises(CaptureError):
        DesktopState.parse(text)
