"""``simpleseg demo``: the model finds the Submit button on a generated screen, or in a real window, and clicks it.

    simpleseg demo                        # a generated screen: simpleseg-demo.png, and where it would click
    simpleseg demo --window               # the same screen as a real Tk window, screenshot with mss
    simpleseg demo --click                # ... clicked by the screen agent (pyautogui): did Submit fire?
    simpleseg demo --samples 8            # consensus decoding: 8 sampled answers besides the greedy one
    simpleseg demo --model ./checkpoint --preset simpleseg-gui-small --json

The screen is the first generated ``easy`` screen, from ``--screen-seed`` on, that holds one button
labelled ``--button`` (:func:`~simpleseg_agent.fixtures.find_button_screen`; the default
model's training seed is skipped), so its true box is known. Every mode goes through the screen
agent (:class:`~simpleseg_agent.agent.ScreenAgent`): the model's answer, the checks, the planned
click pixel. Without ``--window``/``--click`` the agent plans on the generated image (dry run).
``--samples K`` asks with consensus decoding
(:class:`~simpleseg_agent.tools.Decoding` ``samples``; every decoding flag of ``simpleseg segment`` applies): the report then gives the answers'
``agreement`` (0-1). ``--window`` shows the screen as a real Tk window (:class:`~simpleseg_agent.agent.tk_layout.LayoutWindow`)
on ``$DISPLAY`` and grabs it with mss; ``--click`` also clicks, and the window itself reports which
element fired. Both start a private Xvfb of the screen's size when ``DISPLAY`` is unset, or always
with ``--xvfb``.

The PNG shows the screenshot the model saw, the known button box (green) and the model's polygon
and click target (red). Progress and timings go to stderr; the result to stdout (``--json``: one
JSON object).

Exit status: 0 when the planned click pixel lies on the intended button (``--click``: when that
button fired); 1 when it does not (the answer was unusable or pointed elsewhere; another element or
none fired); 2 on bad input, a missing model or no Xvfb, with a one-line reason.

Example (a named fake backend that answers the button's own box; real use passes a model):
    >>> import tempfile
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> screen = find_button_screen("Submit")
    >>> x0, y0, x1, y1 = screen.element.box
    >>> W, H = screen.layout.size_wh
    >>> box = f"[[[{x0 / W:.3f}, {y0 / H:.3f}], [{x1 / W:.3f}, {y0 / H:.3f}], [{x1 / W:.3f}, {y1 / H:.3f}], [{x0 / W:.3f}, {y1 / H:.3f}]]]"
    >>> report = run_demo(model=FakeAnswerBackend([box]), out=tempfile.mkdtemp() + "/demo.png", progress=None)
    >>> report.hit, report.iou > 0.9, report.exit_status, report.on_element["text"]
    (True, True, 0, 'Submit')
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .agent.tk_layout import clickable_at, element_label
from .backends.presets import DEFAULT_MODEL, default_model_dir
from .errors import ImageError, ModelError, SimpleSegError
from .fixtures import ButtonScreen, find_button_screen
from .tools.decoding import Decoding, add_decoding_arguments, decoding_from_args

Mode = Literal["image", "window", "click"]
DEFAULT_QUERY = "the Submit button"
DEFAULT_OUT = "simpleseg-demo.png"
_TRUTH_COLOR = (40, 200, 90)
_MODEL_COLOR = (255, 64, 64)


@dataclass
class DemoReport:
    """What the demo saw and did; :meth:`to_json` is the ``--json`` output, :meth:`lines` the text one.

    Pixels are screen pixels of the generated layout (the window sits at ``+0+0``). ``screen``: which
    generated screen (``difficulty``, ``seed``, ``index``, ``size_wh``); ``target``: the intended button
    (``index``, ``kind``, ``text``, ``xyxy_px``); ``model``/``preset``: what answered and how it was read;
    ``status``/``error``: the agent's (``planned``, ``done``, ``refused``, ``failed``) and why;
    ``click_xy_px``: the planned (``click``: clicked) pixel, ``None`` when refused; ``on_element``: the
    clickable element under it; ``hit``: it is the intended button; ``iou``: the answered shape against the
    button's true shape; ``fired``/``missed_xy`` (``click`` only): what the window reported;
    ``intended_fired``: the intended button is among ``fired``; ``samples``/``agreement``: with consensus
    decoding, how many sampled answers were asked for and how well the kept answer agrees with them
    (0-1; ``None`` for a greedy answer); ``snapped``: the outline was snapped to a screen element near the
    answer (``"model"``: the model chose it; ``"overlap"``; ``None``: the model's own outline; see
    :class:`~simpleseg_agent.tools.SimpleSeg` ``snap``); ``read_text``: the screen's words helped choose
    (``read_text``), ``read_words`` what they read on the chosen element; ``stage``: what decided (the tool
    result's ``stage``: ``words``, ``label``, ... when the screen's words did, ``answer``, ``snap``, ... when the
    model did), ``words_matched`` the screen's words that matched the query and ``candidates`` how many elements'
    words did (``None`` where the words did not decide); ``exit_status``: 0 on success, 1 otherwise.
    """

    mode: Mode
    query: str
    screen: dict[str, Any]
    target: dict[str, Any]
    model: str = ""
    preset: str = ""
    answer: str = ""
    answer_tokens: int = 0
    status: str = ""
    error: str | None = None
    polygons_xy_px: list[list[list[float]]] = field(default_factory=list)
    click_xy_px: list[int] | None = None
    on_element: dict[str, Any] | None = None
    hit: bool = False
    iou: float | None = None
    fired: list[dict[str, Any]] | None = None
    missed_xy: list[list[int]] | None = None
    intended_fired: bool | None = None
    display: str | None = None
    samples: int = 0
    agreement: float | None = None
    snapped: str | None = None
    read_text: bool = False
    read_words: str | None = None
    stage: str | None = None
    words_matched: str | None = None
    candidates: int | None = None
    out: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    exit_status: int = 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The human-readable summary, one line per fact."""
        t, s = self.target, self.screen
        out = [
            f"screen   {s['difficulty']} seed {s['seed']} ({s['size_wh'][0]}x{s['size_wh'][1]})"
            + (f" as a real Tk window on {self.display}" if self.display else " (generated image)")
            + f"; the {t['text']!r} button is at {t['xyxy_px']} px",
            f"model    {self.model} (preset {self.preset}): "
            + (repr(_short(self.answer)) if self.answer or self.stage is None else "no answer generated"),
        ]
        if self.samples:
            agree = "no usable answer" if self.agreement is None else f"agreement {self.agreement:.2f}"
            out.append(f"samples  consensus of the greedy answer and {self.samples} sampled ones: {agree}")
        if self.snapped:
            how = ("the one overlapping the answer most" if self.snapped != "model"
                   else "the model chose it among all of the screen's, without an answer of its own" if self.answer_tokens == 0
                   else "the model chose it")
            if self.snapped == "model" and self.read_text:
                how += ", with the words read on the screen"
                if self.read_words:
                    how += f"; it reads {self.read_words!r}"
            out.append(f"snapped  to a screen element ({how}): {self.polygons_xy_px}")
        if self.stage is not None:
            from .overlay import decision_caption

            out.append(f"decided  {decision_caption(self.stage, self.words_matched, self.candidates)}")
        if self.click_xy_px is None:
            out.append(f"click    none: {self.error}")
        else:
            where = "on no element" if self.on_element is None else f"on the {self.on_element['text']!r} {self.on_element['kind']}"
            verb = "clicked" if self.mode == "click" else "would click"
            out.append(f"click    {verb} ({self.click_xy_px[0]}, {self.click_xy_px[1]}) px, {where}"
                       + ("" if self.iou is None else f"; IoU with the button's box {self.iou:.3f}"))
        if self.mode == "click":
            names = ", ".join(f"{f['text']!r} (element {f['index']})" for f in self.fired or []) or "nothing"
            missed = "".join(f" (the window saw a click at ({x}, {y}) on no element)" for x, y in self.missed_xy or [])
            out.append(f"fired    {names}{missed}: the {t['text']!r} button {'fired' if self.intended_fired else 'did not fire'}")
        sec = self.seconds
        out.append(f"seconds  model {sec.get('model', 0.0):.2f}, load {sec.get('load', 0.0):.2f}, total {sec.get('total', 0.0):.2f}")
        if self.out:
            out.append(f"overlay  {self.out}")
        return out


