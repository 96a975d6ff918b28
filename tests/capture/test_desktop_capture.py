"""Real GTK, Qt and Tk windows captured end to end on a private desktop; boxes checked against known layouts."""

from __future__ import annotations

import sys
import textwrap
import time

import numpy as np
import pytest

from simpleseg_agent.capture.desktop import DesktopSession, DesktopState, capture_desktop, capture_tk
from simpleseg_agent.capture.desktop.sources import DESKTOP_SOURCES
from simpleseg_agent.errors import CaptureError

pytestmark = pytest.mark.timeout(90)

# A Qt window whose widgets sit at fixed places (no layout, no window manager: move() is honoured).
WIN_XY = (140, 90)
QT_LAYOUT = {  # name -> (role, x, y, w, h) relative to the window
    "Save": ("button", 20, 220, 120, 32),
    "Email": ("field", 20, 40, 250, 28),
    "Name": ("field", 90, 150, 200, 28),  # unnamed; its label sits on its left
}
QT_CHECKBOX = (20, 100, 200, 24)  # Qt reports a check box's clickable part (box and text), inside this
QT_APP = """
import sys
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QLineEdit, QPushButton, QWidget
app = QApplication(sys.argv)
app.setApplicationName("fixed-layout")
w = QWidget(); w.setWindowTitle("Fixed layout"); w.move({wx}, {wy}); w.resize(420, 300)
b = QPushButton("Save", w); b.setGeometry(20, 220, 120, 32)
e = QLineEdit(w); e.setAccessibleName("Email"); e.setGeometry(20, 40, 250, 28)
c = QCheckBox("Remember me", w); c.setGeometry(20, 100, 200, 24)
l = QLabel("Name:", w); l.setGeometry(20, 154, 60, 20)
n = QLineEdit(w); n.setGeometry(90, 150, 200, 28)
w.show()
sys.exit(app.exec())
"""


def _expected(x, y, w, h):
    return (WIN_XY[0] + x, WIN_XY[1] + y, WIN_XY[0] + x + w, WIN_XY[1] + y + h)


def test_qt_window_boxes_match_its_layout_within_1px(tmp_path, no_strays):
    app = tmp_path / "fixed_layout.py"
    app.write_text(QT_APP.format(wx=WIN_XY[0], wy=WIN_XY[1]))
    t0 = time.monotonic()
    screen = capture_desktop([sys.executable, str(app)], toolkit="auto", wait_role="button", timeout_s=30)
    seconds = time.monotonic() - t0
    assert screen.toolkit == "qt" and screen.resolution_wh == (1280, 800)
    by_name = {e.name: e for e in screen.elements}
    for name, (role, *xywh) in QT_LAYOUT.items():
        assert name in by_name, f"{name!r} not captured; got {sorted(by_name)}"
        e = by_name[name]
        assert e.role == role
        assert np.abs(np.subtract(e.xyxy_px, _expected(*xywh))).max() <= 1, (name, e.xyxy_px, _expected(*xywh))
    check = by_name["Remember me"]
    outer = _expected(*QT_CHECKBOX)
    assert check.role == "checkbox" and abs(check.xyxy_px[0] - outer[0]) <= 1
    x0, y0, x1, y1 = check.xyxy_px
    assert outer[0] <= x0 < x1 <= outer[2] and outer[1] <= y0 < y1 <= outer[3]
    assert check.xyxy_px[2] - check.xyxy_px[0] > 80  # box and text, not the box alone
    assert by_name["Name"].meta["name_from"] == "nearby-label"
    assert by_name["Email"].meta["name_from"] == "accessible"
    # the screenshot shows the window where the tree says: the button differs from the window around it
    img = np.asarray(screen.image).astype(int)
    x0, y0, x1, y1 = (int(v) for v in by_name["Save"].xyxy_px)
    assert img[y0:y1, x0:x1].std() > 5
    assert seconds < 10


