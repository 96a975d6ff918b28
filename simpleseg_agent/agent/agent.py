"""``ScreenAgent``: screenshot -> model -> checked target -> pointer action, with a record of every step.

Every action grabs the chosen monitor, asks the model for the shape of each query (one batched call),
plans a target inside the shape with :func:`~simpleseg_agent.agent.plan.plan_target` (which refuses
implausible shapes and anything outside the monitor), then acts, unless ``dry_run`` is set or the
``confirm`` callback says no. It returns an :class:`~simpleseg_agent.agent.records.ActionRecord`, or
raises :class:`~simpleseg_agent.agent.records.AgentActionError` carrying the record; both are
appended to ``log_path`` when set. pyautogui's ``FailSafeException`` is logged and let through.

Example (a fixed screenshot, a named fake backend and a dry run: nothing is imported that needs a display):
    >>> from PIL import Image
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> from simpleseg_agent.agent.screen import StaticScreen
    >>> model = FakeAnswerBackend(["It is at [[[0.45, 0.6], [0.55, 0.6], [0.55, 0.66], [0.45, 0.66]]]."])
    >>> agent = ScreenAgent(model, screen=StaticScreen(Image.new("RGB", (1280, 800))), dry_run=True)
    >>> record = agent.click("the submit button")
    >>> record.status, record.target.xy_action, record.overlay.size
    ('planned', (640, 504), (1280, 800))
    >>> record.summary()
    "click planned (dry run): 'the submit button' at (640, 504) on monitor 1"
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import ActionError
from ..tools import SimpleSeg
from .config import AgentConfig
from .plan import plan_target
from .pointer import Pointer, PyAutoGUIPointer
from .records import ActionKind, ActionLatency, ActionLog, ActionRecord, AgentActionError, FrameRecord, TargetRecord
from .screen import DisplayError, MssScreen, Screen, Screenshot

ConfirmCallback = Callable[[ActionRecord], bool]
_COLORS = ((255, 64, 64), (40, 160, 255))
_BUTTONS = {"click": ("left", 1), "double_click": ("left", 2), "right_click": ("right", 1)}


class ScreenAgent:
    """Act on the desktop by describing what to act on.

    Args:
        model: a :class:`~simpleseg_agent.tools.SimpleSeg`, or anything it accepts (a backend, a preset
            name, a checkpoint folder, a server URL).
        config: an :class:`~simpleseg_agent.agent.config.AgentConfig`; keyword ``options`` override its fields
            (``ScreenAgent(model, monitor=2, dry_run=True)``).
        confirm: called with the planned record before each action; the action happens only if it returns true.
        screen: where screenshots come from (default :class:`~simpleseg_agent.agent.screen.MssScreen`).
        pointer: what acts (default :class:`~simpleseg_agent.agent.pointer.PyAutoGUIPointer` with the config's
            fail-safe, pause and move duration).
    """

    def __init__(
        self,
        model: Any,
        config: AgentConfig | None = None,
        *,
        confirm: ConfirmCallback | None = None,
        screen: Screen | None = None,
        pointer: Pointer | None = None,
        **options: Any,
    ) -> None:
        self.config = replace(config or AgentConfig(), **options)
        self._owns_segmenter = not isinstance(model, SimpleSeg)
        self.segmenter = SimpleSeg(model) if self._owns_segmenter else model
        self.confirm = confirm
        self.screen = screen if screen is not None else MssScreen()
        self._pointer = pointer
        self.log = ActionLog(self.config.log_path) if self.config.log_path else None

    @property
    def pointer(self) -> Pointer:
        """The pointer, created (and pyautogui imported) on first use: a dry run never gets here."""
        if self._pointer is None:
            c = self.config
            self._pointer = PyAutoGUIPointer(failsafe=c.failsafe, pause_s=c.pause_s, move_duration_s=c.move_duration_s)
        return self._pointer

    # actions ------------------------------------------------------------------------------------
    def locate(self, query: str, *, overlay: bool = False) -> ActionRecord:
        """Plan without acting: where ``query`` is, in every frame (status ``planned``)."""
        return self._run("locate", [query], overlay=overlay)

    def click(self, query: str, *, overlay: bool = False) -> ActionRecord:
        return self._run("click", [query], overlay=overlay)

    def double_click(self, query: str, *, overlay: bool = False) -> ActionRecord:
        return self._run("double_click", [query], overlay=overlay)

    def right_click(self, query: str, *, overlay: bool = False) -> ActionRecord:
        return self._run("right_click", [query], overlay=overlay)

    def hover(self, query: str, *, overlay: bool = False) -> ActionRecord:
        return self._run("hover", [query], overlay=overlay)

    def drag(self, from_query: str, to_query: str, *, overlay: bool = False) -> ActionRecord:
        """Press on ``from_query``, move to ``to_query``, release (both located in one screenshot)."""
        return self._run("drag", [from_query, to_query], overlay=overlay)

    def type_into(self, query: str, text: str, *, enter: bool = False, overlay: bool = False) -> ActionRecord:
        """Click ``query`` (a text field) to focus it, type ``text``, and press Enter if ``enter``."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if len(text) > self.config.max_text_chars:
            raise ActionError(f"the text has {len(text)} characters, more than max_text_chars={self.config.max_text_chars}")
        return self._run("type_into", [query], text=text, enter=enter, overlay=overlay)

    def scroll(self, query: str, amount: int, *, overlay: bool = False) -> ActionRecord:
        """Scroll ``amount`` wheel clicks over ``query`` (positive: up, as in pyautogui)."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
            raise ActionError(f"amount must be a non-zero int (wheel clicks, positive up), got {amount!r}")
        if abs(amount) > self.config.max_scroll_clicks:
            raise ActionError(f"scrolling {amount} clicks is more than max_scroll_clicks={self.config.max_scroll_clicks}")
        return self._run("scroll", [query], amount=amount, overlay=overlay)

    def screenshot(self) -> Screenshot:
        """The chosen monitor, now."""
        return self.screen.grab(self.config.monitor)

    def close(self) -> None:
        """Close the screenshot connection, and the model if the agent loaded it."""
        if hasattr(self.screen, "close"):
            self.screen.close()
        if self._owns_segmenter:
            self.segmenter.close()

    def __enter__(self) -> ScreenAgent:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # internals ----------------------------------------------------------------------------------
    def _run(self, action: ActionKind, queries: Sequence[str], *, text: str | None = None, amount: int | None = None,
             enter: bool = False, overlay: bool = False) -> ActionRecord:
        for q in queries:
            if not isinstance(q, str) or not q.strip():
                raise ActionError(f"a query must be a non-empty description such as 'the submit button', got {q!r}")
        acting = action != "locate" and not self.config.dry_run
        info: dict[str, Any] = dict(action=action, queries=list(queries), dry_run=self.config.dry_run, text=text, amount=amount,
                                    started_at=time.time())
        times = {"screenshot_s": 0.0, "model_s": 0.0, "plan_s": 0.0, "act_s": 0.0}
        t0 = time.perf_counter()
        status, error, failsafe = "failed", None, None
        try:
            if acting and text is not None:
                check = getattr(self.pointer, "check_text", None)
                if check is not None:
                    check(text)  # before anything moves: pyautogui would silently skip untypeable keys
            shot = self.screen.grab(self.config.monitor)
            t1 = time.perf_counter()
            times["screenshot_s"] = t1 - t0
            segs = self.segmenter.run_batch([shot.image] * len(queries), list(queries), "mask")
            times["model_s"] = sum(s.latency.model_s for s in segs)
            info["raw_answers"] = [s.raw_answer for s in segs]
            info["error_kind"] = next((s.error.kind for s in segs if not s.ok and s.error is not None), None)
            info["model"] = segs[0].model
            space = self.segmenter.preset.coord_space
            info["frame"] = _frame_record(shot, segs[0].model_input_wh, space.value)
            targets: list[TargetRecord] = []
            try:
                for s in segs:
                    targets.append(plan_target(s, shot.frame, self.config, space=space))
            finally:
                info["targets"] = targets
                if overlay or self.config.dry_run or self.config.overlay_dir:
                    self._draw(info, shot, segs, action)
                times["plan_s"] = max(time.perf_counter() - t1 - times["model_s"], 0.0)
            if not acting:
                status = "planned"
                return self._finish(info, times, t0, status, None)
            if self.confirm is not None:
                asked = time.perf_counter()
                allowed = self.confirm(self._record(info, times, 0.0, "planned", None))
                t0 += time.perf_counter() - asked  # the time spent deciding is not the agent's
                if not allowed:
                    status, error = "declined", "the confirm callback declined the action"
                    raise ActionError(error)
            t3 = time.perf_counter()
            try:
                self._act(action, [t.xy_action for t in targets], text=text, amount=amount, enter=enter)
            except ActionError:
                raise
            except Exception as exc:
                if type(exc).__name__ == "FailSafeException":
                    failsafe = exc
                    error = f"pyautogui fail-safe triggered (pointer in a screen corner): {exc}"
                    raise
                raise DisplayError(f"the pointer call failed: {type(exc).__name__}: {exc}") from exc
            finally:
                times["act_s"] = time.perf_counter() - t3
            status = "done"
            return self._finish(info, times, t0, status, None)
        except ActionError as exc:
            if status == "failed" and not isinstance(exc, DisplayError):
                status = "refused"
            record = self._finish(info, times, t0, status, error or str(exc))
            raise AgentActionError(record) from exc
        except BaseException:
            if failsafe is not None:
                self._finish(info, times, t0, "failed", error)
            raise

    def _act(self, action: ActionKind, xys: list[tuple[int, int]], *, text: str | None, amount: int | None, enter: bool) -> None:
        p = self.pointer
        xy = xys[0]
        if action in _BUTTONS:
            button, clicks = _BUTTONS[action]
            p.click(xy, button=button, clicks=clicks)
        elif action == "hover":
            p.move(xy)
        elif action == "drag":
            p.drag(xy, xys[1])
        elif action == "type_into":
            p.click(xy)
            p.write(text or "")
            if enter:
                p.press("enter")
        elif action == "scroll":
            p.scroll(int(amount or 0), xy)
        else:  # pragma: no cover - the action vocabulary is closed
            raise ActionError(f"unknown action {action!r}")

    def _draw(self, info: dict, shot: Screenshot, segs, action: ActionKind) -> None:
        from .. import overlay

        image = shot.image
        targets = info["targets"]  # planned in order, up to the first refusal
        for i, s in enumerate(segs):
            color = _COLORS[i % len(_COLORS)]
            if not s.ok:  # nothing to outline: the caption alone says why, at the top-left corner
                kind, message = (s.error.kind, s.error.message) if s.error is not None else ("unknown", "no result")
                image = overlay.draw_overlay(image, label=f"{kind.replace('_', ' ')}: {s.query}\n{message}", color=color)
                continue
            planned = targets[i] if i < len(targets) else None
            image = overlay.draw_overlay(
                image,
                polygons_xy_norm=[list(p) for p in s.polygons_xy_norm],
                click_xy_norm=planned.xy_norm if planned else None,
                label=(f"{action}: {s.query}" if planned else f"refused: {s.query}") + "\n"
                      + overlay.decision_caption(s.stage, s.words_matched, s.candidates),
                color=color,
            )
        info["overlay"] = image
        if self.config.overlay_dir:
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(info["started_at"]))
            path = Path(self.config.overlay_dir) / f"{stamp}-{int(info['started_at'] * 1000) % 1000:03d}-{action}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            image.save(path, format="PNG")
            info["overlay_path"] = str(path)

    @staticmethod
    def _record(info: dict, times: dict, total_s: float, status: str, error: str | None) -> ActionRecord:
        return ActionRecord(**info, status=status, error=error, latency=ActionLatency(**times, total_s=total_s))

    def _finish(self, info: dict, times: dict, t0: float, status: str, error: str | None) -> ActionRecord:
        record = self._record(info, times, time.perf_counter() - t0, status, error)
        if self.log is not None:
            self.log.write(record)
        return record


def _frame_record(shot: Screenshot, model_input_wh, space: str) -> FrameRecord:
    m = shot.frame.monitor
    return FrameRecord(
        monitor_index=m.index, monitor_xywh=m.xywh, screenshot_wh=shot.frame.screenshot_wh, scale_xy=shot.frame.scale_xy,
        model_input_wh=model_input_wh, model_space=space,
    )


__all__ = ["ConfirmCallback", "ScreenAgent"]
