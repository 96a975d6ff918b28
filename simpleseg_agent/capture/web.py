"""Web pages as captured screens: headless Chromium renders them, its accessibility tree labels them.

For each viewport size, colour scheme and scripted state, :class:`WebCapturer` loads the page
afresh, runs the state's script (or clicks its selector), and reads the page's accessibility tree
(``Accessibility.getFullAXTree``): the role and accessible name the browser itself computed (from
``<label>``, ``aria-label``, text content...), and each element's border box
(``DOM.getBoxModel``). An element is kept when its box lies inside the viewport and the browser's own
hit test (``elementFromPoint``) finds it, or something inside it, at three or more of five interior
points (the centre and four points a quarter in from the corners): elements that are hidden,
scrolled away, or under a dialog are left out; so is a ``<label>`` wrapped around its control (its box is
the control's, and its text is already the control's name). Boxes are in screenshot pixels: CSS pixels times the
device scale factor, which each screen records.

Dark and light themes are the page's own: ``prefers-color-scheme`` is emulated before the page loads,
so a page without a dark style looks the same in both (:attr:`CapturedScreen.meta` ``theme_differs``
says whether the dark screenshot differs from the light one of the same state and viewport).

Example (needs ``chromium``):
    >>> import pathlib, tempfile
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "p.html"
    >>> _ = page.write_text('<button style="position:absolute;left:20px;top:30px;width:80px;height:24px">Save</button>')
    >>> if chromium_path():
    ...     (screen,) = capture_web(page.as_uri(), WebCaptureConfig(viewports_wh=((320, 200),)))
    ...     [(e.role, e.name, e.xyxy_px) for e in screen.elements]
    ... else:
    ...     [('button', 'Save', (20.0, 30.0, 100.0, 54.0))]
    [('button', 'Save', (20.0, 30.0, 100.0, 54.0))]
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from PIL import Image

from ..errors import CaptureError
from .cdp import Chromium, chromium_path
from .elements import CapturedElement, CapturedScreen, normalize_role

__all__ = ["WebCaptureConfig", "WebCapturer", "capture_web", "chromium_path", "page_urls"]

#: An image whose sides are both at most this many CSS pixels is an ``icon``, a bigger one an ``image``.
ICON_MAX_CSS_PX = 48

# Hit test of each element, run in the page: how many of five interior points land on it (or inside it),
# its tag, and whether it holds a form control. Points are in CSS pixels of the viewport.
_HIT_TEST = """function(boxes, ...els) {
  const out = [];
  for (let k = 0; k < els.length; k++) {
    const el = els[k], b = boxes[k];
    if (!el || !b) { out.push([0, "", false]); continue; }
    const root = el.getRootNode && el.getRootNode().elementFromPoint ? el.getRootNode() : document;
    const pts = [[0.5, 0.5], [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]];
    let hits = 0;
    for (const [fx, fy] of pts) {
      const h = root.elementFromPoint(b[0] + fx * (b[2] - b[0]), b[1] + fy * (b[3] - b[1]));
      if (h && (h === el || el.contains(h) || (el.nodeType !== 1 && h.contains(el)))) hits++;
    }
    const control = el.nodeType === 1 && !!el.querySelector("input,select,textarea,button");
    out.push([hits, el.nodeType === 1 ? el.tagName.toLowerCase() : "#text", control]);
  }
  return out;
}"""

# What ``click:text=NAME`` looks among, in document order.
_CLICKABLE = "button,a,[role],input,label,summary,select"

# AX properties worth keeping with an element (its state on this screen).
_STATE_PROPERTIES = ("checked", "expanded", "selected", "disabled", "pressed", "focused", "required", "level")


@dataclass(frozen=True)
class WebCaptureConfig:
    """What to capture of each page.

    Attributes:
        viewports_wh: viewport sizes ``(width, height)`` in CSS pixels; one screen each.
        themes: ``light`` and/or ``dark`` (``prefers-color-scheme``).
        states: scripted states ``(name, script)`` captured besides the page as loaded: ``script`` is
            JavaScript run in the page (a returned promise is awaited) or ``click:SELECTOR`` (a real
            mouse click at the centre of the first shown element matching the CSS selector; ``click:text=Save``:
            of the first button, link or control whose ``aria-label`` or text is ``Save``, else begins with it).
        include_default: also capture the page as loaded (state ``default``).
        device_scale_factor: device pixels per CSS pixel (the screenshot's scale).
        wait_for: a JavaScript expression polled after loading until it is truthy (for pages that
            build themselves after ``load``, such as single-page apps); ``None``: do not wait.
        settle_s: extra time after loading and after a state's script, for transitions to end.
        idle_s: the longest wait for the network to go quiet after ``load``.
        timeout_s: the longest wait for a page to load (and for ``wait_for``).
    """

    viewports_wh: tuple[tuple[int, int], ...] = ((1280, 800),)
    themes: tuple[str, ...] = ("light",)
    states: tuple[tuple[str, str], ...] = ()
    include_default: bool = True
    device_scale_factor: float = 1.0
    wait_for: str | None = None
    settle_s: float = 0.1
    idle_s: float = 3.0
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if not self.viewports_wh or any(len(v) != 2 or not all(isinstance(n, int) and 100 <= n <= 8192 for n in v)
                                        for v in self.viewports_wh):
            raise CaptureError(f"viewports_wh must be (width, height) pairs of integers in 100..8192, got {self.viewports_wh!r}")
        if not self.themes or any(t not in ("light", "dark") for t in self.themes):
            raise CaptureError(f"themes must be 'light' and/or 'dark', got {self.themes!r}")
        names = [n for n, _ in self.states]
        if any(not n or not isinstance(s, str) or not s.strip() for n, s in self.states) or len(set(names)) != len(names) \
                or "default" in names:
            raise CaptureError(f"states must be (name, script) pairs with distinct names other than 'default' and "
                               f"non-empty scripts, got {self.states!r}")
        if not self.include_default and not self.states:
            raise CaptureError("nothing to capture: include_default is off and no states are given")
        if not 0.25 <= self.device_scale_factor <= 4:
            raise CaptureError(f"device_scale_factor must be in 0.25..4, got {self.device_scale_factor!r}")


def page_urls(target: str | Path) -> list[str]:
    """The pages ``target`` names: a ``http(s)://`` or ``file://`` URL, an HTML file, or a folder of them.

    Raises :class:`~simpleseg_agent.errors.CaptureError` for anything else (a missing path, a folder
    without ``.html`` files, another URL scheme).

    Example:
        >>> page_urls("http://localhost:8000/")
        ['http://localhost:8000/']
        >>> page_urls("/no/such/folder")
        Traceback (most recent call last):
        ...
        simpleseg_agent.errors.CaptureError: no such page or folder: /no/such/folder (expected a http(s):// or file:// URL, an HTML file or a folder of them)
    """
    text = str(target)
    scheme = urlparse(text).scheme
    if scheme in ("http", "https", "file"):
        return [text]
    if scheme and len(scheme) > 1:
        raise CaptureError(f"cannot capture a {scheme}:// URL: {text} (expected http(s):// or file://)")
    path = Path(text)
    if path.is_dir():
        pages = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".html", ".htm") and p.is_file())
        if not pages:
            raise CaptureError(f"no .html files in {path}")
        return [p.resolve().as_uri() for p in pages]
    if path.is_file():
        return [path.resolve().as_uri()]
    raise CaptureError(f"no such page or folder: {text} (expected a http(s):// or file:// URL, an HTML file or a folder of them)")


def _source_name(url: str) -> str:
    u = urlparse(url)
    if u.scheme == "file":
        return "web:" + Path(u.path).stem
    return "web:" + (u.netloc + u.path).rstrip("/").replace("/", "_")


class WebCapturer:
    """One browser that captures pages; use it as a context manager (``close`` stops the browser)."""

    def __init__(self, config: WebCaptureConfig | None = None, *, executable: str | None = None) -> None:
        self.config = config or WebCaptureConfig()
        self.browser = Chromium(executable, timeout_s=self.config.timeout_s)
        for domain in ("Page", "DOM", "Accessibility", "Runtime"):
            self.browser.call(f"{domain}.enable")
        self.browser.call("Page.setLifecycleEventsEnabled", {"enabled": True})

    def close(self) -> None:
        """Stop the browser."""
        self.browser.close()

    def __enter__(self) -> WebCapturer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading -----------------------------------------------------------------------------
    def load(self, url: str, viewport_wh: tuple[int, int], theme: str) -> None:
        """Load ``url`` in a ``viewport_wh`` viewport with ``prefers-color-scheme: theme``; raises when it does not load."""
        b, cfg = self.browser, self.config
        b.call("Emulation.setDeviceMetricsOverride", {"width": viewport_wh[0], "height": viewport_wh[1],
                                                      "deviceScaleFactor": cfg.device_scale_factor, "mobile": False})
        b.call("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": theme}]})
        # every screen from a fresh page: no theme or menu state a page kept in its storage from the last load
        u = urlparse(url)
        b.call("Storage.clearDataForOrigin", {"origin": f"{u.scheme}://{u.netloc}", "storageTypes": "all"})
        b.events.clear()
        nav = b.call("Page.navigate", {"url": url})
        if nav.get("errorText"):
            raise CaptureError(f"cannot load {url}: {nav['errorText']}")
        if b.wait_event("Page.loadEventFired", cfg.timeout_s) is None:
            raise CaptureError(f"{url} did not finish loading within {cfg.timeout_s:g} s")
        if not url.startswith("file:"):  # a local file's subresources are in by "load"; a server's page may fetch more
            b.wait_event("Page.lifecycleEvent", cfg.idle_s, {"name": "networkIdle", "loaderId": nav.get("loaderId")})
        if cfg.wait_for:
            self._wait_for(cfg.wait_for, url)
        self._settle()

    def _wait_for(self, expression: str, url: str) -> None:
        deadline = time.monotonic() + self.config.timeout_s
        while True:
            r = self.browser.call("Runtime.evaluate", {"expression": f"!!({expression})", "returnByValue": True})
            if r.get("result", {}).get("value") is True:
                return
            if time.monotonic() > deadline:
                raise CaptureError(f"{url}: {expression!r} did not become true within {self.config.timeout_s:g} s")
            time.sleep(0.1)

    def _settle(self) -> None:
        self.browser.call("Runtime.evaluate", {
            "expression": "document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => "
                          "requestAnimationFrame(() => r(1)))))", "awaitPromise": True})
        if self.config.settle_s > 0:
            time.sleep(self.config.settle_s)

    def apply_state(self, name: str, script: str) -> None:
        """Run a state's script (or ``click:SELECTOR``) on the loaded page; raises when it fails."""
        b = self.browser
        if script.startswith("click:"):
            selector = script[len("click:"):].strip()
            shown = ("const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 "
                     "&& getComputedStyle(e).visibility !== 'hidden'; }; ")
            find = (f"(() => {{ {shown} return [...document.querySelectorAll({_js_string(selector)})].find(shown); }})()"
                    if not selector.startswith("text=") else
                    f"((want) => {{ {shown} const els = [...document.querySelectorAll({_js_string(_CLICKABLE)})].filter(shown); "
                    "const t = e => (e.getAttribute('aria-label') || e.innerText || e.value || '').replace(/\\s+/g, ' ').trim(); "
                    "return els.find(e => t(e) === want) || els.find(e => t(e).startsWith(want)); })"
                    f"({_js_string(' '.join(selector[len('text='):].split()))})")
            r = b.call("Runtime.evaluate", {"returnByValue": True, "expression": (
                f"(() => {{ const e = {find}; if (!e) return null; "
                "e.scrollIntoView({block: 'nearest'}); const r = e.getBoundingClientRect(); "
                "return [r.left + r.width / 2, r.top + r.height / 2]; })()")})
            xy = r.get("result", {}).get("value")
            if not xy:
                raise CaptureError(f"state {name!r}: no element matches {selector!r}")
            for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
                b.call("Input.dispatchMouseEvent", {"type": kind, "x": xy[0], "y": xy[1], "button": "left",
                                                    "clickCount": 0 if kind == "mouseMoved" else 1})
        else:
            r = b.call("Runtime.evaluate", {"expression": script, "awaitPromise": True, "returnByValue": True})
            if "exceptionDetails" in r:
                detail = r["exceptionDetails"].get("exception", {}).get("description") or r["exceptionDetails"].get("text")
                raise CaptureError(f"state {name!r}: its script failed: {str(detail).splitlines()[0]}")
        self._settle()

    # -- reading -----------------------------------------------------------------------------
    def screenshot(self) -> Image.Image:
        """The viewport as an RGB image (device pixels)."""
        shot = self.browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})
        with Image.open(io.BytesIO(base64.b64decode(shot["data"]))) as im:
            return im.convert("RGB")

    def elements(self, viewport_wh: tuple[int, int]) -> list[CapturedElement]:
        """The visible, unobscured elements of the loaded page that have a role of :data:`~.elements.ROLES`."""
        b, dsf = self.browser, self.config.device_scale_factor
        nodes = b.call("Accessibility.getFullAXTree").get("nodes", [])
        by_id = {n["nodeId"]: n for n in nodes}
        wanted = []
        for n in nodes:
            engine_role = str(n.get("role", {}).get("value", ""))
            role = normalize_role(engine_role)
            if n.get("ignored") or role == "other" or "backendDOMNodeId" not in n:
                continue
            wanted.append((n, engine_role, role))
        if not wanted:
            return []
        replies = b.call_many([("DOM.getBoxModel", {"backendNodeId": n["backendDOMNodeId"]}) for n, _, _ in wanted]
                              + [("DOM.resolveNode", {"backendNodeId": n["backendDOMNodeId"]}) for n, _, _ in wanted])
        boxes, objects = replies[: len(wanted)], replies[len(wanted):]
        W, H = viewport_wh
        css_boxes: list[list[float] | None] = []
        for box in boxes:
            quad = box.get("model", {}).get("border")
            if not quad:
                css_boxes.append(None)
                continue
            xs, ys = quad[0::2], quad[1::2]
            x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
            inside = x1 - x0 >= 2 and y1 - y0 >= 2 and x0 >= -0.5 and y0 >= -0.5 and x1 <= W + 0.5 and y1 <= H + 0.5
            css_boxes.append([x0, y0, x1, y1] if inside else None)
        args = [{"value": css_boxes}] + [{"objectId": o["object"]["objectId"]} if "object" in o else {"value": None}
                                         for o in objects]
        doc = b.call("Runtime.evaluate", {"expression": "document"})["result"]["objectId"]
        hits = b.call("Runtime.callFunctionOn", {"functionDeclaration": _HIT_TEST, "objectId": doc, "arguments": args,
                                                 "returnByValue": True})["result"]["value"]
        b.call_many([("Runtime.releaseObject", {"objectId": o["object"]["objectId"]}) for o in objects if "object" in o])
        out = []
        for (n, engine_role, role), css, (n_hits, tag, holds_control) in zip(wanted, css_boxes, hits):
            if css is None or n_hits < 3:
                continue
            if role == "label" and holds_control:  # a <label> around its input: the box is the control's, its text the control's name
                continue
            x0, y0, x1, y1 = css
            if role == "image" and max(x1 - x0, y1 - y0) <= ICON_MAX_CSS_PX:
                role = "icon"
            props = {p["name"]: p.get("value", {}).get("value") for p in n.get("properties", [])
                     if p.get("name") in _STATE_PROPERTIES}
            name = _clean_name(str(n.get("name", {}).get("value", ""))) or _clean_name(_text_of(n, by_id))
            out.append(CapturedElement(
                role=role, name=name,
                xyxy_px=(round(max(0.0, x0) * dsf, 2), round(max(0.0, y0) * dsf, 2),
                         round(min(W, x1) * dsf, 2), round(min(H, y1) * dsf, 2)),
                engine_role=engine_role,
                meta={"tag": tag, "hits": n_hits, "dom_node": n["backendDOMNodeId"], **props},
            ))
        return out

    def capture(self, url: str, *, viewport_wh: tuple[int, int] = (1280, 800), theme: str = "light",
                state: tuple[str, str] | None = None, source: str | None = None) -> CapturedScreen:
        """Load ``url`` and capture one screen (after ``state = (name, script)`` when given)."""
        t0 = time.perf_counter()
        self.load(url, viewport_wh, theme)
        if state is not None:
            self.apply_state(*state)
        elements = self.elements(viewport_wh)
        image = self.screenshot()
        return CapturedScreen(
            image=image, elements=tuple(elements), source=source or _source_name(url), toolkit="web", theme=theme,
            device_scale_factor=self.config.device_scale_factor, state="default" if state is None else state[0],
            meta={"url": url, "viewport_wh": list(viewport_wh), "engine": "chromium",
                  "seconds": round(time.perf_counter() - t0, 3)},
        )

    def capture_all(self, url: str, *, source: str | None = None) -> Iterator[CapturedScreen]:
        """Every configured viewport x theme x state of ``url``."""
        cfg = self.config
        states: list[tuple[str, str] | None] = ([None] if cfg.include_default else []) + list(cfg.states)
        for viewport in cfg.viewports_wh:
            for state in states:
                light = None
                for theme in cfg.themes:
                    screen = self.capture(url, viewport_wh=viewport, theme=theme, state=state, source=source)
                    if theme == "light":
                        light = screen.image
                    elif light is not None:
                        screen.meta["theme_differs"] = light.tobytes() != screen.image.tobytes()
                    yield screen