def test_zenity_question_buttons_are_found_by_name(no_strays):
    screen = capture_desktop(["zenity", "--question", "--text", "Delete the file?"], toolkit="gtk", timeout_s=30)
    buttons = {e.name: e for e in screen.elements if e.role == "button"}
    assert set(buttons) == {"Yes", "No"}
    no, yes = buttons["No"].xyxy_px, buttons["Yes"].xyxy_px
    assert no[2] <= yes[0] and abs(no[1] - yes[1]) <= 1  # side by side, No first
    assert [e.name for e in screen.elements if e.role == "label"] == ["Delete the file?"]
    img = np.asarray(screen.image).astype(int)
    assert img[int(yes[1]):int(yes[3]), int(yes[0]):int(yes[2])].std() > 5  # the button's text is drawn there
    assert screen.source == "zenity" and screen.state == "default"


def test_dark_theme_darkens_the_dialog(no_strays):
    shots = {}
    for theme in ("light", "dark"):
        s = capture_desktop(["zenity", "--info", "--text", "Done"], toolkit="gtk", theme=theme, timeout_s=30)
        ok = next(e for e in s.elements if e.role == "button")
        x0, y0, x1, y1 = (int(v) for v in ok.xyxy_px)
        shots[theme] = np.asarray(s.image.convert("L"))[y0 - 30:y0 - 5, x0:x1].mean()  # dialog body above the button
        assert s.theme == theme
    assert shots["dark"] < 100 < shots["light"], shots


@pytest.mark.slow
def test_gtk_scripted_state_switches_the_widget_factory_page(no_strays):
    src = next(s for s in DESKTOP_SOURCES if s.app == "gtk3-widget-factory" and s.screen == "page-2")
    screen = src.capture(theme="light", resolution_wh=(1280, 800), timeout_s=30)
    page1 = capture_desktop(["gtk3-widget-factory"], toolkit="gtk", timeout_s=30)
    assert screen.state == "page-2" and page1.state == "default"
    names2 = {e.name for e in screen.elements}
    names1 = {e.name for e in page1.elements}
    assert "checkbutton" in names1 and "checkbutton" not in names2
    # the widget factory is wider than the screen: every box lies on it
    for s in (screen, page1):
        assert all(0 <= e.xyxy_px[0] < e.xyxy_px[2] <= 1280 and 0 <= e.xyxy_px[1] < e.xyxy_px[3] <= 800
                   for e in s.elements)


def test_tk_script_boxes_match_its_place_geometry(tmp_path, no_strays):
    script = tmp_path / "tk_form.py"
    script.write_text(textwrap.dedent("""
        import tkinter as tk
        root = tk.Tk(); root.geometry("400x260+60+70")
        tk.Label(root, text="Email:").place(x=20, y=30, width=60, height=24)
        tk.Entry(root).place(x=90, y=30, width=200, height=24)
        tk.Checkbutton(root, text="Remember me").place(x=20, y=80, width=160, height=24)
        tk.Button(root, text="Sign in").place(x=20, y=200, width=100, height=30)
        root.mainloop()
    """))
    screen = capture_tk([str(script)], timeout_s=30)
    got = {(e.role, e.name): e.xyxy_px for e in screen.elements}
    expected = {("label", "Email:"): (80, 100, 140, 124), ("field", "Email"): (150, 100, 350, 124),
                ("checkbox", "Remember me"): (80, 150, 240, 174), ("button", "Sign in"): (80, 270, 180, 300)}
    assert set(got) == set(expected)
    for key, box in expected.items():
        assert np.abs(np.subtract(got[key], box)).max() <= 1, (key, got[key], box)
    assert screen.toolkit == "tk" and screen.source == "tk_form"


# -- bad input: a clear error within the timeout, and nothing left running ----------------------------------


