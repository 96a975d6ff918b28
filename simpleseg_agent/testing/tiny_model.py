"""A tiny, randomly initialized Qwen2.5-VL checkpoint for tests: same files, same loading path as a real one.

:func:`build_tiny_model` writes a folder that ``AutoProcessor.from_pretrained`` and
``AutoModelForImageTextToText.from_pretrained`` load exactly like ``Qwen/Qwen2.5-VL-7B-Instruct``:

* ``config.json`` / ``generation_config.json`` / ``model.safetensors`` — a ``Qwen2_5_VLForConditionalGeneration``
  with text hidden 128 x 4 layers and a 2-block vision tower of width 64 (about 1.4 M parameters);
* ``tokenizer.json`` / ``tokenizer_config.json`` — a byte-level BPE of about 1k tokens trained here on
  polygon answers, the prompt templates and GUI words; Qwen2's pre-tokenizer, so digits are one token
  each, and the Qwen2-VL special tokens (``<|im_start|>``, ``<|image_pad|>``, ...);
* ``processor_config.json`` / ``chat_template.jinja`` — a ``Qwen2_5_VLProcessor`` with the stock
  Qwen2-VL chat template and a ``Qwen2VLImageProcessor`` limited to ``28*28*64`` pixels, so a
  1920x1080 screenshot becomes 280x168 pixels (60 image tokens) and the model stays fast;
* ``simpleseg_model.json`` — provenance (seed, settings, "random weights, for tests").

The same ``seed`` and settings give byte-identical weights and tokenizer. Needs the ``[model]`` extra
(torch, torchvision, transformers).

Example (not run by doctest: it needs torch)::

    from simpleseg_agent.testing.tiny_model import build_tiny_model
    path = build_tiny_model("/tmp/tiny-qwen", seed=0)
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from .._optional import require

__all__ = ["QWEN2_VL_CHAT_TEMPLATE", "SPECIAL_TOKENS", "TinyModelSettings", "build_tiny_model", "tokenizer_corpus"]

#: The chat template shipped with Qwen2-VL / Qwen2.5-VL Instruct (``chat_template.json`` of the hub repos).
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

#: Qwen2.5's special tokens, in the real vocabulary's order (``<|endoftext|>`` first).
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# Qwen2's pre-tokenizer: \p{N} alone, so every digit is its own pre-token (and token).
_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

_GUI_PHRASES = (
    "the submit button", "the cancel button", "cancel", "the search field", "the search box", "the OK button",
    "the close icon", "the settings menu", "the file menu", "the login button", "the password field",
    "the red square", "the blue circle", "the green triangle", "the cat", "the person on the left",
)
# Words of GUI and referring-expression queries, combined at random into more phrases.
_COLORS = [
    "red", "blue", "green", "yellow", "orange", "purple", "white", "black", "gray", "pink", "brown", "dark",
    "light", "bright",
]
_ACTIONS = [
    "submit", "cancel", "search", "save", "open", "close", "delete", "edit", "copy", "paste", "print", "share",
    "download", "upload", "login", "logout", "sign", "register", "settings", "help", "home", "back", "forward",
    "next", "previous", "refresh", "send", "reply", "add", "remove", "new", "play", "pause", "stop", "mute",
    "zoom", "undo", "redo", "menu", "profile", "account", "cart", "checkout", "continue", "accept", "decline",
    "allow", "block", "confirm",
]
_ELEMENTS = [
    "button", "icon", "field", "box", "menu", "tab", "link", "checkbox", "slider", "toggle", "switch",
    "dropdown", "input", "label", "dialog", "window", "toolbar", "sidebar", "panel", "header", "footer",
    "banner", "image", "logo", "avatar", "list", "item", "row", "column", "cell", "arrow", "bar", "text",
    "title", "card", "table", "page", "form", "popup", "notification", "badge", "thumbnail",
]
_OBJECTS = [
    "square", "circle", "triangle", "star", "hexagon", "rectangle", "pentagon", "ellipse", "shape", "person",
    "man", "woman", "child", "cat", "dog", "car", "bus", "bicycle", "chair", "table", "cup", "bottle", "plate",
    "bird", "horse", "sheep", "cow", "elephant", "laptop", "phone", "keyboard", "mouse", "book", "clock",
    "vase", "umbrella", "bag", "pizza", "apple", "banana", "sandwich", "tree", "plant", "door",
]
_WHERE = (
    "on the left", "on the right", "at the top", "at the bottom", "in the middle", "in the corner",
    "next to the search bar", "above the text", "below the image", "near the window", "behind the table",
    "in front of the door", "with the largest area", "closest to the camera", "in the dialog",
)


def _random_phrase(rng: random.Random) -> str:
    noun = rng.choice(_ELEMENTS) if rng.random() < 0.5 else rng.choice(_OBJECTS)
    words = ["the"]
    if rng.random() < 0.5:
        words.append(rng.choice(_COLORS))
    if rng.random() < 0.5:
        words.append(rng.choice(_ACTIONS))
    words.append(noun)
    if rng.random() < 0.4:
        words.append(rng.choice(_WHERE))
    return " ".join(words)


@dataclass(frozen=True)
class TinyModelSettings:
    """Everything that determines the tiny checkpoint; its hash names the test cache folder."""

    seed: int = 0
    vocab_size: int = 1000
    text_hidden: int = 128
    text_layers: int = 4
    text_heads: int = 4
    text_kv_heads: int = 2
    text_intermediate: int = 448
    vision_hidden: int = 64
    vision_depth: int = 2
    vision_heads: int = 4
    vision_intermediate: int = 128
    min_pixels: int = 28 * 28 * 4
    max_pixels: int = 28 * 28 * 64
    rope_theta: float = 1000000.0
    corpus_lines: int = 3000
    format_version: int = 1  # bump when the builder's output changes for the same settings


def _random_polygon(rng: random.Random) -> list[list[float]]:
    n = rng.randint(3, 12)
    cx, cy, r = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.02, 0.3)
    pts = []
    for k in range(n):
        a = 2 * math.pi * (k + rng.uniform(0, 0.8)) / n
        rr = r * rng.uniform(0.5, 1.0)
        pts.append([min(1.0, max(0.0, cx + rr * math.cos(a))), min(1.0, max(0.0, cy + rr * math.sin(a)))])
    return pts


def tokenizer_corpus(n_lines: int = 3000, seed: int = 0) -> Iterator[str]:
    """Text the tiny tokenizer is trained on: answers in both styles, prompts, chat scaffolding.

    Example:
        >>> lines = list(tokenizer_corpus(50, seed=1))
        >>> len(lines) >= 50 and any(line.startswith("[[[") for line in lines)
        True
    """
    from ..grammar import ANSWER_TEMPLATES, format_box, format_point, format_polygons, wrap_answer
    from ..prompts import PROMPT_TEMPLATES

    rng = random.Random(seed)
    yield "system\nYou are a helpful assistant.\nuser\nassistant\n"
    yield " ".join(_COLORS + _ACTIONS + _ELEMENTS + _OBJECTS).capitalize() + "."
    yield " ".join(w.capitalize() for w in _ACTIONS + _ELEMENTS)
    all_templates = [t for templates in PROMPT_TEMPLATES.values() for t in templates]
    for t in all_templates:
        for phrase in _GUI_PHRASES:
            yield t.format(q=phrase)
    for _ in range(n_lines):
        yield rng.choice(all_templates).format(q=_random_phrase(rng))
    for i in range(n_lines):
        style = "reference" if i % 4 else "compact"
        kind = rng.random()
        if kind < 0.7:
            polys = [_random_polygon(rng) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
            coords = format_polygons(polys, style=style)
        elif kind < 0.85:
            x1, y1 = rng.uniform(0, 0.7), rng.uniform(0, 0.7)
            coords = format_box([x1, y1, x1 + rng.uniform(0.01, 0.3), y1 + rng.uniform(0.01, 0.3)], style=style)
        else:
            coords = format_point([rng.random(), rng.random()], style=style)
        yield wrap_answer(coords, rng.choice(ANSWER_TEMPLATES))


def _train_tokenizer(settings: TinyModelSettings):
    tokenizers = require("tokenizers", extra="model", feature="building the tiny test model")
    from tokenizers import Regex, decoders, models, normalizers, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=settings.vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        # all 256 byte symbols: any text encodes (byte-level fallback), like Qwen2's vocabulary
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(tokenizer_corpus(settings.corpus_lines, settings.seed), trainer=trainer)
    return tok


def _build_processor(settings: TinyModelSettings):
    transformers = require("transformers", extra="model", feature="building the tiny test model")
    raw = _train_tokenizer(settings)
    tokenizer = transformers.Qwen2TokenizerFast(
        tokenizer_object=raw,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        bos_token=None,
        extra_special_tokens=list(SPECIAL_TOKENS[1:]),
        model_max_length=32768,
        clean_up_tokenization_spaces=False,
        errors="replace",
        split_special_tokens=False,
    )
    image_processor = transformers.Qwen2VLImageProcessor(
        min_pixels=settings.min_pixels, max_pixels=settings.max_pixels, patch_size=14, merge_size=2,
        temporal_patch_size=2,
    )
    video_processor = transformers.Qwen2VLVideoProcessor(
        min_pixels=settings.min_pixels, max_pixels=settings.max_pixels * 4, patch_size=14, merge_size=2,
        temporal_patch_size=2,
    )
    return transformers.Qwen2_5_VLProcessor(
        image_processor=image_processor, tokenizer=tokenizer, video_processor=video_processor,
        chat_template=QWEN2_VL_CHAT_TEMPLATE,
    )


def _model_config(settings: TinyModelSettings, tokenizer):
    transformers = require("transformers", extra="model", feature="building the tiny test model")
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    head_dim = settings.text_hidden // settings.text_heads
    half = head_dim // 2  # mrope splits the rotary frequencies over (t, h, w); Qwen2.5-VL uses 16:24:24 of 64
    t_part = half // 4
    mrope_section = [t_part, (half - t_part) // 2, half - t_part - (half - t_part) // 2]
    text_config = {
        "vocab_size": len(tokenizer),
        "hidden_size": settings.text_hidden,
        "intermediate_size": settings.text_intermediate,
        "num_hidden_layers": settings.text_layers,
        "num_attention_heads": settings.text_heads,
        "num_key_value_heads": settings.text_kv_heads,
        "max_position_embeddings": 4096,
        "rope_parameters": {"rope_type": "default", "rope_theta": float(settings.rope_theta), "mrope_section": mrope_section},
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "use_sliding_window": False,
    }
    vision_config = {
        "depth": settings.vision_depth,
        "hidden_size": settings.vision_hidden,
        "intermediate_size": settings.vision_intermediate,
        "num_heads": settings.vision_heads,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "window_size": 112,
        "fullatt_block_indexes": [settings.vision_depth - 1],  # last block full attention, like the 7B
        "out_hidden_size": settings.text_hidden,
        "tokens_per_second": 2,
    }
    return transformers.Qwen2_5_VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    ), ids


def build_tiny_model(
    out_dir: str | Path,
    *,
    seed: int = 0,
    vocab_size: int = 1000,
    settings: TinyModelSettings | None = None,
) -> Path:
    """Write a random tiny Qwen2.5-VL checkpoint (weights, tokenizer, processor) into ``out_dir``.

    Args:
        out_dir: folder to create (may exist; files in it are overwritten).
        seed: seeds the tokenizer corpus and the weight initialization.
        vocab_size: target size of the BPE vocabulary (special tokens included).
        settings: full settings; when given, ``seed`` and ``vocab_size`` are ignored.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.
    """
    torch = require("torch", extra="model", feature="building the tiny test model")
    transformers = require("transformers", extra="model", feature="building the tiny test model")
    settings = settings or TinyModelSettings(seed=seed, vocab_size=vocab_size)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    processor = _build_processor(settings)
    config, ids = _model_config(settings, processor.tokenizer)

    # Initialize on the CPU with a private generator state, so building does not disturb the caller's RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        model = transformers.Qwen2_5_VLForConditionalGeneration(config)
    model.eval()
    model.generation_config = transformers.GenerationConfig(
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
        pad_token_id=ids["<|endoftext|>"],
        do_sample=False,
    )
    model.save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)

    n_params = sum(p.numel() for p in model.parameters())
    provenance = {
        "description": "random weights, for tests",
        "builder": "simpleseg_agent.testing.tiny_model.build_tiny_model",
        "settings": asdict(settings),
        "n_parameters": n_params,
        "vocab_size": len(processor.tokenizer),
        "special_token_ids": ids,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__.split("+")[0],
    }
    (out / "simpleseg_model.json").write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    return out
