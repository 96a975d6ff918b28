"""Local transformers backend: a checkpoint folder (or a cached hub id) answered on this machine.

Loads with ``AutoProcessor`` + ``AutoModelForImageTextToText`` (safetensors preferred), asks each
question through the checkpoint's own chat template (one image, then the prompt), batches with left
padding and decodes greedily. torch and transformers are imported when a backend is built, never
when this module is imported.

Example (not run by doctest: it needs the ``[model]`` extra)::

    from PIL import Image
    from simpleseg_agent.backends.base import GenerationRequest
    from simpleseg_agent.backends.transformers_backend import TransformersBackend

    backend = TransformersBackend("/models/SimpleSeg-Qwen2.5-VL-7B", device="auto")
    [result] = backend.generate([GenerationRequest(Image.open("shot.png").convert("RGB"),
                                                   "What is the polygon of the submit button in the image?")])
    result.text, result.model_input_wh   # '[[[0.412, 0.630], ...]].', (1288, 728)
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from .._optional import require
from ..errors import ModelError
from ..grammar.constrain import AnswerGrammar, TokenFilter
from .base import Backend, GenerationRequest, GenerationResult, ModelPreset, ScoreRequest

__all__ = ["TransformersBackend", "set_pixel_budget"]

_DTYPES = ("auto", "float32", "bfloat16", "float16")
_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
# "org/name" or "name": what the hub accepts as a repository id.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_FEATURE = "TransformersBackend (local models)"


def _is_local_spec(model: str | Path) -> bool:
    if isinstance(model, Path):
        return True
    s = str(model)
    return Path(s).expanduser().exists() or not _HUB_ID.match(s) or s.startswith((".", "~"))


def _check_folder(folder: Path) -> bool:
    """Fail early, with the path, on what from_pretrained would report obscurely. Returns 'has safetensors'."""
    if not folder.exists():
        raise ModelError(
            f"model folder not found: {folder} (pass an existing checkpoint folder, e.g. one written by "
            "save_pretrained or tools/build_tiny_model.py, or a hub id already in the local cache)"
        )
    if not folder.is_dir():
        raise ModelError(f"model path is not a folder: {folder} (pass the checkpoint folder, not a file in it)")
    if not (folder / "config.json").is_file():
        if (folder / "adapter_config.json").is_file():
            raise ModelError(
                f"{folder} holds a PEFT adapter, not a full model: pass the base model as `model` and this "
                "folder as `adapter=`"
            )
        raise ModelError(f"no config.json in {folder}: not a transformers checkpoint folder")
    safetensors = [p for p in folder.glob("*.safetensors") if not p.name.startswith("adapter_")]
    if not safetensors and not any((folder / name).is_file() for name in _WEIGHT_FILES):
        raise ModelError(
            f"no model weights in {folder} (looked for {', '.join(_WEIGHT_FILES)}); "
            "was save_pretrained interrupted, or are the weights still Git LFS pointers?"
        )
    return bool(safetensors)


def _resolve_device(torch: Any, device: str) -> str:
    if device != "auto":
        try:
            torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ModelError(f"device: expected 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto', got {device!r}") from exc
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _resolve_dtype(torch: Any, dtype: str, device: str) -> Any:
    if dtype not in _DTYPES:
        raise ModelError(f"dtype: expected one of {_DTYPES}, got {dtype!r}")
    if dtype != "auto":
        return getattr(torch, dtype)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.startswith("mps"):
        return torch.float16
    return torch.float32  # half precision on CPU is slow or unsupported for many kernels


class _GrammarLogits:
    """A transformers logits processor: each row may only continue with tokens its grammar allows."""

    def __init__(self, token_filter: TokenFilter, prompt_len: int, rows: int, torch: Any) -> None:
        self.filter = token_filter
        self.prompt_len = prompt_len
        self.states = [token_filter.grammar.start()] * rows
        self.seen = 0
        self._torch = torch
        self._masks: dict[Any, Any] = {}

    def _mask(self, state: Any, like: Any) -> Any:
        key = self.filter.grammar.canonical(state) if state is not None else None
        mask = self._masks.get(key)
        if mask is None:
            mask = self._torch.full((like.shape[-1],), float("-inf"), dtype=like.dtype, device=like.device)
            ids = [i for i in self.filter.allowed(state) if i < like.shape[-1]]
            mask[self._torch.tensor(ids, dtype=self._torch.long, device=like.device)] = 0.0
            self._masks[key] = mask
        return mask

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        new = input_ids.shape[1] - self.prompt_len
        if new > self.seen:  # the token each row generated since the last call
            last = input_ids[:, -1].tolist()
            self.states = [self.filter.advance(s, t) for s, t in zip(self.states, last)]
            self.seen = new
        return scores + self._torch.stack([self._mask(s, scores) for s in self.states])


def set_pixel_budget(processor: Any, min_pixels: int | None = None, max_pixels: int | None = None) -> None:
    """Set the pixel budget (``min_pixels`` / ``max_pixels``, in pixels of the resized image) of a Qwen-VL style
    ``processor``'s image processor, in the form its ``save_pretrained`` writes; ``None`` keeps a bound.

    Example:
        >>> from types import SimpleNamespace
        >>> proc = SimpleNamespace(image_processor=SimpleNamespace(size={"shortest_edge": 3136, "longest_edge": 125440}))
        >>> set_pixel_budget(proc, max_pixels=250880); proc.image_processor.size
        {'shortest_edge': 3136, 'longest_edge': 250880}
    """
    ip = processor.image_processor
    size = dict(getattr(ip, "size", None) or {})
    size = {k: v for k, v in size.items() if v is not None}
    if min_pixels is not None:
        size["shortest_edge"] = min_pixels
    if max_pixels is not None:
        size["longest_edge"] = max_pixels
    ip.size = size
    # transformers 4.x processors read these attributes instead of ``size``
    if min_pixels is not None and hasattr(ip, "min_pixels"):
        ip.min_pixels = min_pixels
    if max_pixels is not None and hasattr(ip, "max_pixels"):
        ip.max_pixels = max_pixels


class TransformersBackend(Backend):
    """Answer :class:`GenerationRequest` batches with a local transformers vision-language model.

    It honours a request's ``grammar`` (constrained decoding: the tokens that would break the answer's
    coordinate list are masked; :mod:`~simpleseg_agent.grammar.constrain`).

    Args:
        model: checkpoint folder, or a hub id (``"org/name"``) that is already in the local cache.
        preset: how to talk to the model; defaults to a SimpleSeg preset (normalized coordinates)
            named after the folder.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"`` (CUDA, then MPS, then CPU).
            Ignored when ``device_map`` is given.
        dtype: ``"auto"`` (bfloat16 on CUDA when supported, else float16; float16 on MPS; float32 on
            CPU), ``"float32"``, ``"bfloat16"`` or ``"float16"``.
        device_map: passed to ``from_pretrained`` (e.g. ``"auto"`` to spread a large model over
            GPUs with accelerate).
        adapter: folder of a PEFT adapter to apply on top of ``model`` (merged into the weights);
            needs the ``[train]`` extra.
        trust_remote_code: run code shipped with the checkpoint; also enabled by the preset.
        max_new_tokens: default answer budget; ``None`` takes ``preset.max_new_tokens``. A request's
            own ``max_new_tokens`` wins.
        batch_size: requests per ``generate`` call.
        min_pixels, max_pixels: override the image processor's pixel budget (the resized image's
            area stays within these bounds).
        local_files_only: passed to ``from_pretrained``; ``None`` leaves the hub library's default
            (which honours ``HF_HUB_OFFLINE``).
        generate_kwargs: extra keyword arguments for ``model.generate`` (e.g.
            ``{"repetition_penalty": 1.05}``); by default decoding is plain greedy.

    Raises:
        ModelError: missing folder, no weights, a checkpoint that does not load, a processor without an
            image processor, an invalid option.
        MissingDependencyError: torch/transformers (``[model]``) or peft (``[train]``) not installed.
    """

    supports_grammar = True
    supports_scoring = True

    def __init__(
        self,
        model: str | Path,
        *,
        preset: ModelPreset | None = None,
        device: str = "cpu",
        dtype: str = "auto",
        device_map: str | Mapping[str, Any] | None = None,
        adapter: str | Path | None = None,
        trust_remote_code: bool = False,
        max_new_tokens: int | None = None,
        batch_size: int = 8,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        local_files_only: bool | None = None,
        generate_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(model, (str, Path)) or not str(model).strip():
            raise ModelError(f"model: expected a checkpoint folder or hub id, got {model!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ModelError(f"batch_size: expected an int >= 1, got {batch_size!r}")
        for name, value in (("max_new_tokens", max_new_tokens), ("min_pixels", min_pixels), ("max_pixels", max_pixels)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ModelError(f"{name}: expected a positive int or None, got {value!r}")
        if min_pixels is not None and max_pixels is not None and min_pixels > max_pixels:
            raise ModelError(f"min_pixels ({min_pixels}) must not exceed max_pixels ({max_pixels})")

        local = _is_local_spec(model)
        source: str | Path = Path(model).expanduser() if local else str(model)
        self.model_path = source
        self.preset = preset or ModelPreset(
            name=Path(str(model)).name or str(model), model_id=str(model), description="local transformers checkpoint"
        )
        self.max_new_tokens = max_new_tokens if max_new_tokens is not None else self.preset.max_new_tokens
        self.batch_size = batch_size
        self.generate_kwargs = dict(generate_kwargs or {})
        trust = bool(trust_remote_code or self.preset.trust_remote_code)
        has_safetensors = _check_folder(source) if local else None  # type: ignore[arg-type]

        torch = require("torch", extra="model", feature=_FEATURE)
        transformers = require("transformers", extra="model", feature=_FEATURE)
        adapter_dir = self._check_adapter(adapter) if adapter is not None else None  # before the slow load
        self._torch = torch
        self._transformers = transformers
        self._token_filters: dict[str, TokenFilter] = {}
        # One model call at a time: transformers keeps per-call state on the model itself (Qwen2-VL's
        # ``rope_deltas``, set by a prefill and read by the steps after it and by score()), the global
        # random state is reseeded for seeded samples, and a fast tokenizer raises "Already borrowed" when
        # two threads pad at once. A forward pass already takes every core (or the GPU), so serializing
        # model calls costs little; the work around them (images, OCR, candidates, parsing) stays parallel.
        self._lock = threading.RLock()
        self.device = _resolve_device(torch, device)
        self.dtype = _resolve_dtype(torch, dtype, self.device)

        hub_kwargs: dict[str, Any] = {"trust_remote_code": trust}
        if local_files_only is not None:
            hub_kwargs["local_files_only"] = local_files_only
        try:
            self.processor = transformers.AutoProcessor.from_pretrained(str(source), **hub_kwargs)
        except Exception as exc:  # OSError, ValueError, KeyError ... all mean "cannot load"
            hint = (
                "the folder needs tokenizer and preprocessor files next to the weights"
                if local
                else "not a folder here; as a hub id it must already be in the local cache when the hub is unreachable"
            )
            raise ModelError(f"could not load the processor of {source}: {type(exc).__name__}: {exc} ({hint})") from exc
        self._check_processor(source)

        model_kwargs: dict[str, Any] = dict(hub_kwargs, dtype=self.dtype)
        if has_safetensors:
            model_kwargs["use_safetensors"] = True  # never fall back to pickled .bin files next to them
        if device_map is not None:
            model_kwargs["device_map"] = device_map
        try:
            net = transformers.AutoModelForImageTextToText.from_pretrained(str(source), **model_kwargs)
        except torch.cuda.OutOfMemoryError as exc:
            raise ModelError(
                f"out of memory loading {source} on {self.device} as {self.dtype}: use a smaller dtype "
                "(bfloat16), another device, or device_map='auto'"
            ) from exc
        except Exception as exc:
            raise ModelError(
                f"could not load the model weights of {source}: {type(exc).__name__}: {exc} "
                "(is it an image-text-to-text checkpoint? custom architectures need trust_remote_code=True)"
            ) from exc
        if device_map is None:
            try:
                net = net.to(self.device)
            except Exception as exc:
                raise ModelError(f"could not move {source} to device {self.device!r}: {exc}") from exc
        if adapter_dir is not None:
            net = self._apply_adapter(net, adapter_dir)
        net.eval()
        self.model = net
        self._input_device = next(net.parameters()).device

        tok = self.processor.tokenizer
        tok.padding_side = "left"  # generation continues at the right edge of every row
        if tok.pad_token_id is None:
            tok.pad_token = tok.eos_token
        self._pad_id = tok.pad_token_id
        self._eos_ids = self._eos_token_ids()
        if min_pixels is not None or max_pixels is not None:
            self._set_pixel_budget(min_pixels, max_pixels)

    # -- loading helpers -------------------------------------------------------------------------

    def _check_processor(self, source: str | Path) -> None:
        ip = getattr(self.processor, "image_processor", None)
        if ip is None or not hasattr(self.processor, "tokenizer"):
            raise ModelError(
                f"AutoProcessor loaded only a {type(self.processor).__name__} from {source}, without an image "
                "processor; transformers 5 needs torchvision for the Qwen2-VL image processor "
                "(pip install 'simpleseg-agent[model]'), and the folder needs preprocessor_config.json "
                "or processor_config.json"
            )
        if getattr(self.processor, "chat_template", None) is None and getattr(self.processor.tokenizer, "chat_template", None) is None:
            raise ModelError(f"{source} has no chat template (chat_template.jinja / chat_template.json)")

    @staticmethod
    def _check_adapter(adapter: str | Path) -> Path:
        require("peft", extra="train", feature="loading a PEFT adapter")
        folder = Path(adapter).expanduser()
        if not (folder / "adapter_config.json").is_file():
            raise ModelError(f"no adapter_config.json in adapter folder {folder}: not a PEFT adapter")
        return folder

    def _apply_adapter(self, net: Any, folder: Path) -> Any:
        peft = require("peft", extra="train", feature="loading a PEFT adapter")
        try:
            net = peft.PeftModel.from_pretrained(net, str(folder), is_trainable=False)
            return net.merge_and_unload() if hasattr(net, "merge_and_unload") else net
        except Exception as exc:
            raise ModelError(
                f"could not apply the adapter {folder} to {self.model_path}: {type(exc).__name__}: {exc} "
                "(was it trained on this base model?)"
            ) from exc

    def _eos_token_ids(self) -> list[int]:
        ids: list[int] = []
        gen_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        for value in (gen_eos, self.processor.tokenizer.eos_token_id):
            for i in value if isinstance(value, (list, tuple)) else [value]:
                if i is not None and int(i) not in ids:
                    ids.append(int(i))
        if not ids:
            raise ModelError(f"{self.model_path}: neither the generation config nor the tokenizer names an EOS token")
        return ids

    def _set_pixel_budget(self, min_pixels: int | None, max_pixels: int | None) -> None:
        set_pixel_budget(self.processor, min_pixels, max_pixels)

    # -- generation ------------------------------------------------------------------------------

    @property
    def patch_size(self) -> int:
        """Pixels per side of one vision patch (14 for Qwen2-VL / Qwen2.5-VL)."""
        return int(getattr(self.processor.image_processor, "patch_size", 14))

    def chat_text(self, prompt: str) -> str:
        """The full model input text for one image and ``prompt`` (chat template, generation prompt added)."""
        return chat_text(self.processor, prompt)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Answer ``requests`` in order; requests with the same answer budget share batches."""
        if self.model is None:
            raise ModelError(f"{self!r} is closed")
        requests = list(requests)
        for i, req in enumerate(requests):
            if not isinstance(req, GenerationRequest):
                raise ModelError(f"request {i}: expected a GenerationRequest, got {type(req).__name__}")
            if not isinstance(req.image, Image.Image):
                raise ModelError(f"request {i}: image must be a PIL image, got {type(req.image).__name__}")
            if not isinstance(req.prompt, str) or not req.prompt:
                raise ModelError(f"request {i}: prompt must be a non-empty string, got {req.prompt!r}")
            budget = req.max_new_tokens
            if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
                raise ModelError(f"request {i}: max_new_tokens must be a positive int or None, got {budget!r}")
            temp = req.temperature
            if isinstance(temp, bool) or not isinstance(temp, (int, float)) or not 0.0 <= temp < float("inf"):
                raise ModelError(f"request {i}: temperature must be a number >= 0, got {temp!r}")
            if req.grammar not in (None, "mask", "box", "point"):
                raise ModelError(f"request {i}: grammar must be 'mask', 'box', 'point' or None, got {req.grammar!r}")
        budgets = [req.max_new_tokens if req.max_new_tokens is not None else self.max_new_tokens for req in requests]
        keys = [(b, float(req.temperature), req.grammar) for b, req in zip(budgets, requests)]
        results: list[GenerationResult | None] = [None] * len(requests)
        for key in dict.fromkeys(keys):
            indices = [i for i, k in enumerate(keys) if k == key]
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start : start + self.batch_size]
                with self._lock:  # see __init__: the model holds per-call state
                    batch = self._generate_batch([requests[i] for i in chunk], *key)
                for i, result in zip(chunk, batch):
                    results[i] = result
        return results  # type: ignore[return-value]

    def token_filter(self, grammar: str) -> TokenFilter:
        """The :class:`~simpleseg_agent.grammar.constrain.TokenFilter` of this model's vocabulary for one
        answer kind in the preset's coordinate space (built once per kind)."""
        cached = self._token_filters.get(grammar)
        if cached is None:
            tok = self.processor.tokenizer
            size = max(len(tok), int(getattr(self.model.config.get_text_config(), "vocab_size", 0) or 0))
            texts = tok.batch_decode([[i] for i in range(len(tok))], skip_special_tokens=False,
                                     clean_up_tokenization_spaces=False)
            special = set(tok.all_special_ids)
            texts = ["" if i in special else t for i, t in enumerate(texts)] + [""] * (size - len(tok))
            cached = TokenFilter(AnswerGrammar(grammar, self.preset.coord_space), texts, self._eos_ids)
            self._token_filters[grammar] = cached
        return cached

    def _generate_batch(
        self, requests: list[GenerationRequest], max_new_tokens: int, temperature: float = 0.0,
        grammar: str | None = None,
    ) -> list[GenerationResult]:
        torch = self._torch
        if self.model is None:  # closed by another thread since generate() began
            raise ModelError(f"{self!r} is closed")
        t0 = time.perf_counter()
        try:
            texts = [self.chat_text(r.prompt) for r in requests]
            images = [r.image if r.image.mode == "RGB" else r.image.convert("RGB") for r in requests]
            inputs = self.processor(text=texts, images=images, padding=True, return_tensors="pt")
        except Exception as exc:
            raise ModelError(f"the processor of {self.model_path} failed on a batch of {len(requests)}: {exc}") from exc
        grid_thw = inputs["image_grid_thw"].tolist()
        inputs = inputs.to(self._input_device, dtype=self.model.dtype)
        prompt_len = inputs["input_ids"].shape[1]
        t1 = time.perf_counter()
        gen_kwargs: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "do_sample": False,
            "repetition_penalty": 1.0,  # plain greedy, whatever the checkpoint's generation_config says
            "pad_token_id": self._pad_id,
            "eos_token_id": self._eos_ids,
        }
        gen_kwargs.update(self.generate_kwargs)
        if temperature > 0:  # a sample: the whole distribution at that temperature
            gen_kwargs.update(do_sample=True, temperature=temperature, top_k=0, top_p=1.0)
        if grammar is not None:
            processor = _GrammarLogits(self.token_filter(grammar), prompt_len, len(requests), torch)
            gen_kwargs["logits_processor"] = self._transformers.LogitsProcessorList([processor])
        seed = requests[0].seed if temperature > 0 else None
        try:
            # a seeded sample leaves the caller's random state as it was
            dev = self._input_device
            cuda = [dev.index or 0] if getattr(dev, "type", "") == "cuda" else []
            with torch.random.fork_rng(devices=cuda, enabled=seed is not None), torch.inference_mode():
                if seed is not None:
                    torch.manual_seed(seed)
                out = self.model.generate(**inputs, **gen_kwargs)
        except torch.cuda.OutOfMemoryError as exc:
            raise ModelError(
                f"out of memory generating a batch of {len(requests)} ({prompt_len} input tokens) on "
                f"{self.device}: lower batch_size, max_pixels or max_new_tokens"
            ) from exc
        except Exception as exc:
            raise ModelError(
                f"generation failed for {self.model_path} on a batch of {len(requests)}: {type(exc).__name__}: {exc}"
            ) from exc
        t2 = time.perf_counter()
        new = out[:, prompt_len:].tolist()
        rows = []
        eos = set(self._eos_ids)
        for tokens in new:
            stop = next((k for k, t in enumerate(tokens) if t in eos), None)
            rows.append((tokens[: stop + 1] if stop is not None else tokens, stop is not None))
        texts_out = self.processor.tokenizer.batch_decode(
            [r[0] for r in rows], skip_special_tokens=True, clean_up_tokenization_spaces=False
        )
        t3 = time.perf_counter()
        share = (t3 - t0) / len(requests)
        timing = {
            "processor_s": (t1 - t0) / len(requests),
            "generate_s": (t2 - t1) / len(requests),
            "batch_size": len(requests),
            "prompt_tokens": prompt_len,
        }
        results = []
        for (tokens, finished), text, (_, gh, gw) in zip(rows, texts_out, grid_thw):
            wh = (int(gw) * self.patch_size, int(gh) * self.patch_size)
            results.append(
                GenerationResult(
                    text=text, n_tokens=len(tokens), model_s=share, model_input_wh=wh, finished=finished,
                    extra=dict(timing),
                )
            )
        return results

    def score(self, request: ScoreRequest, *, chunk: int = 32) -> list[float]:
        """Log-likelihood of each continuation as the answer to ``request.prompt`` about ``request.image``.

        The image and prompt go through the model once; the continuations then run as one batch on a
        copy of that prefix's key/value cache (``chunk`` at a time), so scoring 30 short answers costs
        little more than one answer's prefill. A continuation's score sums its tokens' log-probabilities,
        the first one read from the prefix's last position. Needs an M-RoPE model (Qwen2-VL family:
        the continuation's positions follow the prefix's ``rope_deltas``); others raise
        :class:`~simpleseg_agent.errors.ModelError`.

        Example (the shipped default model):
            >>> from PIL import Image
            >>> from simpleseg_agent.backends.presets import DEFAULT_MODEL, PRESETS
            >>> be = TransformersBackend(PRESETS[DEFAULT_MODEL].model_id, preset=PRESETS[DEFAULT_MODEL])
            >>> s = be.score(ScoreRequest(Image.new("RGB", (64, 48)), "Where is it?", ("[[[1,2],[3,4],[5,6]]]", "hello")))
            >>> len(s), all(v < 0 for v in s)
            (2, True)
        """
        torch = self._torch
        if self.model is None:
            raise ModelError(f"{self!r} is closed")
        if not isinstance(request, ScoreRequest):
            raise ModelError(f"expected a ScoreRequest, got {type(request).__name__}")
        if not isinstance(request.image, Image.Image):
            raise ModelError(f"image must be a PIL image, got {type(request.image).__name__}")
        conts = list(request.continuations)
        if not conts or not all(isinstance(c, str) and c for c in conts):
            raise ModelError("continuations must be one or more non-empty strings")
        if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
            raise ModelError(f"chunk must be a positive int, got {chunk!r}")
        image = request.image if request.image.mode == "RGB" else request.image.convert("RGB")
        with self._lock:  # the prefix's rope_deltas live on the model until reset below (see __init__)
            if self.model is None:
                raise ModelError(f"{self!r} is closed")
            try:
                prefix = self.processor(text=[self.chat_text(request.prompt)], images=[image], return_tensors="pt")
            except Exception as exc:
                raise ModelError(f"the processor of {self.model_path} failed: {exc}") from exc
            prefix = prefix.to(self._input_device, dtype=self.model.dtype)
            tok = self.processor.tokenizer
            ids = [tok(c, add_special_tokens=False)["input_ids"] for c in conts]
            try:
                with torch.inference_mode():
                    return self._score_rows(prefix, ids, chunk)
            finally:
                if hasattr(getattr(self.model, "model", None), "rope_deltas"):
                    self.model.model.rope_deltas = None  # the next generate() computes its own positions

    def _score_rows(self, prefix: Any, ids: list[list[int]], chunk: int) -> list[float]:
        """:meth:`score`'s forward passes: the prefix once, then the continuations' token ids on its cache."""
        out = self.model(**prefix, use_cache=True)
        cache = out.cache if "cache" in out else out.past_key_values
        deltas = getattr(getattr(self.model, "model", None), "rope_deltas", None)
        if cache is None or deltas is None:
            raise ModelError(f"{type(self.model).__name__} cannot score answers here: scoring needs an "
                             "M-RoPE model with a key/value cache (the Qwen2-VL family)")
        n_prefix = int(prefix["input_ids"].shape[1])
        delta = deltas.reshape(-1)[0]
        scores: list[float] = []
        for start in range(0, len(ids), chunk):
            tokens, mask = (t.to(self._input_device) for t in right_padded(ids[start : start + chunk], self._pad_id))
            # each chunk runs on its own copy: the continuations extend the cache they are given
            lls = continuation_log_likelihoods(self.model, copy.deepcopy(cache), out.logits[0, -1], n_prefix, delta,
                                               tokens, mask)
            scores.extend(float(v) for v in lls)
        return scores

    def close(self) -> None:
        """Drop the model (after the calls in flight) and free cached GPU memory."""
        lock = getattr(self, "_lock", None)
        if lock is not None:
            with lock:
                self.model = None
        else:
            self.model = None
        torch = getattr(self, "_torch", None)
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()

    def __repr__(self) -> str:
        return f"TransformersBackend({str(self.model_path)!r}, device={self.device!r}, dtype={self.dtype})"