def test_a_command_that_does_not_exist_is_a_clear_error(no_strays):
    t0 = time.monotonic()
    with pytest.raises(CaptureError, match="the app does not start: cannot run 'no-such-app-xyz'"):
        capture_desktop(["no-such-app-xyz", "--flag"], timeout_s=20)
    assert time.monotonic() - t0 < 10


def test_an_app_that_exits_at_once_is_a_clear_error(no_strays):
    t0 = time.monotonic()
    with pytest.raises(CaptureError, match=r"exited with status 3 before it showed a window.*'broken'"):
        capture_desktop(["sh", "-c", "echo broken >&2; exit 3"], timeout_s=20)
    assert time.monotonic() - t0 < 10


@pytest.mark.slow
def test_an_app_that_never_maps_a_window_times_out_and_is_stopped(no_strays):
    t0 = time.monotonic()
    with pytest.raises(CaptureError, match="never showed a window"):
        capture_desktop(["sleep", "120"], timeout_s=3)
    assert 3 <= time.monotonic() - t0 < 10


@pytest.mark.slow
def test_a_window_without_the_wanted_role_says_what_it_shows(no_strays):
    with pytest.raises(CaptureError, match=r"no element of role \[.*'slider'.*\(it shows: .*'push button'"):
        capture_desktop(["zenity", "--question"], wait_role="slider", timeout_s=3)


