"""The training recipes that ship with the package (``<name>.yaml`` files in this folder).

They are package data, so ``simpleseg train sft --recipe gui-sft`` resolves the same way from a
checkout and from an installed wheel. Each file runs on its own: its model, data and output folder
are paths relative to the working directory (``runs/...``, ``data/...``), which the command line
can override (``--model.model``, ``--data.train``, ``--output-dir``).

Example:
    >>> find_recipe("tiny-cpu-sft").name
    'tiny-cpu-sft.yaml'
    >>> "default-gui-sft" in recipe_names()
    True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ...errors import SimpleSegError

__all__ = ["find_recipe", "recipe_names"]


def recipe_names() -> list[str]:
    """The names of the shipped recipes, sorted (``["anime-gspo", "anime-sft", ...]``).

    Example:
        >>> recipe_names()[:2]
        ['anime-gspo', 'anime-sft']
    """
    folder = resources.files(__name__)
    return sorted(f.name[: -len(".yaml")] for f in folder.iterdir() if f.name.endswith(".yaml"))


def find_recipe(name_or_path: str | Path) -> Path:
    """The recipe file for a path to a YAML file, or the name of a shipped recipe (with or without ``.yaml``).

    A path that exists wins over a shipped recipe of the same name, so a local copy can be edited and used.

    Raises:
        SimpleSegError: neither a file nor a shipped recipe; the message lists the shipped names.

    Example:
        >>> find_recipe("gui-sft.yaml") == find_recipe("gui-sft")
        True
        >>> try:
        ...     find_recipe("gui-sf")
        ... except SimpleSegError as exc:
        ...     print(str(exc).split(" (")[0])
        recipe 'gui-sf' not found: expected a YAML file or one of the shipped recipes
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    stem = path.name[: -len(".yaml")] if path.name.endswith(".yaml") else path.name
    if str(path) == path.name and stem in recipe_names():
        # the package is installed as plain files (setuptools wheels, editable installs), so this is a real path
        return Path(str(resources.files(__name__).joinpath(f"{stem}.yaml")))
    known = ", ".join(recipe_names())
    raise SimpleSegError(f"recipe {str(name_or_path)!r} not found: expected a YAML file or one of the shipped recipes ({known})")
