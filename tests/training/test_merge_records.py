"""merge_records: the second SFT stage's training file, built from starter and easy screens."""

from __future__ import annotations

from pathlib import Path

import pytest

from simpleseg_agent.errors import GeometryError
from simpleseg_agent.training.records import merge_records, read_records, resolve_image
from simpleseg_agent.training.synth import GuiScreenGenerator, GuiSynthConfig
from simpleseg_agent.training.tasks import BuildOptions, TaskMix, _merge_turns, iter_task_rows


@pytest.fixture(scope="module")
def two_sets(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("merge")
    GuiScreenGenerator(GuiSynthConfig(difficulty="starter")).generate(3, root / "starter", seed=11)
    GuiScreenGenerator(GuiSynthConfig(difficulty="easy")).generate(4, root / "easy", seed=1)
    return root / "starter" / "records.jsonl", root / "easy" / "records.jsonl"


def test_merge_keeps_every_record_of_the_first_images_with_absolute_paths(two_sets, tmp_path):
    starter, easy = two_sets
    out = tmp_path / "elsewhere" / "records.jsonl"
    counts = merge_records([(starter, None, "starter"), (easy, 2, "easy")], out)
    merged = list(read_records(out))
    easy_records = list(read_records(easy))
    first_two = [r for r in easy_records if r.image_path in {"images/000000.png", "images/000001.png"}]
    assert counts == {"starter": len(list(read_records(starter))), "easy": len(first_two)}
    assert len(first_two) < len(easy_records)  # the limit cut something
    assert len(merged) == counts["starter"] + counts["easy"]
    ids = [r.record_id for r in merged]
    assert len(set(ids)) == len(ids) and ids[0].startswith("starter/") and ids[-1].startswith("easy/")
    for r in merged:  # moved to another folder, every image is still found
        assert Path(r.image_path).is_absolute() and resolve_image(r, out).is_file()
    # the same objects, byte for byte apart from the path and id
    src = {f"easy/{r.record_id}": r for r in easy_records}
    for r in merged[counts["starter"]:]:
        assert r.region.allclose(src[r.record_id].region) and r.expressions == src[r.record_id].expressions
    assert not out.with_name("records.jsonl.part").exists()


def test_merged_rows_group_turns_by_screen(two_sets, tmp_path):
    starter, easy = two_sets
    out = tmp_path / "records.jsonl"
    merge_records([(starter, None, "starter"), (easy, 2, "easy")], out)
    opts = BuildOptions(style="compact", turns_per_row=8, simplify_eps_frac=0.02)
    rows = list(_merge_turns(iter_task_rows(out, format="sft", mix=TaskMix.parse("text2mask=1,text2point=1"),
                                            records_file=out, options=opts), 8))
    screens = []
    for row in rows:
        ids = row["record_id"].split(",")
        assert 1 <= len(ids) <= 8
        per_row = {i.rsplit("-", 1)[0] for i in ids}  # "easy/000001-008" -> "easy/000001"
        assert len(per_row) == 1  # a row asks about one screen only
        screens += per_row
    assert set(screens) == {f"starter/{i:06d}" for i in range(3)} | {f"easy/{i:06d}" for i in range(2)}


def test_a_bad_source_line_names_its_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with pytest.raises(GeometryError, match="bad.jsonl:1"):
        merge_records([(bad, None, "x")], tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_a_filtered_source_keeps_only_the_records_its_filter_accepts(tmp_path):
    """A source with a filter (here: the icons of toolbars and forms, of screens drawn with a toolbar wherever one
    fits) keeps only those records; its screen limit still counts every screen."""
    from simpleseg_agent.training.synth.vocab import TOOL_ICONS

    def tool_icon(r):
        return r.label == "icon_button" and r.meta["name"] in TOOL_ICONS

    GuiScreenGenerator(GuiSynthConfig(difficulty="easy", toolbar_prob=1.0)).generate(6, tmp_path / "icons", seed=3)
    src = tmp_path / "icons" / "records.jsonl"
    every = list(read_records(src))
    icons = [r for r in every if tool_icon(r)]
    assert icons and len(icons) < len(every) and any(r.label == "icon_button" and r.meta["name"] == "close" for r in every)
    out = tmp_path / "mix" / "records.jsonl"
    counts = merge_records([(src, None, "icons", tool_icon), (src, 2, "all")], out)
    merged = list(read_records(out))
    assert counts["icons"] == len(icons) and [r.record_id for r in merged[: len(icons)]] == [f"icons/{r.record_id}" for r in icons]
    assert all(tool_icon(r) for r in merged[: len(icons)])
    first_two = {"images/000000.png", "images/000001.png"}
    # an unfiltered source of the same file keeps its first two screens whole; a filtered one, their icons only
    assert counts["all"] == sum(r.image_path in first_two for r in every)
    two = merge_records([(src, 2, "x", tool_icon)], tmp_path / "two.jsonl")
    assert two["x"] == sum(r.image_path in first_two for r in icons)
