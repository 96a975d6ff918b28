"""Checkpoint folders declare their answer space; the shipped default is a preset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simpleseg_agent.backends.presets import DEFAULT_MODEL, PRESETS, default_model_dir
from simpleseg_agent.backends.registry import resolve_preset
from simpleseg_agent.errors import ModelError
from simpleseg_agent.grammar import CoordSpace
from simpleseg_agent.tools import Decoding


def test_a_folder_declaring_the_compact_space_is_read_on_the_0_999_grid(tmp_path: Path) -> None:
    assert resolve_preset(None, str(tmp_path)).coord_space is CoordSpace.NORM  # declares nothing
    (tmp_path / "simpleseg_model.json").write_text(json.dumps({"coord_space": "1000"}))
    assert resolve_preset(None, str(tmp_path)).coord_space is CoordSpace.THOUSAND
    assert resolve_preset("simpleseg-qwen2.5-vl", str(tmp_path)).coord_space is CoordSpace.NORM  # an explicit preset wins


def test_an_unknown_declared_space_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "simpleseg_model.json").write_text(json.dumps({"coord_space": "inches"}))
    with pytest.raises(ModelError, match="unknown coord_space 'inches'"):
        resolve_preset(None, str(tmp_path))


def test_the_default_model_preset_points_into_the_package() -> None:
    p = PRESETS[DEFAULT_MODEL]
    assert Path(p.model_id) == default_model_dir() and p.coord_space is CoordSpace.THOUSAND
    assert default_model_dir().parent.name == "models" and default_model_dir().parent.parent.name == "simpleseg_agent"


def test_a_folder_says_how_its_answers_snap_but_does_not_turn_snapping_on(tmp_path: Path) -> None:
    def declared() -> Decoding:
        return Decoding.for_preset(resolve_preset(None, str(tmp_path)))

    plain = declared()
    assert (plain.snap, plain.reach, plain.overlap_weight) == (False, 0.5, 100.0)  # declares nothing
    (tmp_path / "simpleseg_model.json").write_text(json.dumps({"coord_space": "1000", "snap": {"reach": 100, "overlap_weight": 0}}))
    chooser = declared()
    assert (chooser.snap, chooser.reach, chooser.overlap_weight) == (False, 100.0, 0.0)
    (tmp_path / "simpleseg_model.json").write_text(json.dumps({"snap": {"reach": 2.0}}))
    assert declared().reach == 2.0 and declared().overlap_weight == 100.0
    for bad in (-1, "far", True):
        (tmp_path / "simpleseg_model.json").write_text(json.dumps({"snap": {"reach": bad}}))
        with pytest.raises(ModelError, match="snap reach"):
            declared()
    (tmp_path / "simpleseg_model.json").write_text("{not json")  # unreadable: the defaults, as before
    assert declared().reach == 0.5