def _short(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _stderr(message: str) -> None:
    print(f"simpleseg demo: {message}", file=sys.stderr, flush=True)


def check_default_model(model: Any) -> None:
    """Raise :class:`ModelError` when ``model`` is the shipped default and its folder is missing.

    Example:
        >>> check_default_model("./some-checkpoint")  # only the default is checked here
    """
    if isinstance(model, str) and model == DEFAULT_MODEL and not default_model_dir().is_dir():
        raise ModelError(
            f"the default model {DEFAULT_MODEL!r} is not installed: {default_model_dir()} does not exist. "
            f"Pass --model with a checkpoint folder or a server URL (a checkpoint of this project's GUI training "
            f"also takes --preset {DEFAULT_MODEL}), e.g. "
            f"simpleseg demo --model runs/default/sft/checkpoint-2500 --preset {DEFAULT_MODEL}"
        )


def _load_tool(model: Any, preset: str | None, decoding: Any, device: str | None):
    from .tools import SimpleSeg

    class RecordingSeg(SimpleSeg):
        """SimpleSeg that keeps its last results, so the demo can show an answer the agent refused."""

        last: list | None = None

        def run_batch(self, images, queries, answer="mask"):
            self.last = super().run_batch(images, queries, answer)
            return self.last

    kwargs = {"device": device} if device else {}
    return RecordingSeg(model, preset=preset, decoding=decoding, **kwargs)


class _Display:
    """``DISPLAY`` for this process: the current one, or a private Xvfb of ``size_wh``; restored on exit."""

    def __init__(self, size_wh: tuple[int, int], private: bool, progress: Callable[[str], None] | None) -> None:
        self.size_wh, self.private, self.progress = size_wh, private, progress
        self.server = None
        self._saved: dict[str, str | None] = {}
        self._pyautogui_display = None

    def __enter__(self) -> _Display:
        from .agent.testing import XvfbServer

        if self.private:
            self.server = XvfbServer(self.size_wh).start()
            self._saved = {k: os.environ.get(k) for k in ("DISPLAY", "XAUTHORITY")}
            os.environ.update(DISPLAY=self.server.display, XAUTHORITY=self.server.xauthority)
            if self.progress:
                self.progress(f"private Xvfb {self.size_wh[0]}x{self.size_wh[1]} on display {self.server.display}")
        try:
            self._rebind_pyautogui()
        except BaseException:
            self.__exit__()
            raise
        return self

    @property
    def name(self) -> str:
        return os.environ.get("DISPLAY", "")

    def _rebind_pyautogui(self) -> None:
        # pyautogui opens its X connection once, at import; an earlier demo in this process may have bound it to
        # another server, or to an earlier private server of the same name that is gone now
        x11 = getattr(sys.modules.get("pyautogui"), "_pyautogui_x11", None)
        bound = getattr(x11, "_display", None)
        if bound is None or (self.server is None and bound.get_display_name() == self.name):
            return
        from Xlib.display import Display

        from .agent.screen import DisplayError, ensure_xauthority

        ensure_xauthority()  # python-xlib raises XauthError on a bare Xvfb otherwise

        try:
            fresh = Display(self.name)
        except Exception as exc:  # Xlib raises several error types for an unreachable display
            raise DisplayError(f"cannot connect pyautogui to the display {self.name!r}: {type(exc).__name__}: {exc}") from exc
        self._pyautogui_display = bound
        x11._display = fresh

    def __exit__(self, *exc: object) -> None:
        if self._pyautogui_display is not None:
            x11 = sys.modules["pyautogui"]._pyautogui_x11
            try:
                x11._display.close()
            except Exception:  # the server may be gone already
                pass
            x11._display = self._pyautogui_display
        if self.server is not None:
            self.server.stop()
            for k, v in self._saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _capturing_screen(size_wh: tuple[int, int], whole_screen: bool):
    """An mss screen that keeps its last screenshot; off a private Xvfb, "monitor 1" is the window's rectangle."""
    from .agent.frames import Monitor
    from .agent.screen import MssScreen

    class CapturingScreen(MssScreen):
        last = None

        def monitors(self) -> list[Monitor]:
            if whole_screen:
                return super().monitors()
            w, h = size_wh  # the layout window sits at +0+0 on a larger desktop
            return [Monitor(0, 0, 0, w, h, "layout window"), Monitor(1, 0, 0, w, h, "layout window")]

        def grab(self, index: int):
            self.last = super().grab(index)
            return self.last

    return CapturingScreen()


def run_demo(
    *,
    model: Any = DEFAULT_MODEL,
    preset: str | None = None,
    query: str = DEFAULT_QUERY,
    button: str = "Submit",
    seed: int = 0,
    mode: Mode = "image",
    xvfb: bool = False,
    out: str | os.PathLike[str] | None = DEFAULT_OUT,
    pause_s: float = 0.1,
    device: str | None = None,
    decoding: Decoding | None = None,
    progress: Callable[[str], None] | None = _stderr,
) -> DemoReport:
    """Run the demo (see the module docstring) and return its :class:`DemoReport`.

    Args:
        model: preset name, checkpoint folder, server URL, or a :class:`~simpleseg_agent.backends.base.Backend`.
        preset: how to prompt the model and read its coordinates (default: from ``model``).
        mode: ``image`` (plan on the generated image), ``window`` (plan on a screenshot of the real
            window) or ``click`` (and click it).
        xvfb: use a private Xvfb even when ``DISPLAY`` is set (``window`` and ``click``).
        out: the overlay PNG (``None``: none).
        decoding: how the model's answers are produced and refined (:class:`~simpleseg_agent.tools.Decoding`;
            ``None``: the preset's choice), e.g. ``Decoding(samples=8)`` for consensus decoding.
        progress: called with each progress line (default: printed on stderr); ``None`` for silence.

    Raises:
        ModelError: the model cannot be loaded (the default one is not installed: pass ``model``).
        DisplayError: no display could be used (no Xvfb, no Tk, no mss/pyautogui).
        ImageError: ``out`` does not end in ``.png``.
        ModelError: a decoding switch asked where it cannot run.
        NotFoundError: no generated screen with that button.
    """
    from .agent import AgentActionError, ScreenAgent, StaticScreen
    from .geometry import region_iou
    from .mockup.layout import element_region

    say = progress or (lambda message: None)
    if mode not in ("image", "window", "click"):
        raise SimpleSegError(f"mode must be 'image', 'window' or 'click', got {mode!r}")
    if out is not None and Path(out).suffix.lower() != ".png":
        raise ImageError(f"--out: expected a file name ending in .png, got {str(out)!r}")
    if not isinstance(query, str) or not query.strip():
        raise SimpleSegError(f"the query must be a description such as {DEFAULT_QUERY!r}, got {query!r}")
    check_default_model(model)
    t_start = time.perf_counter()
    screen: ButtonScreen = find_button_screen(button, start_seed=seed)
    el = screen.element
    say(f"screen: easy seed {screen.seed} ({screen.layout.size_wh[0]}x{screen.layout.size_wh[1]}), "
        f"{el.text!r} button at {list(el.box)}")
    t0 = time.perf_counter()
    tool = _load_tool(model, preset, decoding, device)
    load_s = time.perf_counter() - t0
    say(f"model {tool.preset.name} loaded in {load_s:.2f} s")
    report = DemoReport(
        mode=mode, query=query,
        screen={"difficulty": screen.difficulty, "seed": screen.seed, "index": screen.index, "size_wh": list(screen.layout.size_wh)},
        target={"index": screen.element_index, "kind": el.kind, "text": el.text, "xyxy_px": list(el.box)},
        model=str(model) if isinstance(model, (str, os.PathLike)) else type(model).__name__, preset=tool.preset.name,
    )
    window = None
    try:
        if mode == "image":
            shots = StaticScreen(screen.image)
            agent = ScreenAgent(tool, screen=shots)  # locate plans and never acts
            record = _act(agent, "locate", query, AgentActionError)
            image = screen.image
        else:
            private = xvfb or not os.environ.get("DISPLAY")
            if private and not xvfb:
                say("DISPLAY is not set: using a private Xvfb")
            with _Display(screen.layout.size_wh, private, say) as display:
                from .agent.tk_layout import LayoutWindow

                report.display = display.name
                window = LayoutWindow(screen.layout)
                say(f"window on {display.name} ready in {window.startup_s:.2f} s")
                shots = _capturing_screen(screen.layout.size_wh, whole_screen=private)
                agent = ScreenAgent(tool, screen=shots, pause_s=pause_s)
                try:
                    record = _act(agent, "click" if mode == "click" else "locate", query, AgentActionError)
                    if mode == "click":
                        events = window.sync()
                        report.fired = [{"index": e.index, "text": e.text} for e in events if e.kind == "clicked"]
                        report.missed_xy = [list(e.xy) for e in events if e.kind == "missed"]
                        report.intended_fired = screen.element_index in [f["index"] for f in report.fired]
                finally:
                    agent.screen.close()
                    window.close()
                    window = None
                image = shots.last.image if shots.last is not None else None
    finally:
        if window is not None:
            window.close()
        tool.close()
    seg = tool.last[0] if tool.last else None
    report.status, report.error = record.status, record.error
    report.answer = record.raw_answers[0] if record.raw_answers else (seg.raw_answer if seg else "")
    report.answer_tokens = seg.answer_tokens if seg else 0
    report.samples = tool.decoding.samples
    report.agreement = None if seg is None or seg.agreement is None else round(float(seg.agreement), 4)
    report.snapped = getattr(seg, "snapped", None) if seg is not None else None
    report.read_text = tool.decoding.read_text
    report.read_words = getattr(seg, "read_words", None) if seg is not None else None
    if seg is not None:
        report.stage, report.words_matched, report.candidates = seg.stage, seg.words_matched, seg.candidates
    size = screen.layout.size_wh
    if seg is not None and seg.ok:
        report.polygons_xy_px = [[[round(x, 1), round(y, 1)] for x, y in poly] for poly in seg.polygons_xy_px]
        report.iou = round(float(region_iou(seg.region(), element_region(el, size, 1.0), size)), 4)
    if record.target is not None:
        xy = record.target.xy_action
        report.click_xy_px = [int(xy[0]), int(xy[1])]
        hit = clickable_at(screen.layout, xy)
        if hit is not None:
            other = screen.layout.elements[hit]
            report.on_element = {"index": hit, "kind": other.kind, "text": element_label(other)}
        report.hit = hit == screen.element_index
    if out is not None and image is not None:
        report.out = str(_save_overlay(image, out, screen, seg, record, size))
    report.exit_status = 0 if (report.intended_fired if mode == "click" else report.hit) else 1
    report.seconds = {"load": round(load_s, 3), "model": round(record.latency.model_s, 3),
                      "screenshot": round(record.latency.screenshot_s, 3), "total": round(time.perf_counter() - t_start, 3)}
    say(f"done in {report.seconds['total']:.2f} s (model {report.seconds['model']:.2f} s)")
    return report


def _act(agent, action: str, query: str, refused: type):
    try:
        return getattr(agent, action)(query)
    except refused as exc:  # a refusal is a result: the report says why
        return exc.record


def _save_overlay(image, out, screen: ButtonScreen, seg, record, size: tuple[int, int]) -> Path:
    from .overlay import decision_caption, draw_overlay, save_overlay

    W, H = size
    x0, y0, x1, y1 = screen.element.box
    drawn = draw_overlay(image, boxes_xyxy_norm=[(x0 / W, y0 / H, x1 / W, y1 / H)], label=f"{screen.element.text} (known box)",
                         color=_TRUTH_COLOR, alpha=0.0)
    kwargs: dict[str, Any] = {}
    if seg is not None and seg.ok:
        kwargs["polygons_xy_norm"] = [list(p) for p in seg.polygons_xy_norm]
    if record.target is not None:
        kwargs["click_xy_norm"] = record.target.xy_norm
    label = None
    if seg is not None and kwargs:
        label = f"{seg.query}\n{decision_caption(seg.stage, seg.words_matched, seg.candidates)}"
    return save_overlay(drawn, out, label=label, color=_MODEL_COLOR, **kwargs)


# the command line --------------------------------------------------------------------------------
def add_demo_arguments(p: argparse.ArgumentParser) -> None:
    """The ``demo`` subcommand's options."""
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"preset name, checkpoint folder or server URL (default: {DEFAULT_MODEL}, the shipped model)")
    p.add_argument("--preset", default=None, help="how to prompt / read the model (see 'simpleseg models')")
    p.add_argument("--query", default=DEFAULT_QUERY, help=f"what to find (default: {DEFAULT_QUERY!r})")
    p.add_argument("--button", default="Submit", help="the text of the button the generated screen must hold (default: Submit)")
    p.add_argument("--screen-seed", type=int, default=0, help="first seed of the screen search (default: 0)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--window", action="store_true", help="show the screen as a real Tk window and grab it with mss")
    g.add_argument("--click", action="store_true", help="show the window and click with the screen agent: did the button fire?")
    p.add_argument("--xvfb", action="store_true", help="with --window/--click: a private Xvfb even when DISPLAY is set")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"the overlay PNG (default: {DEFAULT_OUT})")
    p.add_argument("--pause-s", type=float, default=0.1, help="pause after each pointer call, seconds (pyautogui.PAUSE)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, auto (local models)")
    add_decoding_arguments(p)
    p.add_argument("--sample-seed", dest="seed", type=int, default=argparse.SUPPRESS,
                   help="deprecated: the same as --seed")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")


def demo_command(args: argparse.Namespace) -> int:
    """``simpleseg demo``: run, print the report, return the exit status (errors propagate to the CLI: 2)."""
    report = run_demo(
        model=args.model, preset=args.preset, query=args.query, button=args.button, seed=args.screen_seed,
        mode="click" if args.click else "window" if args.window else "image", xvfb=args.xvfb, out=args.out,
        pause_s=args.pause_s, device=args.device, decoding=decoding_from_args(args),
    )
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print("\n".join(report.lines()))
    return report.exit_status


__all__ = ["DEFAULT_OUT", "DEFAULT_QUERY", "DemoReport", "add_demo_arguments", "check_default_model", "demo_command",
           "run_demo"]
