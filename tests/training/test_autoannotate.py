"""Auto-annotation: the pipeline on tiny random GroundingDINO and SAM checkpoints built here, and auto_annotate."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.geometry import Region, signed_area2
from simpleseg_agent.training.autoannotate import (
    Annotation,
    AutoAnnotator,
    GroundingSamAnnotator,
    auto_annotate,
    box_nms,
)
from simpleseg_agent.training.converters import DataError


def build_tiny_grounding_dino(out: Path) -> Path:
    """A random GroundingDINO (Swin backbone 8 wide, BERT 16 wide, 6 queries) with a WordPiece tokenizer."""
    import torch
    import transformers

    letters = string.ascii_lowercase + string.digits
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "the", "a", "cat", "red", "button", "cup"]
    vocab += list(letters) + [f"##{c}" for c in letters]
    tokenizer = transformers.BertTokenizer(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True)
    backbone = transformers.SwinConfig(
        image_size=64, patch_size=4, embed_dim=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1], window_size=2,
        out_indices=[2, 3, 4],
    )
    text = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=64,
    )
    # d_model must be a multiple of 32 (GroupNorm(32, d_model)); 2 decoder layers (the box heads are tied across layers)
    config = transformers.GroundingDinoConfig(
        backbone_config=backbone, text_config=text, num_queries=6, encoder_layers=1, decoder_layers=2, d_model=32,
        encoder_ffn_dim=32, decoder_ffn_dim=32, encoder_attention_heads=2, decoder_attention_heads=2,
        num_feature_levels=3, encoder_n_points=1, decoder_n_points=1, max_text_len=32,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = transformers.GroundingDinoForObjectDetection(config)
    image_processor = transformers.GroundingDinoImageProcessor(size={"shortest_edge": 64, "longest_edge": 64})
    processor = transformers.GroundingDinoProcessor(image_processor=image_processor, tokenizer=tokenizer)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def build_tiny_sam(out: Path) -> Path:
    """A random SAM with a 64-pixel input, a 2-block 16-wide ViT and an 8-wide mask decoder."""
    import torch
    import transformers

    vision = transformers.SamVisionConfig(
        hidden_size=16, output_channels=8, num_hidden_layers=2, num_attention_heads=2, image_size=64, patch_size=8,
        window_size=4, global_attn_indexes=[1], num_pos_feats=4, mlp_dim=32,
    )
    prompt = transformers.SamPromptEncoderConfig(hidden_size=8, image_size=64, patch_size=8, mask_input_channels=4)
    decoder = transformers.SamMaskDecoderConfig(
        hidden_size=8, mlp_dim=16, num_hidden_layers=1, num_attention_heads=2, iou_head_hidden_dim=8
    )
    config = transformers.SamConfig(vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = transformers.SamModel(config)
    processor = transformers.SamProcessor(
        image_processor=transformers.SamImageProcessor(size={"longest_edge": 64}, pad_size={"height": 64, "width": 64})
    )
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> tuple[Path, Path]:
    pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    pytest.importorskip("transformers")
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("auto-models")
    return build_tiny_grounding_dino(root / "gdino"), build_tiny_sam(root / "sam")


def _photo(path: Path, w: int = 80, h: int = 48) -> Path:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
    return path


@pytest.mark.slow
def test_grounding_sam_end_to_end_with_tiny_random_models(tiny_models, tmp_path: Path) -> None:
    detector_dir, sam_dir = tiny_models
    # thresholds 0: random weights must still give detections, so the whole code path runs
    annotator = GroundingSamAnnotator(detector_dir, sam_dir, box_threshold=0.0, text_threshold=0.0, nms_iou=1.0,
                                      geometry=None)
    assert isinstance(annotator, AutoAnnotator)
    image = _photo(tmp_path / "p.png")
    phrases = ["the cat", "A red button."]
    detections = annotator.detect(image, phrases)
    assert detections and {d.phrase for d in detections} <= set(phrases)
    for d in detections:
        x1, y1, x2, y2 = d.xyxy_px
        assert 0 <= x1 < x2 <= 80 and 0 <= y1 < y2 <= 48 and 0 <= d.score <= 1
    masks = annotator.segment(image, [d.xyxy_px for d in detections])
    assert len(masks) == len(detections) and all(m.shape == (48, 80) and m.dtype == bool for m, _ in masks)
    annotations = annotator.annotate(image, phrases)
    assert annotations  # random SAM masks are specks, but not empty: the tracing ran
    for a in annotations:
        assert a.phrase in phrases and not a.region.is_empty
        for ring in a.region.polygons:
            assert ring.min() >= 0 and ring.max() <= 1 and signed_area2(ring) > 0
    # the pipeline as a converter: records with the phrase as expression
    conv = auto_annotate([image, tmp_path / "missing.png"], phrases, annotator, relative_to=tmp_path)
    records = list(conv)
    assert len(records) == len(annotations)
    assert all(r.image_path == "p.png" and r.image_wh == (80, 48) and r.source == "auto" for r in records)
    assert conv.stats.skipped["missing_image"] == 1


@pytest.mark.slow
def test_grounding_sam_thresholds_filter_everything(tiny_models, tmp_path: Path) -> None:
    detector_dir, sam_dir = tiny_models
    strict = GroundingSamAnnotator(detector_dir, sam_dir, box_threshold=1.0, text_threshold=1.0)
    assert strict.annotate(_photo(tmp_path / "p.png"), ["the cat"]) == []
    one = GroundingSamAnnotator(detector_dir, sam_dir, box_threshold=0.0, text_threshold=0.0, max_per_phrase=1)
    dets = one.detect(_photo(tmp_path / "q.png"), ["the cat"])
    assert len(dets) <= 1


def test_grounding_sam_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="box_threshold"):
        GroundingSamAnnotator(tmp_path, tmp_path, box_threshold=2)
    pytest.importorskip("transformers")
    from simpleseg_agent.errors import ModelError

    with pytest.raises(ModelError, match="cannot load"):
        GroundingSamAnnotator(tmp_path / "none", tmp_path / "none")


class _Scripted:
    """A fake annotator: fixed answers per phrase."""

    def __init__(self, answers: dict[str, list[Annotation]]) -> None:
        self.answers = answers

    def annotate(self, image, phrases):
        return [a for p in phrases for a in self.answers.get(p, [])]


def _square(x: float) -> Region:
    return Region.from_polygons([[[x, 0.1], [x + 0.2, 0.1], [x + 0.2, 0.4], [x, 0.4]]])


def test_auto_annotate_counts_and_ambiguity(tmp_path: Path) -> None:
    image = _photo(tmp_path / "k.png", 40, 40)
    fake = _Scripted({
        "a cup": [Annotation("a cup", _square(0.1), 0.9), Annotation("a cup", _square(0.5), 0.8)],
        "a fork": [Annotation("a fork", _square(0.3), 0.2)],
        "a plate": [Annotation("a plate", Region.empty(), 0.9)],
        "a knife": [Annotation("a knife", _square(0.7), 0.7)],
    })
    phrases = ["a cup", "a fork", "a plate", "a knife", "a spoon"]
    conv = auto_annotate([image], phrases, fake, min_score=0.5)
    records = list(conv)
    assert [(r.expressions[0], r.meta["ambiguous"]) for r in records] == [("a cup", True), ("a cup", True), ("a knife", False)]
    assert dict(conv.stats.skipped) == {"low_score": 1, "empty_mask": 1, "no_detection": 1}
    skipped = auto_annotate([image], lambda path: phrases, fake, ambiguous="skip")
    assert [r.expressions[0] for r in skipped] == ["a fork", "a knife"]
    assert skipped.stats.skipped["ambiguous"] == 2
    with pytest.raises(DataError, match="ambiguous"):
        auto_annotate([image], phrases, fake, ambiguous="maybe")
    with pytest.raises(DataError, match="annotate"):
        auto_annotate([image], phrases, object())


@pytest.mark.parametrize(
    "boxes, scores, keep",
    [
        ([[0, 0, 10, 10]], [0.5], [0]),
        ([[0, 0, 10, 10], [0, 0, 10, 10]], [0.4, 0.6], [1]),
        ([[0, 0, 10, 10], [5, 5, 15, 15]], [0.9, 0.8], [0, 1]),  # IoU 1/7: both kept
        ([[0, 0, 0, 0], [0, 0, 0, 0]], [0.9, 0.8], [0, 1]),  # empty boxes never suppress
    ],
)
def test_box_nms(boxes, scores, keep) -> None:
    assert box_nms(np.array(boxes, float), np.array(scores), 0.5) == keep
