"""CI runs the README's test command verbatim (``.ci/run``), so the two never drift apart."""

from __future__ import annotations

import re

from conftest import REPO


def _readme_test_command() -> str:
    blocks = re.findall(r"```sh\n(.*?)\n```", (REPO / "README.md").read_text("utf-8"), re.S)
    return blocks[1]  # the second quick-start command


def test_ci_runs_the_readme_test_command_verbatim():
    command = _readme_test_command()
    lines = (REPO / ".ci" / "run").read_text("utf-8").splitlines()
    assert lines[-1] == command


def test_the_readme_test_command_lints_and_type_checks_before_the_tests():
    steps = [step.strip() for step in _readme_test_command().split("&&")]
    assert steps[0] == 'python -m pip install -e ".[test]"'
    assert steps.index("python -m ruff check") < steps.index("python -m pytest")
    assert steps.index("python -m mypy") < steps.index("python -m pytest")
