"""Synthetic training data for domains without data yet: GUI screens and anime-style drawings.

Every generator returns :class:`~simpleseg_agent.training.records.Record` objects (exact polygons,
referring expressions unique on their image) and writes ``images/`` + ``records.jsonl`` folders,
deterministically for a seed. ``contact_sheet`` draws a folder's records for a person to check.

Example:
    >>> from simpleseg_agent.training.synth import GuiScreenGenerator, GuiSynthConfig
    >>> image, records = GuiScreenGenerator(GuiSynthConfig(difficulty="easy")).screen(3, seed=0)
    >>> all(0.0 <= v <= 1.0 for r in records for p in r.region.polygons for v in p.ravel())
    True
"""

from ...mockup.fonts import available_fonts
from ._common import SynthConfigError, SynthSample
from .anime import ANIME_PRESETS, CATEGORY_WORDS, AnimeSceneGenerator, AnimeSynthConfig
from .contact_sheet import contact_sheet
from .dataset import DatasetSummary, write_dataset
from .gui import DIFFICULTIES, GUI_PRESETS, GuiScreenGenerator, GuiSynthConfig

__all__ = [
    "ANIME_PRESETS", "AnimeSceneGenerator", "AnimeSynthConfig", "CATEGORY_WORDS", "DIFFICULTIES", "GUI_PRESETS",
    "DatasetSummary", "GuiScreenGenerator", "GuiSynthConfig", "SynthConfigError",
    "SynthSample", "available_fonts", "contact_sheet", "write_dataset",
]
