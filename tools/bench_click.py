"""Latency of ``ScreenAgent.click()`` without the model: screenshot -> target -> action, on real X screens.

    python tools/bench_click.py                    # 1280x800 and 2560x1440, 40 clicks each
    python tools/bench_click.py --sizes 1920x1080 --clicks 100

Each size runs in its own process on its own Xvfb (pyautogui binds to one display per process), with a
real Tk window of six buttons; every click is checked against the window's own callback. The model is
the named stand-in :class:`~simpleseg_agent.agent.testing.ColorGrounder` (its time is reported as the
model's and left out); ``pause_s=0`` (pyautogui's default pause would add 0.1 s per pointer call).
The last line is a JSON object of the medians, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys


def _measure(size: tuple[int, int], clicks: int) -> dict:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "agent"))
    from scenes import phrases, random_buttons

    from simpleseg_agent.agent import ScreenAgent
    from simpleseg_agent.agent.testing import ColorGrounder, TkWindow, XvfbServer

    w, h = size
    with XvfbServer(size) as server:
        os.environ.update(DISPLAY=server.display, XAUTHORITY=server.xauthority)
        spec = random_buttons(0, (40, 40, w - 80, h - 80), n=6)
        names = [x["name"] for x in spec["widgets"]]
        with TkWindow(spec, env=server.env()) as window:
            agent = ScreenAgent(ColorGrounder(phrases()), pause_s=0.0)
            agent.click(f"the {names[0]} button")  # warm-up: imports pyautogui, opens the connections
            window.sync()
            rows = []
            for i in range(clicks):
                name = names[i % len(names)]
                r = agent.click(f"the {name} button")
                fired = [e["name"] for e in window.sync() if e["event"] == "click"]
                if fired != [name]:
                    raise SystemExit(f"click {i} on {name!r} fired {fired}")
                lat = r.latency
                rows.append({"screenshot": lat.screenshot_s, "plan": lat.plan_s, "act": lat.act_s,
                             "without_model": lat.overhead_s, "model (stand-in)": lat.model_s})
    out = {"size": f"{w}x{h}", "clicks": clicks}
    for key in rows[0]:
        values = sorted(row[key] * 1000 for row in rows)
        out[key] = {"median_ms": round(statistics.median(values), 2), "p90_ms": round(values[int(0.9 * (len(values) - 1))], 2)}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", default=["1280x800", "2560x1440"])
    p.add_argument("--clicks", type=int, default=40)
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # the child process for one size
    args = p.parse_args()
    if args.one:
        print(json.dumps(_measure(tuple(int(v) for v in args.one.split("x")), args.clicks)))
        return 0
    results = []
    for size in args.sizes:
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
        out = subprocess.run([sys.executable, __file__, "--one", size, "--clicks", str(args.clicks)], capture_output=True,
                             text=True, timeout=600, env=env)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        print(f"{r['size']:>10}  " + "  ".join(f"{k} {v['median_ms']:.1f} ms (p90 {v['p90_ms']:.1f})"
                                               for k, v in r.items() if isinstance(v, dict)))
    print(json.dumps({r["size"]: {k: v["median_ms"] for k, v in r.items() if isinstance(v, dict)} for r in results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