def test_no_accessibility_bus_is_a_clear_error(tmp_path, no_strays):
    # a session bus that knows no services: nothing can start the accessibility bus
    from simpleseg_agent.capture.desktop.atspi import _read_tree

    (tmp_path / "services").mkdir()
    config = tmp_path / "bus.conf"
    config.write_text(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir={tmp_path}</listen><servicedir>{tmp_path}/services</servicedir>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/>
</policy></busconfig>""")
    t0 = time.monotonic()
    with DesktopSession((640, 480), dbus_config=str(config)) as session:
        app = session.launch(["zenity", "--question"])
        with pytest.raises(CaptureError, match=r"no accessibility bus: .*org\.a11y\.Bus"):
            _read_tree(session, app, ["zenity"], ["push button"], time.monotonic() + 10)
    assert time.monotonic() - t0 < 10


def test_a_tk_script_that_fails_is_a_clear_error(tmp_path, no_strays):
    script = tmp_path / "fails.py"
    script.write_text("raise SystemExit('cannot open the database')\n")
    with pytest.raises(CaptureError, match="exited with status 1 before it showed a window.*cannot open the database"):
        capture_tk([str(script)], timeout_s=10)
    with pytest.raises(CaptureError, match="no such script"):
        capture_tk([str(tmp_path / "missing.py")])


@pytest.mark.parametrize("kwargs, message", [
    ({"wait_role": "banana"}, "wait_role must be one of"),
    ({"theme": "sepia"}, "theme must be one of"),
    ({"toolkit": "motif"}, "toolkit must be one of"),
    ({"timeout_s": 0}, "timeout_s must be positive"),
    ({"state": DesktopState("x", wait_role="nope")}, "wait_role must be one of"),
])
def test_bad_arguments_are_refused_before_anything_starts(kwargs, message):
    with pytest.raises(CaptureError, match=message):
        capture_desktop(["zenity", "--question"], **kwargs)


def test_a_session_stops_every_process_it_started(no_strays):
    with DesktopSession((640, 480)) as session:
        session.launch(["sh", "-c", "sleep 100 & sleep 100"])
        time.sleep(0.3)
        pids = session.pids()
        assert len(pids) >= 4  # Xvfb, dbus-daemon, sh, two sleeps
    from simpleseg_agent.capture.desktop.session import alive

    assert not any(alive(p) for p in pids)


OVERLAP_APP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
app = QApplication(sys.argv)
a = QWidget(); a.setWindowTitle("Below"); a.move(100, 100); a.resize(500, 300)
QPushButton("Covered", a).setGeometry(20, 20, 100, 30)
QPushButton("Uncovered", a).setGeometry(350, 240, 120, 30)
a.show()
def later():
    b = QWidget(); b.setWindowTitle("Above"); b.move(100, 100); b.resize(250, 150)
    QPushButton("On top", b).setGeometry(20, 100, 100, 30)
    b.show(); app.b = b
QTimer.singleShot(300, later)
sys.exit(app.exec())
"""


@pytest.mark.slow
def test_elements_under_a_window_above_them_are_dropped(tmp_path, no_strays):
    app = tmp_path / "overlap.py"
    app.write_text(OVERLAP_APP)
    state = DesktopState("both-open", steps=(("sleep", "0.8"),), wait_role="button")
    screen = capture_desktop([sys.executable, str(app)], timeout_s=30, state=state)
    names = {e.name for e in screen.elements if e.role == "button"}
    assert names == {"Uncovered", "On top"}, names


@pytest.mark.parametrize("app", sorted({s.app for s in DESKTOP_SOURCES}))
def test_every_benchmark_app_captures_its_first_screen(app, no_strays):
    src = next(s for s in DESKTOP_SOURCES if s.app == app)
    screen = src.capture(theme="light", resolution_wh=(1280, 800), timeout_s=30)
    assert screen.source == app and screen.toolkit == src.toolkit and screen.state == src.screen
    named = [e for e in screen.elements if e.name]
    assert len(named) >= 3, screen.elements
    for e in screen.elements:
        x0, y0, x1, y1 = e.xyxy_px
        assert 0 <= x0 < x1 <= 1280 and 0 <= y0 < y1 <= 800


def test_a_launcher_that_starts_the_app_and_exits_is_followed(no_strays):
    screen = capture_desktop(["sh", "-c", "zenity --question --text Launched & exit 0"], toolkit="gtk", timeout_s=30)
    assert {e.name for e in screen.elements if e.role == "button"} == {"Yes", "No"}
    assert screen.source == "zenity"


def test_an_app_that_exits_cleanly_without_a_window_is_reported_at_once(no_strays):
    t0 = time.monotonic()
    with pytest.raises(CaptureError, match="exited with status 0 before it showed a window"):
        capture_desktop(["true"], timeout_s=20)
    assert time.monotonic() - t0 < 10


MENU_APP = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow, QPushButton, QTabWidget, QWidget
app = QApplication(sys.argv)
w = QMainWindow(); w.move(50, 50); w.resize(500, 350)
m = w.menuBar().addMenu("&File"); m.addAction("New"); m.addAction("Open..."); m.addAction("Quit")
tabs = QTabWidget(); t1 = QWidget(); QPushButton("Under", t1).setGeometry(10, 10, 100, 30)
t2 = QWidget(); QPushButton("Second", t2).setGeometry(10, 10, 100, 30)
tabs.addTab(t1, "General"); tabs.addTab(t2, "Advanced"); w.setCentralWidget(tabs)
w.show(); sys.exit(app.exec())
"""


@pytest.mark.slow
def test_scripted_states_open_a_menu_and_switch_a_tab(tmp_path, no_strays):
    app = tmp_path / "menu_app.py"
    app.write_text(MENU_APP)
    menu = capture_desktop([sys.executable, str(app)], timeout_s=30,
                           state=DesktopState("menu-open", (("@click", "menuitem", "File"),), wait_role="menuitem"))
    got = {e.name for e in menu.elements}
    assert {"New", "Open...", "Quit"} <= got and "Under" not in got  # the open menu covers the button
    assert menu.state == "menu-open"
    tab = capture_desktop([sys.executable, str(app)], timeout_s=30,
                          state=DesktopState("advanced", (("@click", "tab", "Advanced"),)))
    buttons = {e.name for e in tab.elements if e.role == "button"}
    assert buttons == {"Second"}


def test_gtk_extents_agree_with_the_x_servers_window_geometry(no_strays):
    # independent of AT-SPI: the X server's own geometry of the dialog's window, read with xwininfo
    import subprocess

    from simpleseg_agent.capture.desktop.atspi import _read_tree

    with DesktopSession((1280, 800)) as session:
        app = session.launch(["zenity", "--question", "--title", "Geometry probe", "--text", "Sure?"])
        nodes = _read_tree(session, app, ["zenity"], ["push button"], time.monotonic() + 30).nodes
        info = subprocess.run(["xwininfo", "-name", "Geometry probe"], env=session.env(), capture_output=True,
                              text=True, timeout=10).stdout
    x = int(info.split("Absolute upper-left X:")[1].split()[0])
    y = int(info.split("Absolute upper-left Y:")[1].split()[0])
    w = int(info.split("Width:")[1].split()[0])
    h = int(info.split("Height:")[1].split()[0])
    dialog = next(n for n in nodes if n["parent"] < 0)
    assert dialog["role"] == "dialog" and np.abs(np.subtract(dialog["xywh"], (x, y, w, h))).max() <= 1
    for n in nodes:
        if n["role"] == "push button":
            bx, by, bw, bh = n["xywh"]
            assert x <= bx and y <= by and bx + bw <= x + w and by + bh <= y + h


def test_tk_menu_bar_entries_are_captured_in_order_above_the_window(tmp_path, no_strays):
    script = tmp_path / "tk_menus.py"
    script.write_text(textwrap.dedent("""
        import tkinter as tk
        root = tk.Tk(); root.geometry("400x200+0+0")
        bar = tk.Menu(root)
        for label in ("File", "Edit", "Preferences"):
            bar.add_cascade(label=label, menu=tk.Menu(bar, tearoff=0))
        root.config(menu=bar)
        tk.Button(root, text="OK").place(x=10, y=10, width=80, height=30)
        root.mainloop()
    """))
    screen = capture_tk([str(script)], wait_role="menuitem", timeout_s=30)
    items = [e for e in screen.elements if e.role == "menuitem"]
    assert [e.name for e in items] == ["File", "Edit", "Preferences"]
    ok = next(e for e in screen.elements if e.name == "OK")
    for a, b in zip(items, items[1:], strict=False):
        assert a.xyxy_px[2] == b.xyxy_px[0]  # side by side
    assert all(e.xyxy_px[3] <= ok.xyxy_px[1] for e in items)  # the bar lies above the window's widgets
    # each entry's box holds its drawn text: darker pixels inside, bar colour at its edges
    img = np.asarray(screen.image.convert("L")).astype(int)
    for e in items:
        x0, y0, x1, y1 = (int(v) for v in e.xyxy_px)
        assert img[y0:y1, x0:x1].min() < 100
        assert img[y0 + 2:y1 - 2, x0 + 1].min() > 150 and img[y0 + 2:y1 - 2, x1 - 2].min() > 150  # no text cut


GRID_APP = """
import sys
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
app = QApplication(sys.argv)
w = QWidget(); w.move(0, 0); w.resize(1260, 780)
for i in range(30 * 24):
    QPushButton(f"B{i}", w).setGeometry(2 + (i % 30) * 41, 2 + (i // 30) * 32, 40, 30)
w.show()
sys.exit(app.exec())
"""


def test_a_big_tree_is_read_whole(tmp_path, no_strays):
    # 720 buttons: the reader's answer is far larger than a pipe's buffer
    app = tmp_path / "grid.py"
    app.write_text(GRID_APP)
    screen = capture_desktop([sys.executable, str(app)], timeout_s=60)
    names = {e.name for e in screen.elements if e.role == "button"}
    assert names == {f"B{i}" for i in range(720)}
    b = next(e for e in screen.elements if e.name == "B31")
    assert np.abs(np.subtract(b.xyxy_px, (43, 34, 83, 64))).max() <= 1
