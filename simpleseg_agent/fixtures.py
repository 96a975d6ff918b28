"""Screens for the demo and the tests: a generated screen that holds a given button, never a training screen.

:func:`find_button_screen` searches the screen generator's layouts deterministically, from a start seed on,
skipping the default model's training seeds (:data:`TRAINING_SEEDS`), and renders the one it finds with the
Pillow engine; :class:`~simpleseg_agent.agent.tk_layout.LayoutWindow` shows it as a real window. The generator
is imported only when a screen is searched, so importing this module (and the demo) loads no training module.

Example (no display needed):
    >>> screen = find_button_screen("Submit")
    >>> screen.element.kind, screen.element.text, screen.image.size == screen.layout.size_wh
    ('button', 'Submit', True)
    >>> screen.seed == find_button_screen("Submit").seed  # deterministic
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from .errors import NotFoundError, SimpleSegError
from .mockup.layout import Element, ScreenLayout

#: Seeds of the default model's training screens (every stage of
#: :data:`simpleseg_agent.training.default_model.TRAINING_DATA`, which a test checks against this list):
#: never shown by the demo.
TRAINING_SEEDS: tuple[int, ...] = (1, 3, 5, 7, 11, 13, 15, 17)


@dataclass(frozen=True)
class ButtonScreen:
    """A generated screen holding the wanted button: ``screen(index, seed)`` of the generator."""

    seed: int
    index: int
    difficulty: str
    image: Image.Image
    layout: ScreenLayout
    element_index: int

    @property
    def element(self) -> Element:
        return self.layout.elements[self.element_index]


def find_button_screen(
    text: str = "Submit",
    *,
    start_seed: int = 0,
    max_seeds: int = 2000,
    index: int = 0,
    difficulty: str = "easy",
    skip_seeds: tuple[int, ...] = TRAINING_SEEDS,
) -> ButtonScreen:
    """The first screen ``index`` of seed ``start_seed``, ``start_seed + 1``, ... that holds exactly one
    ``button`` whose text is ``text`` (case-insensitive), rendered with the Pillow engine.

    Only layouts are built while searching (about 2 ms each); the found one is rendered once.

    Raises:
        NotFoundError: no such screen among ``max_seeds`` seeds (the message names the button texts seen).
        SimpleSegError: an empty ``text`` or a bad ``max_seeds``.
    """
    from .mockup.draw import render_pil
    from .training.synth.gui import GuiScreenGenerator, GuiSynthConfig  # the generator: only when a screen is searched

    if not isinstance(text, str) or not text.strip():
        raise SimpleSegError(f"the button text must be a non-empty string such as 'Submit', got {text!r}")
    if isinstance(max_seeds, bool) or not isinstance(max_seeds, int) or max_seeds < 1:
        raise SimpleSegError(f"max_seeds must be an int >= 1, got {max_seeds!r}")
    gen = GuiScreenGenerator(GuiSynthConfig(difficulty=difficulty, engine="pil"))
    wanted = text.strip().casefold()
    seen: set[str] = set()
    for seed in range(int(start_seed), int(start_seed) + max_seeds):
        if seed in skip_seeds:
            continue
        layout = gen.layout(index, seed)
        hits = [i for i, el in enumerate(layout.elements) if el.kind == "button" and el.text.casefold() == wanted]
        seen.update(el.text for el in layout.elements if el.kind == "button")
        if len(hits) == 1:
            return ButtonScreen(seed, index, difficulty, render_pil(layout), layout, hits[0])
    shown = ", ".join(sorted(seen)[:12]) or "none"
    raise NotFoundError(f"no {difficulty} screen among seeds {start_seed}..{start_seed + max_seeds - 1} has a "
                        f"{text!r} button (button texts seen: {shown})")


__all__ = ["TRAINING_SEEDS", "ButtonScreen", "find_button_screen"]
