"""Benchmark of real-UI capture: how long one captured screen takes, against a plain screenshot.

Run from the repository root::

    python tools/bench_capture.py            # 5 timed captures of a 1280x800 page
    python tools/bench_capture.py --quick    # 2

What is measured
----------------
A page the script writes (a 1280x800 settings screen: a tab bar, a form of labelled fields,
checkboxes, radios and a select, a table of links, a row of buttons; about 100 elements, a dialog
overlapping part of it) is captured with :class:`simpleseg_agent.capture.WebCapturer`:

* ``launch_s``: starting headless Chromium and attaching to its page (once per capture run);
* ``capture_s``: one screen with a running browser: load, accessibility tree, boxes, hit tests,
  screenshot (median of the timed runs; one warm-up run first);
* ``cold_s``: launch + one capture + stop, what ``simpleseg data capture web URL`` costs for one page;
* baseline ``screenshot_s``: the same load + screenshot without reading any element, in the same run;
  ``ratio`` = capture_s / screenshot_s is the price of the labels.

Target: ``capture_s`` <= 2 s for a 1280x800 page (``target_2s`` in the JSON last line). A desktop
window (a zenity dialog, from launch to screenshot; target <= 3 s) is timed when the desktop engine and
zenity are installed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simpleseg_agent.capture.web import WebCaptureConfig, WebCapturer, chromium_path  # noqa: E402


def bench_page() -> str:
    """A settings page with about 100 elements (absolute and flow layout, a dialog on top of part of it)."""
    tabs = "".join(f'<button role="tab" aria-selected="{str(i == 0).lower()}">{t}</button>'
                   for i, t in enumerate(["General", "Account", "Privacy", "Notifications", "Advanced"]))
    fields = "".join(f'<div class="row"><label for="f{i}">{t}</label><input id="f{i}" placeholder="{t.lower()}"></div>'
                     for i, t in enumerate(["First name", "Last name", "Email", "Phone", "Company", "City"]))
    checks = "".join(f'<div><input type="checkbox" id="c{i}"><label for="c{i}">{t}</label></div>'
                     for i, t in enumerate(["Remember me", "Send newsletters", "Show tips", "Beta features"]))
    radios = "".join(f'<div><input type="radio" name="r" id="r{i}"><label for="r{i}">{t}</label></div>'
                     for i, t in enumerate(["Daily", "Weekly", "Monthly"]))
    rows = "".join(f'<tr><td><a href="#i{i}">Invoice {1000 + i}</a></td><td>{i * 13 % 97} EUR</td>'
                   f'<td><button>Open</button></td></tr>' for i in range(14))
    return f"""<!doctype html><html><head><style>
body {{ margin: 0; font: 14px sans-serif; }} header {{ display: flex; gap: 6px; padding: 8px; background: #eee; }}
main {{ display: grid; grid-template-columns: 420px 1fr; gap: 24px; padding: 16px; }}
.row {{ display: flex; gap: 8px; margin: 6px 0; }} .row label {{ width: 100px; }}
dialog {{ position: fixed; left: 900px; top: 500px; margin: 0; }}
</style></head><body>
<header><h1 style="font-size:18px;margin:0 24px 0 0">Settings</h1>{tabs}<img alt="Profile" width="24" height="24"
 src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='24' height='24'%3E%3Ccircle cx='12' cy='12' r='10'/%3E%3C/svg%3E"></header>
<main><section><h2>Profile</h2>{fields}<h2>Options</h2>{checks}{radios}
<select aria-label="Language"><option>English</option><option>Deutsch</option></select>
<div style="margin-top:12px"><button>Save</button> <button>Cancel</button> <a href="#help">Help</a></div></section>
<section><h2>Invoices</h2><table>{rows}</table></section></main>
<dialog open><p>Unsaved changes</p><button>Discard</button> <button>Keep editing</button></dialog>
</body></html>"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 timed runs instead of 5")
    args = parser.parse_args()
    if chromium_path() is None:
        print(json.dumps({"skipped": "chromium is not installed (apt-get install chromium)"}))
        return
    runs = 2 if args.quick else 5
    page = Path(tempfile.mkdtemp(prefix="bench-capture-")) / "settings.html"
    page.write_text(bench_page())
    url = page.as_uri()
    cfg = WebCaptureConfig(viewports_wh=((1280, 800),))

    t0 = time.perf_counter()
    capturer = WebCapturer(cfg)
    launch_s = time.perf_counter() - t0
    try:
        capturer.capture(url)  # warm-up
        capture, shots, n_elements = [], [], 0
        for _ in range(runs):
            t0 = time.perf_counter()
            capturer.load(url, (1280, 800), "light")
            capturer.screenshot()
            shots.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            screen = capturer.capture(url)
            capture.append(time.perf_counter() - t0)
            n_elements = len(screen.elements)
    finally:
        capturer.close()
    t0 = time.perf_counter()
    with WebCapturer(cfg) as cold:
        cold.capture(url)
    cold_s = time.perf_counter() - t0

    capture_s, screenshot_s = statistics.median(capture), statistics.median(shots)
    print(f"web page 1280x800, {n_elements} elements captured, {runs} runs (median)")
    print(f"  launch            {launch_s:6.3f} s")
    print(f"  capture           {capture_s:6.3f} s   (screenshot only: {screenshot_s:.3f} s, ratio {capture_s / screenshot_s:.2f})")
    print(f"  cold (one page)   {cold_s:6.3f} s")
    result = {"web_1280x800": {"elements": n_elements, "runs": runs, "launch_s": round(launch_s, 3),
                               "capture_s": round(capture_s, 3), "screenshot_s": round(screenshot_s, 3),
                               "ratio": round(capture_s / screenshot_s, 2), "cold_s": round(cold_s, 3),
                               "target_2s": capture_s <= 2.0}}
    result["desktop"] = bench_desktop(runs)
    print(json.dumps(result))


def bench_desktop(runs: int) -> dict:
    """A zenity question dialog captured whole (private X server, bus, app start, tree, screenshot), where the
    desktop engine and zenity are installed; target <= 3 s."""
    import shutil

    try:
        from simpleseg_agent.capture.desktop import capture_desktop
    except ImportError:
        return {"skipped": "the desktop engine (simpleseg_agent.capture.desktop) is not installed"}
    if shutil.which("zenity") is None:
        return {"skipped": "zenity is not installed (apt-get install --no-install-recommends zenity)"}
    times, n = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        screen = capture_desktop(["zenity", "--question", "--text", "Delete the selected file?"], toolkit="gtk")
        times.append(time.perf_counter() - t0)
        n = len(screen.elements)
    capture_s = statistics.median(times)
    print(f"desktop window (zenity --question, 1280x800), {n} elements, {runs} runs (median): {capture_s:.3f} s")
    return {"elements": n, "runs": runs, "capture_s": round(capture_s, 3), "target_3s": capture_s <= 3.0}


if __name__ == "__main__":
    main()
