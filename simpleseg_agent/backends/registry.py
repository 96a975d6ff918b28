"""Choose a backend by a preset name, a local folder, a hub id or a server URL.

Example:
    >>> describe("http://127.0.0.1:8000/v1")
    'openai-http'
    >>> describe("simpleseg-qwen2.5-vl")
    'transformers (preset simpleseg-qwen2.5-vl: sthui/SimpleSeg-Qwen2.5-VL)'
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..grammar import CoordSpace
from .base import Backend, ModelPreset
from .presets import DEFAULT_PRESET, PRESETS


def _is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


def describe(spec: str | Path) -> str:
    """Which backend :func:`load_backend` would pick for ``spec`` (no loading)."""
    s = str(spec)
    if _is_url(s):
        return "openai-http"
    if s in PRESETS:
        return f"transformers (preset {s}: {PRESETS[s].model_id})"
    return "transformers (local folder)" if Path(s).exists() else "transformers (hub id)"


def load_backend(spec: str | Path | Backend, *, preset: str | ModelPreset | None = None, **kwargs: Any) -> Backend:
    """A ready backend for ``spec``.

    * a :class:`Backend` is returned as is;
    * ``http(s)://...`` -> :class:`~simpleseg_agent.backends.openai_http.OpenAIHTTPBackend`
      (``preset`` says how to read its answers; default: what the server says at ``/v1/models``, else
      SimpleSeg's normalized polygons);
    * a preset name (``simpleseg-qwen2.5-vl``, ``qwen3-vl-8b``, ...), a local folder or a hub id ->
      :class:`~simpleseg_agent.backends.transformers_backend.TransformersBackend`.

    ``kwargs`` go to the backend (``device``, ``dtype``, ``adapter``, ``timeout_s``, ...).
    """
    if isinstance(spec, Backend):
        return spec
    if not isinstance(spec, (str, Path)) or not str(spec).strip():
        raise ModelError(f"model must be a preset name, a folder, a hub id or a URL, got {spec!r}")
    s = str(spec)
    chosen = resolve_preset(preset, s)
    if _is_url(s):
        from .openai_http import OpenAIHTTPBackend

        # no preset named: the server may say its own (simpleseg serve does), asked at first use
        return OpenAIHTTPBackend(s, preset=chosen if preset is not None else None, **kwargs)
    from .transformers_backend import TransformersBackend

    if s in PRESETS:
        return TransformersBackend(PRESETS[s].model_id, preset=chosen, **kwargs)
    return TransformersBackend(s, preset=chosen, **kwargs)


def resolve_preset(preset: str | ModelPreset | None, spec: str) -> ModelPreset:
    """How to prompt and read ``spec``: the ``preset`` given, the named preset, or for a folder or hub
    id the SimpleSeg defaults with the coordinate space the folder declares.

    Example:
        >>> resolve_preset(None, "qwen3-vl-8b").coord_space.value, resolve_preset("qwen2-vl-7b", "/any/folder").name
        ('1000', 'qwen2-vl-7b')
    """
    if isinstance(preset, ModelPreset):
        return preset
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise ModelError(f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
        return PRESETS[preset]
    if spec in PRESETS:
        return PRESETS[spec]
    return replace(DEFAULT_PRESET, model_id=spec, coord_space=_folder_coord_space(spec), **_folder_snap(spec))


def _folder_card(spec: str) -> dict:
    """A checkpoint folder's ``simpleseg_model.json`` (empty when it has none or it is unreadable)."""
    info = Path(spec) / "simpleseg_model.json"
    try:
        card = json.loads(info.read_text()) if info.is_file() else {}
    except (OSError, ValueError):
        card = {}
    return card if isinstance(card, dict) else {}


def _folder_snap(spec: str) -> dict:
    """How a checkpoint folder says its answers snap (``"snap": {"reach": R, "overlap_weight": W}``,
    written by choice training, ``simpleseg train choose``), as preset fields; ``{}`` when it says
    nothing. Snapping itself stays off unless asked for (``--snap``)."""
    declared = _folder_card(spec).get("snap")
    if not isinstance(declared, dict):
        return {}
    out = {}
    for key, field in (("reach", "snap_reach"), ("overlap_weight", "snap_overlap_weight")):
        value = declared.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
            raise ModelError(f"{Path(spec) / 'simpleseg_model.json'} declares snap {key} {value!r}; "
                             "expected a finite number >= 0")
        out[field] = float(value)
    return out


def _folder_coord_space(spec: str) -> CoordSpace:
    """The answer space a checkpoint folder declares in ``simpleseg_model.json`` (our training runs
    write ``"coord_space"``); SimpleSeg's normalized space when it declares none."""
    info = Path(spec) / "simpleseg_model.json"
    declared = _folder_card(spec).get("coord_space")
    if declared is None:
        return DEFAULT_PRESET.coord_space
    try:
        return CoordSpace(str(declared))
    except ValueError:
        raise ModelError(f"{info} declares an unknown coord_space {declared!r}; known: "
                         f"{', '.join(c.value for c in CoordSpace)}") from None
