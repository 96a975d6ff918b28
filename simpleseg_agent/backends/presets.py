"""Model presets: plug a checkpoint in by name, with its coordinate space and prompt style.

Example:
    >>> PRESETS["simpleseg-qwen2.5-vl"].coord_space.value
    'norm'
    >>> PRESETS["qwen3-vl-8b"].coord_space.value
    '1000'
"""

from __future__ import annotations

from pathlib import Path

from ..grammar import CoordSpace
from .base import ModelPreset

#: The model shipped inside the package (``simpleseg_agent/models/simpleseg-gui-small``), the default of
#: every command: a 4.9 M-parameter Qwen2.5-VL trained by ``tools/train_default_model.py`` on generated
#: GUI screens; it answers in the compact style (integers 0-999), decoded with the answer grammar.
DEFAULT_MODEL = "simpleseg-gui-small"


def default_model_dir() -> Path:
    """The folder of the shipped default model (inside the installed package).

    Example:
        >>> default_model_dir().name
        'simpleseg-gui-small'
    """
    return Path(__file__).resolve().parent.parent / "models" / DEFAULT_MODEL


PRESETS: dict[str, ModelPreset] = {
    p.name: p
    for p in (
        ModelPreset(
            DEFAULT_MODEL, str(default_model_dir()), CoordSpace.THOUSAND, "simpleseg", max_new_tokens=160,
            description="the shipped default: 4.9 M-parameter Qwen2.5-VL for generated-style GUI screens (CPU)",
            constrained=True,  # its few broken lists (about 1 % of answers) become well-formed ones
            snap=True,  # a model of screens: its outlines snap to the screen's elements (docs/default-model.md)
            # trained to choose among the screen's element boxes (`simpleseg train choose`): it picks from the
            # whole screen by its own likelihood, as its model card declares
            snap_reach=100.0, snap_overlap_weight=0.0,
            # it cannot read its labels: the screen's words, read by Tesseract where it is installed, pick
            # between elements of the asked kind (7 nats, the start of the plateau 7-9 on the validation
            # screens with the extent model; 5 with the contrast model, which it was first chosen for)
            snap_read_weight=7.0,
            # it places a word's box a few pixels too tight or too loose (a tenth of an image patch): a chosen
            # line of text takes its ink grown by 15 % of its height, the generator's label margin
            snap_text_grow=0.15,
            # ... and the other shapes it chooses take their outline from the pixels: a filled or bordered
            # element its own box and rounded corners, an icon's glyph grows by a quarter of its short side
            # with corners rounded by a quarter (the best of 0.15-0.35 and 0-0.5 on the validation screens)
            snap_icon_grow=0.25, snap_icon_round=0.25,
            # its sense of kinds is weak: a candidate whose pixels show the kind the query names (a switch's
            # pill, a checkbox's or a maximize control's square, a dropdown's chevron, a field's left-aligned
            # text, a link's rule) gains 7 nats (4-7 the plateau on the validation screens)
            snap_kind_weight=7.0,
        ),
        ModelPreset(
            "simpleseg-qwen2.5-vl", "sthui/SimpleSeg-Qwen2.5-VL", CoordSpace.NORM, "simpleseg",
            description="SimpleSeg on Qwen2.5-VL-7B: polygons, normalized coordinates, the released prompts",
            target_style="released",  # fine-tune it on targets written as it writes its answers
        ),
        ModelPreset(
            "simpleseg-kimi-vl", "sthui/SimpleSeg-Kimi-VL", CoordSpace.NORM, "simpleseg", trust_remote_code=True,
            description="SimpleSeg on Kimi-VL (16B-A3B MoE, custom code: trust_remote_code)",
            target_style="released",
        ),
        ModelPreset(
            "qwen2.5-vl-3b", "Qwen/Qwen2.5-VL-3B-Instruct", CoordSpace.PIXELS, "grounding", max_new_tokens=256,
            description="base Qwen2.5-VL-3B: boxes/points in pixels of the resized image (no polygons)",
        ),
        ModelPreset(
            "qwen2.5-vl-7b", "Qwen/Qwen2.5-VL-7B-Instruct", CoordSpace.PIXELS, "grounding", max_new_tokens=256,
            description="base Qwen2.5-VL-7B: boxes/points in pixels of the resized image (no polygons)",
        ),
        ModelPreset(
            "qwen2-vl-7b", "Qwen/Qwen2-VL-7B-Instruct", CoordSpace.THOUSAND, "grounding", max_new_tokens=256,
            description="base Qwen2-VL-7B: boxes/points on a 0-1000 grid (no polygons)",
        ),
        ModelPreset(
            "qwen3-vl-8b", "Qwen/Qwen3-VL-8B-Instruct", CoordSpace.THOUSAND, "grounding", max_new_tokens=256,
            description="base Qwen3-VL-8B: boxes/points on a 0-1000 grid (no polygons)",
        ),
    )
}

#: Prompts for base grounding models, which answer boxes and points but were not trained on polygons.
GROUNDING_PROMPTS: dict[str, str] = {
    "box": 'Locate {q} in the image and output its bounding box as JSON: {{"bbox_2d": [x1, y1, x2, y2]}}.',
    "point": 'Point to {q} in the image and output the point as JSON: {{"point_2d": [x, y]}}.',
}

DEFAULT_PRESET = ModelPreset("custom", "", CoordSpace.NORM, "simpleseg", description="a SimpleSeg-style checkpoint")