def chat_text(processor: Any, prompt: str) -> str:
    """The full model input text for one image and ``prompt`` with ``processor``'s chat template (generation
    prompt added): what :class:`TransformersBackend` asks and what choice training trains on."""
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
    return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def cache_kwarg(model: Any) -> str:
    """The forward argument of ``model`` that takes a key/value cache (``cache`` from transformers 5.x on,
    where ``past_key_values`` is deprecated)."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def right_padded(ids: Sequence[Sequence[int]], pad_id: int) -> tuple[Any, Any]:
    """``(tokens, mask)``: ``(K, L)`` long tensors of the token-id rows ``ids``, right-padded with ``pad_id``."""
    import torch

    tokens = torch.full((len(ids), max(len(r) for r in ids)), pad_id, dtype=torch.long)
    mask = torch.zeros_like(tokens)
    for i, r in enumerate(ids):
        tokens[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, : len(r)] = 1
    return tokens, mask


def continuation_log_likelihoods(model: Any, cache: Any, last_logits: Any, n_prefix: int, delta: Any, tokens: Any,
                                 mask: Any) -> Any:
    """Each continuation's summed log-likelihood after a prefix already run through an M-RoPE ``model``.

    ``cache``: the prefix's key/value cache (batch of one; repeated here for the continuations and extended by
    them: pass a copy to keep it); ``last_logits``: the prefix's logits at its last position (they score each
    continuation's first token); ``n_prefix``: its length; ``delta``: its M-RoPE offset (``rope_deltas``);
    ``tokens`` / ``mask``: ``(K, L)`` continuation ids, right-padded, and their mask. Differentiable (choice
    training) and used under ``inference_mode`` by :meth:`TransformersBackend.score`.
    """
    import torch

    n, width = tokens.shape
    cache.batch_repeat_interleave(n)
    pos = (torch.arange(n_prefix, n_prefix + width, device=tokens.device) + delta).view(1, 1, -1).expand(3, n, width)
    attn = torch.cat([torch.ones((n, n_prefix), dtype=mask.dtype, device=mask.device), mask], dim=1)
    logits = model(input_ids=tokens, attention_mask=attn, position_ids=pos, use_cache=False,
                   **{cache_kwarg(model): cache}).logits
    first = torch.log_softmax(last_logits.float(), dim=-1)[tokens[:, 0]]
    rest = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, tokens[:, 1:, None])[..., 0]
    return first + (rest * mask[:, 1:]).sum(dim=1)
