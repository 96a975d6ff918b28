"""The shipped recipes are package data: found by name from a checkout and from an installed wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simpleseg_agent.errors import SimpleSegError
from simpleseg_agent.training.config import SFTRecipe
from simpleseg_agent.training.recipes import find_recipe, recipe_names

REPO = Path(__file__).resolve().parents[2]


def test_a_local_file_wins_over_a_shipped_recipe_of_the_same_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gui-sft.yaml").write_text("kind: sft\nname: mine\n")
    assert find_recipe("gui-sft.yaml") == Path("gui-sft.yaml")
    assert SFTRecipe.from_yaml(find_recipe("gui-sft.yaml")).name == "mine"
    assert SFTRecipe.from_yaml(find_recipe("gui-sft")).name == "gui-sft"  # a bare name is the shipped one


@pytest.mark.parametrize("bad", ["gui-sf", "nowhere/gui-sft.yaml", ""])
def test_an_unknown_recipe_is_refused_with_the_shipped_names(bad: str) -> None:
    with pytest.raises(SimpleSegError, match=r"not found: expected a YAML file or one of the shipped recipes \(anime-gspo, .*tiny-cpu-sft\)"):
        find_recipe(bad)


def test_every_shipped_recipe_names_its_model_and_data() -> None:
    # a recipe runs on its own: nothing left empty for a driver to fill in
    for name in recipe_names():
        card = yaml.safe_load(find_recipe(name).read_text())
        assert card["model"]["model"] and card["data"]["train"], name


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_recipe_resolves_by_name_from_an_installed_copy_outside_the_checkout(tmp_path: Path) -> None:
    target, elsewhere, source = tmp_path / "site", tmp_path / "elsewhere", tmp_path / "source"
    elsewhere.mkdir()
    # a copy of the sources, so the build's own folders (build/, *.egg-info) stay out of the checkout
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "runs", "data", "build", "dist", "*.egg-info",
                                                                "__pycache__", ".pytest_cache", ".hypothesis", "*.so"))
    # install the package as a wheel would lay it out (no build isolation: the venv's setuptools builds it)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, timeout=540,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert not (target / "training").exists()  # the repository's folders do not travel
    assert (target / "simpleseg_agent" / "models" / "simpleseg-gui-small" / "README.md").is_file()  # the model card
    env = {**os.environ, "PYTHONPATH": str(target), "OMP_NUM_THREADS": "1"}
    probe = ("import simpleseg_agent; from simpleseg_agent.training.recipes import find_recipe; "
             "from simpleseg_agent.training.config import SFTRecipe; "
             "p = find_recipe('default-gui-sft'); print(simpleseg_agent.__file__); print(p); "
             "print(SFTRecipe.from_yaml(p).model.model)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split("\n")
    assert Path(out[0]).is_relative_to(target) and Path(out[1]).is_relative_to(target), out
    assert out[2] == "runs/default/init"
    # the command line finds it too: it gets as far as the model the recipe names, absent here
    done = subprocess.run([sys.executable, "-m", "simpleseg_agent.cli", "train", "sft", "--recipe", "default-gui-sft"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "recipe" not in done.stderr.lower().split("not found")[0][-40:], done.stderr
    assert "runs/default" in done.stderr, done.stderr
