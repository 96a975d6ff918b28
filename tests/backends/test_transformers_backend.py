"""TransformersBackend and the tiny test checkpoints: loading, batching, budgets, errors, memorization."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="needs the [model] extra")
pytest.importorskip("torchvision", reason="needs the [model] extra")
pytest.importorskip("transformers", reason="needs the [model] extra")

from PIL import Image, ImageDraw

from simpleseg_agent.backends.base import GenerationRequest
from simpleseg_agent.backends.transformers_backend import TransformersBackend
from simpleseg_agent.errors import MissingDependencyError, ModelError
from simpleseg_agent.geometry import region_iou
from simpleseg_agent.grammar import parse_answer
from simpleseg_agent.testing.fixtures import memorized_model_path, tiny_model_path  # noqa: F401
from simpleseg_agent.testing.memorize import _encode, synthetic_examples
from simpleseg_agent.testing.tiny_model import SPECIAL_TOKENS, build_tiny_model

ROOT = Path(__file__).resolve().parents[2]


def _image(wh: tuple[int, int], seed: int) -> Image.Image:
    img = Image.new("RGB", wh, (30 + 40 * seed, 200 - 30 * seed, 90))
    w, h = wh
    ImageDraw.Draw(img).ellipse((w * 0.2, h * 0.3, w * 0.6, h * 0.8), fill=(250, 250, 20 * seed))
    return img


MIXED_REQUESTS = [  # different image sizes (landscape, portrait, screenshot) and prompt lengths
    GenerationRequest(_image((160, 120), 0), "Locate the polygon of the cat."),
    GenerationRequest(_image((90, 300), 1), "What is the polygon of the red submit button next to the search bar in the image?"),
    GenerationRequest(_image((1920, 1080), 2), "Show me the contour of the object at point [0.621, 0.592]."),
]


@pytest.fixture(scope="module")
def tiny_backend(tiny_model_path):  # noqa: F811
    return TransformersBackend(tiny_model_path, max_new_tokens=12, batch_size=8)


@pytest.fixture(scope="module")
def memorized_backend(memorized_model_path):  # noqa: F811
    return TransformersBackend(memorized_model_path, max_new_tokens=160)


# -- the tiny checkpoint -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_build_is_deterministic_per_seed(tmp_path, tiny_model_path):  # noqa: F811
    again = build_tiny_model(tmp_path / "again", seed=0)
    for name in ("model.safetensors", "tokenizer.json", "config.json", "processor_config.json"):
        assert (again / name).read_bytes() == (tiny_model_path / name).read_bytes(), name
    other = build_tiny_model(tmp_path / "other", seed=1)
    assert (other / "model.safetensors").read_bytes() != (again / "model.safetensors").read_bytes()


@pytest.mark.timeout(60)
def test_loads_through_the_auto_classes_like_a_real_checkpoint(tiny_model_path):  # noqa: F811
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_model_path)
    assert type(processor).__name__ == "Qwen2_5_VLProcessor"
    assert type(processor.image_processor).__name__ == "Qwen2VLImageProcessor"  # not a bare tokenizer
    assert processor.chat_template and "<|vision_start|><|image_pad|><|vision_end|>" in processor.chat_template
    model = AutoModelForImageTextToText.from_pretrained(tiny_model_path)
    assert type(model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    n_params = sum(p.numel() for p in model.parameters())
    assert 1_200_000 < n_params < 1_600_000
    info = json.loads((tiny_model_path / "simpleseg_model.json").read_text())
    assert info["n_parameters"] == n_params and "random weights" in info["description"]
    assert sorted(p.name for p in tiny_model_path.glob("*.bin")) == []  # safetensors only

    tok = processor.tokenizer
    assert 900 <= len(tok) <= 1000
    for special in SPECIAL_TOKENS:  # the Qwen2-VL special tokens are single tokens
        assert len(tok(special, add_special_tokens=False)["input_ids"]) == 1, special
    assert model.config.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>")
    assert model.config.vision_start_token_id == tok.convert_tokens_to_ids("<|vision_start|>")
    assert tok.tokenize("0.925")[:5] == ["0", ".", "9", "2", "5"]  # one digit per token, like Qwen2.5
    hostile = "naïve 中文 \U0001f600 \t\r\n ~`|<|im_start> [[[0.1,"
    assert tok.decode(tok(hostile)["input_ids"]) == hostile  # byte-level: any text round-trips


def test_chat_template_is_the_stock_qwen2_vl_one(tiny_backend):
    assert tiny_backend.chat_text("Locate the polygon of the cat.") == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Locate the polygon of the cat.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


# -- generation ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_left_padded_batch_equals_one_at_a_time(tiny_backend):
    batched = tiny_backend.generate(MIXED_REQUESTS)
    single = [tiny_backend.generate([r])[0] for r in MIXED_REQUESTS]
    assert [r.text for r in batched] == [r.text for r in single]
    assert [r.n_tokens for r in batched] == [r.n_tokens for r in single]
    assert [r.model_input_wh for r in batched] == [r.model_input_wh for r in single]
    assert batched[0].extra["batch_size"] == 3 and single[0].extra["batch_size"] == 1


@pytest.mark.timeout(120)
def test_results_are_sane(tiny_backend):
    results = tiny_backend.generate(MIXED_REQUESTS)
    assert len(results) == len(MIXED_REQUESTS)
    max_pixels = tiny_backend.processor.image_processor.size["longest_edge"]
    for req, res in zip(MIXED_REQUESTS, results):
        assert isinstance(res.text, str)
        assert 1 <= res.n_tokens <= 12
        if not res.finished:  # stopped by the budget, not by <|im_end|>
            assert res.n_tokens == 12
        assert res.model_s > 0
        w, h = res.model_input_wh
        assert w % 28 == 0 and h % 28 == 0 and w * h <= max_pixels
        iw, ih = req.image.size
        assert abs((w / h) / (iw / ih) - 1) < 0.35, (req.image.size, res.model_input_wh)
    assert results[2].model_input_wh == (280, 168)  # 1920x1080 within 28*28*64 pixels


@pytest.mark.timeout(120)
def test_max_new_tokens_is_respected(tiny_model_path):  # noqa: F811
    backend = TransformersBackend(tiny_model_path, max_new_tokens=5)
    req = MIXED_REQUESTS[0]
    short, override = backend.generate([req, GenerationRequest(req.image, req.prompt, max_new_tokens=3)])
    assert short.n_tokens <= 5 and override.n_tokens <= 3
    if not short.finished:  # the random model rarely stops by itself
        assert short.n_tokens == 5
    assert backend.generate([]) == []


@pytest.mark.timeout(120)
def test_pixel_budget_override(tiny_model_path):  # noqa: F811
    backend = TransformersBackend(tiny_model_path, max_new_tokens=2, max_pixels=28 * 28 * 16)
    [res] = backend.generate([MIXED_REQUESTS[2]])
    w, h = res.model_input_wh
    assert w * h <= 28 * 28 * 16 and (w, h) == (140, 84)  # smart_resize floors both sides


# -- the memorized model -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_memorized_model_reproduces_its_training_polygons(memorized_backend, memorized_model_path):  # noqa: F811
    examples = synthetic_examples()
    results = memorized_backend.generate([GenerationRequest(e.image, e.prompt) for e in examples])
    report = json.loads((memorized_model_path / "simpleseg_model.json").read_text())["memorize"]
    assert report["final_loss"] < 0.01, report
    for ex, res in zip(examples, results):
        assert res.finished, res.text
        answer = parse_answer(res.text)
        assert region_iou(answer.polygons_xy_norm, ex.polygons_xy_norm, ex.image.size) >= 0.9, (res.text, ex.answer)
    assert sum(r.text == e.answer for r, e in zip(results, examples)) >= len(examples) - 1


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_memorized_batch_equals_one_at_a_time(memorized_backend):
    examples = synthetic_examples()  # four image sizes, four prompt lengths
    requests = [GenerationRequest(e.image, e.prompt) for e in examples]
    batched = memorized_backend.generate(requests)
    assert [r.text for r in batched] == [memorized_backend.generate([q])[0].text for q in requests]
    assert len({r.model_input_wh for r in batched}) > 1


@pytest.mark.timeout(120)
def test_training_encoding_matches_the_chat_template(tiny_model_path):  # noqa: F811
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_model_path)
    ex = synthetic_examples(1)[0]
    batch = _encode(processor, [ex])
    messages = [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": ex.prompt}]},
        {"role": "assistant", "content": [{"type": "text", "text": ex.answer}]},
    ]
    full = processor.apply_chat_template(messages, tokenize=False)
    ids = processor(text=[full], images=[ex.image], return_tensors="pt")["input_ids"][0].tolist()
    n = int(batch["attention_mask"][0].sum())
    assert batch["input_ids"][0, :n].tolist() == ids[:n]  # the template adds only "\n" after <|im_end|>
    assert ids[n - 1] == processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    labelled = [t for t in batch["labels"][0].tolist() if t != -100]
    assert processor.tokenizer.decode(labelled) == ex.answer + "<|im_end|>"


# -- errors ---------------------------------------------------------------------------------------


def test_missing_folder_is_a_model_error_naming_the_path(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError, match="no-such-model"):
        TransformersBackend(missing)
    with pytest.raises(ModelError, match="not found"):
        TransformersBackend(str(missing))


def test_folder_without_weights_is_a_model_error(tmp_path, tiny_model_path):  # noqa: F811
    folder = tmp_path / "no-weights"
    folder.mkdir()
    with pytest.raises(ModelError, match="config.json"):
        TransformersBackend(folder)
    for f in tiny_model_path.iterdir():
        if f.name != "model.safetensors":
            (folder / f.name).write_bytes(f.read_bytes())
    with pytest.raises(ModelError, match="no model weights"):
        TransformersBackend(folder)


@pytest.mark.timeout(60)
def test_corrupt_weights_are_a_model_error(tmp_path, tiny_model_path):  # noqa: F811
    folder = tmp_path / "corrupt"
    folder.mkdir()
    for f in tiny_model_path.iterdir():
        (folder / f.name).write_bytes(f.read_bytes() if f.name != "model.safetensors" else b"not a safetensors file")
    with pytest.raises(ModelError, match="could not load the model weights"):
        TransformersBackend(folder)


def test_adapter_folder_given_as_model(tmp_path):
    (tmp_path / "adapter_config.json").write_text("{}")
    with pytest.raises(ModelError, match="adapter="):
        TransformersBackend(tmp_path)


@pytest.mark.timeout(60)
def test_uncached_hub_id_offline_is_a_model_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ModelError, match="simpleseg-test/not-cached"):
        TransformersBackend("simpleseg-test/not-cached", local_files_only=True)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dtype": "int8"}, "dtype"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_new_tokens": -1}, "max_new_tokens"),
        ({"min_pixels": 100, "max_pixels": 10}, "min_pixels"),
        ({"device": "toaster"}, "device"),
    ],
)
def test_bad_options_are_model_errors(tiny_model_path, kwargs, match):  # noqa: F811
    with pytest.raises(ModelError, match=match):
        TransformersBackend(tiny_model_path, **kwargs)


@pytest.mark.timeout(60)
def test_bad_requests_are_model_errors(tiny_backend):
    with pytest.raises(ModelError, match="GenerationRequest"):
        tiny_backend.generate(["What is the polygon of the cat?"])
    with pytest.raises(ModelError, match="PIL"):
        tiny_backend.generate([GenerationRequest(image=None, prompt="x")])  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="prompt"):
        tiny_backend.generate([GenerationRequest(image=_image((32, 32), 0), prompt="")])


@pytest.mark.timeout(60)
def test_generation_failures_are_model_errors(tiny_model_path, monkeypatch):  # noqa: F811
    import torch

    backend = TransformersBackend(tiny_model_path, max_new_tokens=2)
    req = MIXED_REQUESTS[0]
    with pytest.raises(ModelError, match="max_new_tokens"):
        backend.generate([GenerationRequest(req.image, req.prompt, max_new_tokens=0)])

    def oom(**kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(backend.model, "generate", oom)
    with pytest.raises(ModelError, match="out of memory.*lower batch_size"):
        backend.generate([req])

    def broken(**kwargs):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(backend.model, "generate", broken)
    with pytest.raises(ModelError, match="generation failed.*shape mismatch"):
        backend.generate([req])
    backend.close()
    with pytest.raises(ModelError, match="closed"):
        backend.generate([req])


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_adapter_needs_peft(tiny_model_path, tmp_path):  # noqa: F811
    try:
        import peft  # noqa: F401
    except ImportError:
        with pytest.raises(MissingDependencyError, match=r"\[train\]"):
            TransformersBackend(tiny_model_path, adapter=tmp_path)
    else:
        with pytest.raises(ModelError, match="adapter_config.json"):
            TransformersBackend(tiny_model_path, adapter=tmp_path)


def test_importing_the_module_does_not_import_torch():
    code = (
        "import sys, simpleseg_agent.backends.transformers_backend, simpleseg_agent.testing, "
        "simpleseg_agent.testing.memorize\n"
        "bad = [m for m in ('torch', 'transformers', 'torchvision') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_build_script_runs(tmp_path):
    out = tmp_path / "script"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_tiny_model.py"), "--out", str(out), "--seed", "3"],
        check=False, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "parameters" in proc.stdout and (out / "model.safetensors").is_file()