def _clean_name(name: str) -> str:
    """Whitespace collapsed, and a name said twice said once ("Settings Settings": an icon's alt text beside the same
    word).

    Example:
        >>> _clean_name("  Settings  Settings "), _clean_name("Save as"), _clean_name("Open Recent Open Recent")
        ('Settings', 'Save as', 'Open Recent')
    """
    words = name.split()
    half = len(words) // 2
    if words and len(words) % 2 == 0 and words[:half] == words[half:]:
        words = words[:half]
    return " ".join(words)


def _text_of(node: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> str:
    """The words of a node's text descendants (a ``<label>`` has no accessible name of its own)."""
    words: list[str] = []
    stack = list(reversed(node.get("childIds", [])))
    while stack and len(words) < 40:
        child = by_id.get(stack.pop())
        if child is None:
            continue
        if child.get("role", {}).get("value") in ("StaticText", "text"):
            words.extend(str(child.get("name", {}).get("value", "")).split())
        else:
            stack.extend(reversed(child.get("childIds", [])))
    return " ".join(words)


def _js_string(text: str) -> str:
    return json.dumps(text)


def capture_web(target: str | Path | Sequence[str], config: WebCaptureConfig | None = None, *,
                source: str | None = None, executable: str | None = None) -> list[CapturedScreen]:
    """Capture every page ``target`` names (see :func:`page_urls`; or a list of URLs) in every configured
    viewport, theme and state, with one browser.

    Raises :class:`~simpleseg_agent.errors.CaptureError` when a page does not load or a state's script fails.
    """
    urls = [u for t in ([target] if isinstance(target, (str, Path)) else target) for u in page_urls(t)]
    with WebCapturer(config, executable=executable) as capturer:
        return [s for url in urls for s in capturer.capture_all(url, source=source)]
