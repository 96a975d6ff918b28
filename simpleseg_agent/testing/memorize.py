"""Teach a tiny checkpoint a handful of exact answers, so end-to-end tests have a model that is right.

:func:`memorize` is a plain-torch fine-tuning loop: the prompt goes through the same chat template and
processor as inference (:class:`~simpleseg_agent.backends.transformers_backend.TransformersBackend`),
the answer follows as the assistant turn, and the loss covers the answer tokens and the closing
``<|im_end|>`` only (teacher forcing). The result is a checkpoint folder that loads like any other.

:func:`synthetic_examples` draws the default training set: four flat-colored polygons (4-8 vertices) on
distinct backgrounds, at four image sizes, each asked with a different prompt template, answered in the
reference style (``[[[0.250, 0.300], ...]].``).

Example (not run by doctest: it needs torch)::

    from simpleseg_agent.testing import tiny_model_dir
    from simpleseg_agent.testing.memorize import memorize, synthetic_examples
    folder = memorize(tiny_model_dir(), synthetic_examples(), steps=300, out_dir="/tmp/memorized")
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from .._optional import require
from ..errors import ModelError

__all__ = ["MemorizeExample", "MemorizeReport", "memorize", "screen_example", "synthetic_examples", "tool_examples"]

_FEATURE = "memorize (tiny-model fine-tuning for tests)"


@dataclass(frozen=True)
class MemorizeExample:
    """One training item: an RGB image, the user prompt, the exact answer text, and (optionally) its polygons."""

    image: Image.Image
    prompt: str
    answer: str
    polygons_xy_norm: tuple = field(default=(), compare=False)
    query: str = field(default="", compare=False)


@dataclass(frozen=True)
class MemorizeReport:
    """What :func:`memorize` did; also written to ``simpleseg_model.json`` under ``"memorize"``."""

    steps: int
    seconds: float
    first_loss: float
    final_loss: float
    stopped_early: bool


# (query, fill, background, image size, polygon). Vertices clockwise with y pointing down, like the paper.
_SHAPES: tuple[tuple[str, tuple[int, int, int], tuple[int, int, int], tuple[int, int], tuple], ...] = (
    ("the red square", (220, 30, 30), (240, 240, 240), (160, 120),
     ((0.250, 0.300), (0.550, 0.300), (0.550, 0.700), (0.250, 0.700))),
    ("the blue triangle", (30, 60, 220), (250, 230, 120), (120, 160),
     ((0.500, 0.150), (0.850, 0.750), (0.150, 0.750))),
    ("the green hexagon", (40, 180, 60), (40, 40, 40), (200, 120),
     ((0.400, 0.200), (0.650, 0.200), (0.800, 0.500), (0.650, 0.800), (0.400, 0.800), (0.250, 0.500))),
    ("the orange star", (250, 140, 20), (60, 90, 160), (144, 144),
     ((0.500, 0.100), (0.600, 0.400), (0.900, 0.500), (0.600, 0.600), (0.500, 0.900), (0.400, 0.600),
      (0.100, 0.500), (0.400, 0.400))),
)


def synthetic_examples(n: int = 4) -> list[MemorizeExample]:
    """``n`` (at most 4) fixed examples: a distinct shape, colors, image size and prompt template each.

    Example:
        >>> ex = synthetic_examples()
        >>> [e.image.size for e in ex]
        [(160, 120), (120, 160), (200, 120), (144, 144)]
        >>> ex[0].prompt, ex[0].answer
        ('What is the polygon of the red square in the image?', '[[[0.250, 0.300], [0.550, 0.300], [0.550, 0.700], [0.250, 0.700]]].')
    """
    from ..grammar import format_polygons
    from ..prompts import PROMPT_TEMPLATES, training_answer

    if not 1 <= n <= len(_SHAPES):
        raise ValueError(f"n must be in 1..{len(_SHAPES)}, got {n}")
    templates = PROMPT_TEMPLATES[("text", "mask")]
    examples = []
    for k, (query, fill, background, (w, h), poly) in enumerate(_SHAPES[:n]):
        image = Image.new("RGB", (w, h), background)
        ImageDraw.Draw(image).polygon([(x * w, y * h) for x, y in poly], fill=fill)
        examples.append(
            MemorizeExample(
                image=image,
                prompt=templates[(2 * k) % len(templates)].format(q=query),
                answer=training_answer(format_polygons([poly])),
                polygons_xy_norm=(poly,),
                query=query,
            )
        )
    return examples


def screen_example() -> MemorizeExample:
    """A 1920x1080 screen with one button, asked for "the submit button" (for latency benchmarks).

    Example:
        >>> ex = screen_example()
        >>> ex.image.size, ex.query
        ((1920, 1080), 'the submit button')
    """
    from ..grammar import format_polygons
    from ..prompts import Query, build_prompt, training_answer

    w, h = 1920, 1080
    poly = ((0.450, 0.600), (0.550, 0.600), (0.550, 0.660), (0.450, 0.660))
    image = Image.new("RGB", (w, h), (236, 239, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0.30 * w, 0.30 * h, 0.70 * w, 0.72 * h), fill=(255, 255, 255), outline=(180, 184, 190))
    draw.polygon([(x * w, y * h) for x, y in poly], fill=(37, 99, 235))
    return MemorizeExample(
        image=image,
        prompt=build_prompt(Query.text("the submit button")),
        answer=training_answer(format_polygons([poly])),
        polygons_xy_norm=(poly,),
        query="the submit button",
    )


def tool_examples(n: int = 4) -> list[MemorizeExample]:
    """The same scenes asked exactly as the tools ask (the default ``text -> mask`` and
    ``text -> point`` phrasing), answered with the polygon and with the shape's click target;
    then :func:`screen_example`.

    Example:
        >>> ex = tool_examples(1)
        >>> [(e.prompt, e.answer) for e in ex][1]
        ('Point to the red square in the image.', '[0.400, 0.500].')
    """
    from ..geometry import Region, click_target
    from ..grammar import format_point
    from ..prompts import Query, build_prompt, training_answer

    out = []
    for ex, (query, *_rest) in zip(synthetic_examples(n), _SHAPES[:n]):
        target = click_target(Region.from_polygons(ex.polygons_xy_norm), ex.image.size)
        out.append(
            MemorizeExample(
                image=ex.image, prompt=build_prompt(Query.text(query)), answer=ex.answer,
                polygons_xy_norm=ex.polygons_xy_norm, query=query,
            )
        )
        out.append(
            MemorizeExample(
                image=ex.image,
                prompt=build_prompt(Query.text(query), "point"),
                answer=training_answer(format_point(target.xy_norm)),
                polygons_xy_norm=ex.polygons_xy_norm,
                query=query,
            )
        )
    return out + [screen_example()]


def _encode(processor, examples: Sequence[MemorizeExample]):
    """Right-padded batch with labels on the answer tokens (and ``<|im_end|>``) only."""
    torch = require("torch", extra="model", feature=_FEATURE)
    tok = processor.tokenizer
    end_id = tok.convert_tokens_to_ids("<|im_end|>")
    rows, pixel_values, grids = [], [], []
    for ex in examples:
        user = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": ex.prompt}]}]
        prompt_text = processor.apply_chat_template(user, add_generation_prompt=True, tokenize=False)
        enc = processor(text=[prompt_text], images=[ex.image.convert("RGB")], return_tensors="pt")
        prompt_ids = enc["input_ids"][0].tolist()
        answer_ids = tok(ex.answer, add_special_tokens=False)["input_ids"]
        # Same ids the chat template would give "<prompt><answer><|im_end|>": the prompt ends with "\n"
        # and the pre-tokenizer never merges a newline into the following text.
        ids = prompt_ids + answer_ids + [end_id]
        labels = [-100] * len(prompt_ids) + answer_ids + [end_id]
        # mm_token_type_ids marks the image tokens; without it Qwen2.5-VL silently falls back to 1-D text
        # positions in training while generation uses 3-D (M-RoPE) ones, and nothing learned transfers.
        types = enc["mm_token_type_ids"][0].tolist() if "mm_token_type_ids" in enc else [0] * len(prompt_ids)
        types += [0] * (len(answer_ids) + 1)
        rows.append((ids, labels, types))
        pixel_values.append(enc["pixel_values"])
        grids.append(enc["image_grid_thw"])
    width = max(len(ids) for ids, _, _ in rows)
    pad = tok.pad_token_id
    input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    mm_types = torch.zeros((len(rows), width), dtype=torch.int)
    for i, (ids, lab, types) in enumerate(rows):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        labels[i, : len(lab)] = torch.tensor(lab)
        attention[i, : len(ids)] = 1
        mm_types[i, : len(types)] = torch.tensor(types, dtype=torch.int)
    return {
        "input_ids": input_ids,
        "attention_mask": attention,
        "labels": labels,
        "mm_token_type_ids": mm_types,
        "pixel_values": torch.cat(pixel_values),
        "image_grid_thw": torch.cat(grids),
    }


def memorize(
    model_dir: str | Path,
    examples: Sequence[MemorizeExample],
    *,
    steps: int = 300,
    lr: float = 3e-3,
    out_dir: str | Path,
    seed: int = 0,
    stop_loss: float | None = 1e-3,
    num_threads: int | None = None,
) -> Path:
    """Fine-tune the checkpoint in ``model_dir`` until it answers ``examples`` verbatim; save to ``out_dir``.

    Args:
        model_dir: a checkpoint folder (e.g. :func:`~simpleseg_agent.testing.tiny_model_dir`).
        examples: the (image, prompt, answer) items; all are trained in every step (one batch).
        steps: maximum optimizer steps (AdamW, constant ``lr``, gradient norm clipped to 1).
        lr: learning rate; 3e-3 suits the 1.4 M-parameter tiny model, not a real one.
        out_dir: folder to write (created; existing files overwritten).
        seed: seeds the torch generator for the run (restored afterwards).
        stop_loss: stop once the mean answer-token loss is below this (``None``: run all ``steps``).
        num_threads: torch intra-op threads for the run (restored afterwards); ``None`` leaves it.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`; its ``simpleseg_model.json`` records a :class:`MemorizeReport`.
    """
    torch = require("torch", extra="model", feature=_FEATURE)
    transformers = require("transformers", extra="model", feature=_FEATURE)
    if not examples:
        raise ValueError("memorize: expected at least one example")
    src, out = Path(model_dir), Path(out_dir)
    try:
        processor = transformers.AutoProcessor.from_pretrained(str(src))
        model = transformers.AutoModelForImageTextToText.from_pretrained(str(src), dtype=torch.float32)
    except Exception as exc:
        raise ModelError(f"memorize: could not load {src}: {type(exc).__name__}: {exc}") from exc

    old_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            batch = _encode(processor, examples)
            model.train()
            opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
            t0 = time.perf_counter()
            first = loss_value = float("nan")
            done = 0
            for step in range(steps):
                loss = model(**batch).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                opt.zero_grad(set_to_none=True)
                loss_value = float(loss.detach())
                first = loss_value if step == 0 else first
                done = step + 1
                if stop_loss is not None and loss_value < stop_loss:
                    break
            seconds = time.perf_counter() - t0
    finally:
        torch.set_num_threads(old_threads)
    model.eval()
    report = MemorizeReport(
        steps=done, seconds=round(seconds, 3), first_loss=first, final_loss=loss_value,
        stopped_early=done < steps,
    )

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)
    provenance = {}
    if (src / "simpleseg_model.json").is_file():
        provenance = json.loads((src / "simpleseg_model.json").read_text())
    provenance.update(
        description="tiny model fine-tuned to memorize a few answers, for tests",
        base_model=str(src),
        memorize={
            **report.__dict__, "lr": lr, "seed": seed, "n_examples": len(examples),
            "examples": [{"prompt": e.prompt, "answer": e.answer, "image_wh": list(e.image.size)} for e in examples],
        },
    )
    (out / "simpleseg_model.json").write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    return out

