"""What a capture engine returns: a real screenshot and the true boxes of its elements.

Every engine (Chromium through the DevTools protocol, AT-SPI for GTK / Qt / wx, Tk's widget tree)
turns its own element tree into :class:`CapturedScreen`; :mod:`simpleseg_agent.capture.records`
turns screens into the records ``simpleseg data synth`` writes. Roles are mapped onto one small
vocabulary (:data:`ROLES`) so a query reads the same whatever engine drew the element.

Example:
    >>> from PIL import Image
    >>> e = CapturedElement(role=normalize_role("push button"), name="OK", xyxy_px=(10, 20, 90, 44))
    >>> s = CapturedScreen(image=Image.new("RGB", (200, 100)), elements=(e,), source="demo", toolkit="gtk")
    >>> s.resolution_wh, s.elements[0].role
    ((200, 100), 'button')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The roles a captured element can have, after mapping the engine's own role names.
ROLES = (
    "button", "link", "field", "checkbox", "radio", "select", "tab", "menuitem", "heading", "label",
    "icon", "image", "slider", "switch", "spinbutton", "listitem", "treeitem", "other",
)

# ARIA roles (Chromium's accessibility tree) and AT-SPI role names (GTK, Qt, wx) -> our roles.
ROLE_MAP = {
    # ARIA / Chromium
    "button": "button", "link": "link", "textbox": "field", "searchbox": "field", "combobox": "select",
    "listbox": "select", "checkbox": "checkbox", "radio": "radio", "tab": "tab", "menuitem": "menuitem",
    "menuitemcheckbox": "menuitem", "menuitemradio": "menuitem", "heading": "heading",
    "labeltext": "label", "img": "image", "image": "image", "slider": "slider", "switch": "switch",
    "spinbutton": "spinbutton", "listitem": "listitem", "option": "listitem", "treeitem": "treeitem",
    "popupbutton": "button", "togglebutton": "button",
    # AT-SPI
    "push button": "button", "toggle button": "button", "text": "field", "entry": "field",
    "password text": "field", "combo box": "select", "check box": "checkbox", "radio button": "radio",
    "page tab": "tab", "menu item": "menuitem", "check menu item": "menuitem", "radio menu item": "menuitem",
    "label": "label", "icon": "icon", "spin button": "spinbutton", "list item": "listitem",
    "table cell": "listitem", "tree item": "treeitem", "check button": "checkbox",
    # Tk widget classes (lower-cased winfo_class; Button, Entry, Label, Text are covered above)
    "tbutton": "button", "tentry": "field", "checkbutton": "checkbox", "tcheckbutton": "checkbox",
    "radiobutton": "radio", "tradiobutton": "radio", "tlabel": "label", "scale": "slider", "tscale": "slider",
    "spinbox": "spinbutton", "tspinbox": "spinbutton", "tcombobox": "select", "menubutton": "button",
    "tmenubutton": "button",
}


def normalize_role(engine_role: str) -> str:
    """Map an engine's role name (ARIA ``textbox``, AT-SPI ``push button``) onto :data:`ROLES`.

    Example:
        >>> normalize_role("textbox"), normalize_role("check box"), normalize_role("scroll pane")
        ('field', 'checkbox', 'other')
    """
    return ROLE_MAP.get(engine_role.strip().lower(), "other")


@dataclass(frozen=True)
class CapturedElement:
    """One element as its engine reports it.

    Attributes:
        role: one of :data:`ROLES`.
        name: the accessible name ('' when the element has none).
        xyxy_px: its box in screenshot pixels (device pixels), clipped to the screenshot.
        engine_role: the engine's own role name (``push button``, ``textbox``).
        polygon_xy_px: its exact outline in screenshot pixels, where the tree gives one (else ``None``).
        meta: anything else worth keeping (toolkit class, states, DOM tag).
    """

    role: str
    name: str
    xyxy_px: tuple[float, float, float, float]
    engine_role: str = ""
    polygon_xy_px: tuple[tuple[float, float], ...] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CapturedScreen:
    """A screenshot and the elements on it.

    Attributes:
        image: the RGB screenshot (PIL), in device pixels.
        elements: the visible, unobscured elements inside the screenshot.
        source: the app or site (``gtk3-widget-factory``, ``web:login-form``); benchmarks split by it.
        toolkit: ``web``, ``gtk``, ``qt``, ``wx`` or ``tk``.
        theme: ``light`` or ``dark``.
        device_scale_factor: device pixels per CSS / logical pixel.
        state: the scripted state captured (``default``, ``dialog-open``, ``menu-expanded``).
        meta: anything else worth keeping (URL, command line, toolkit version).
    """

    image: Any
    elements: tuple[CapturedElement, ...]
    source: str
    toolkit: str
    theme: str = "light"
    device_scale_factor: float = 1.0
    state: str = "default"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the screenshot in pixels."""
        return tuple(self.image.size)
