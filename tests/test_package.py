"""Package-level promises: the core imports without torch and without a display."""

import os
import subprocess
import sys

import pytest


@pytest.mark.timeout(120)
def test_core_imports_without_torch_or_display():
    code = (
        "import sys, simpleseg_agent, simpleseg_agent.geometry, simpleseg_agent.grammar, "
        "simpleseg_agent.prompts, simpleseg_agent.overlay, simpleseg_agent.cli\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'trl', 'pyautogui', 'mss') if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_public_names_are_exported():
    import simpleseg_agent

    for name in simpleseg_agent.__all__:
        assert hasattr(simpleseg_agent, name), name


def test_missing_optional_dependency_names_the_extra():
    from simpleseg_agent._optional import require
    from simpleseg_agent.errors import MissingDependencyError

    with pytest.raises(MissingDependencyError, match=r"pip install 'simpleseg-agent\[agent\]'"):
        require("surely_not_installed_pkg_xyz", extra="agent", feature="the screen agent")
