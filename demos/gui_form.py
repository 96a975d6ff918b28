"""The screen agent fills in and submits a real form: ``agent.type_into(...)``, ``agent.click("the submit button")``.

    python demos/gui_form.py                                   # on a private virtual screen (Xvfb), headless
    python demos/gui_form.py --overlay-dir out/form            # and save a picture of every planned action
    python demos/gui_form.py --display                         # on your own desktop: it moves your pointer
    python demos/gui_form.py --model simpleseg-gui-small      # the shipped model and its default stack
    python demos/gui_form.py --model ./my-simpleseg-checkpoint # another real model

The form is a real Tk window (name and email fields, Cancel and Submit buttons) in its own process;
its buttons report when they fire and Submit prints what it received: the demo checks that Submit
alone fired and received what the agent typed. Every step goes through the library's whole path: an
mss screenshot of the monitor, the screen's words and the model, the coordinate chain with its
checks, pyautogui; each step's line says what decided (the stage, the words matched, the candidates).

By default the widgets are found by :class:`~simpleseg_agent.agent.testing.ColorGrounder`, a named
stand-in that answers SimpleSeg polygon text for the known colors of the form's widgets: the output
says "grounded from the form's known colors". Pass ``--model NAME_OR_PATH`` to use a real model.

Needs ``pip install 'simpleseg-agent[agent]'`` and, for the default virtual screen, ``apt-get install xvfb``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from simpleseg_agent.agent import AgentActionError, ScreenAgent
from simpleseg_agent.agent.testing import ColorGrounder, TkWindow, XvfbServer
from simpleseg_agent.errors import SimpleSegError
from simpleseg_agent.overlay import decision_caption

SCREEN_WH = (1280, 800)
GROUNDED_NOTE = "grounded from the form's known colors; pass --model to use a real model"
# widget -> (query, color); colors are the stand-in's only clue, so each is unique on the screen
WIDGETS = {
    "name": ("the name field", (255, 247, 205)),
    "email": ("the email field", (214, 240, 255)),
    "cancel": ("the cancel button", (148, 163, 184)),
    "submit": ("the submit button", (37, 99, 235)),
}


def _hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(rgb)


def form_spec(left: int = 320, top: int = 160) -> dict:
    """A 640x420 sign-up form at (left, top) on the desktop."""
    label = {"kind": "label", "bg": "#ffffff", "fg": "#1f2937"}
    return {
        "title": "Sign up", "geometry": [left, top, 640, 420], "bg": "#ffffff",
        "widgets": [
            {**label, "name": "title", "text": "Create your account", "xywh": [40, 24, 560, 40], "font": ["DejaVu Sans", 16]},
            {**label, "name": "name_label", "text": "Name", "xywh": [40, 100, 120, 36]},
            {"name": "name", "kind": "entry", "xywh": [170, 100, 420, 36], "bg": _hex(WIDGETS["name"][1])},
            {**label, "name": "email_label", "text": "Email", "xywh": [40, 170, 120, 36]},
            {"name": "email", "kind": "entry", "xywh": [170, 170, 420, 36], "bg": _hex(WIDGETS["email"][1])},
            {"name": "cancel", "kind": "button", "text": "Cancel", "xywh": [330, 320, 120, 44], "bg": _hex(WIDGETS["cancel"][1]), "fg": "#ffffff"},
            {"name": "submit", "kind": "button", "text": "Submit", "xywh": [470, 320, 120, 44], "bg": _hex(WIDGETS["submit"][1]),
             "fg": "#ffffff", "submit": True},
        ],
    }


def run(args: argparse.Namespace) -> int:
    model = args.model or ColorGrounder({query: rgb for query, rgb in WIDGETS.values()})
    agent = ScreenAgent(model, monitor=args.monitor, dry_run=args.dry_run, pause_s=args.pause_s,
                        overlay_dir=args.overlay_dir, log_path=args.log)
    if not args.model:
        print(GROUNDED_NOTE)
    with TkWindow(form_spec()) as window:
        try:
            for record in (
                agent.type_into(WIDGETS["name"][0], args.name),
                agent.type_into(WIDGETS["email"][0], args.email),
                agent.click(WIDGETS["submit"][0]),
            ):
                t = record.target
                print(f"{record.summary()}  [{decision_caption(t.stage, t.words_matched, t.candidates)}; "
                      f"model {record.latency.model_s * 1000:.0f} ms, rest {record.latency.overhead_s * 1000:.0f} ms, "
                      f"clearance {t.clearance_px:.0f} px]")
                if record.overlay_path:
                    print(f"  overlay: {record.overlay_path}")
        except AgentActionError as exc:
            print(f"the agent stopped: {exc}", file=sys.stderr)
            return 1
        events = window.sync()
    fired = [e["name"] for e in events if e["event"] == "click"]
    submitted = [e for e in events if e["event"] == "submit"]
    if args.dry_run:
        print("dry run: nothing was typed or clicked")
        return 0 if not fired else 1
    print(f"buttons that fired: {', '.join(fired) or 'none'}")
    if fired != ["submit"] or not submitted:
        print("the form was not submitted" if not submitted else f"other buttons fired: {fired}", file=sys.stderr)
        return 1
    values = submitted[-1]["values"]
    print(f"the form received: name={values['name']!r} email={values['email']!r}")
    return 0 if values == {"name": args.name, "email": args.email} else 1


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--display", action="store_true", help="use the current desktop ($DISPLAY) instead of a private Xvfb")
    p.add_argument("--model", default=None, help="a real model: preset name, checkpoint folder or server URL")
    p.add_argument("--monitor", type=int, default=1)
    p.add_argument("--name", default="Ada Lovelace")
    p.add_argument("--email", default="ada@example.org")
    p.add_argument("--dry-run", action="store_true", help="plan and draw, never type or click")
    p.add_argument("--pause-s", type=float, default=0.1, help="pause after each pointer/keyboard call (pyautogui.PAUSE)")
    p.add_argument("--overlay-dir", default=None, help="save a PNG of every planned action here")
    p.add_argument("--log", default=None, help="append the action records to this JSON-lines file")
    args = p.parse_args(argv)
    try:
        if args.display:
            return run(args)
        with XvfbServer(SCREEN_WH) as server:
            # this process talks to the private screen only (pyautogui binds to DISPLAY when first imported)
            os.environ.update(DISPLAY=server.display, XAUTHORITY=server.xauthority)
            print(f"virtual screen {SCREEN_WH[0]}x{SCREEN_WH[1]} on display {server.display}")
            return run(args)
    except SimpleSegError as exc:
        print(f"gui_form: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
