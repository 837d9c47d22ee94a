"""The README's two set-up commands are the ones users and CI actually run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    blocks = _bash_blocks(setup)
    assert len(blocks) == 2, blocks
    assert all("\n" not in b for b in blocks), "each set-up command must be a single line"
    assert "commissioning" in blocks[0]
    assert "ruff check" in blocks[1] and "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    # .ci/run runs the README's command one step a line (under ``set -e``, the same as joining with &&).
    assert " && ".join(_ci_steps(ci)) == blocks[1], "the .ci/run steps must be the README's test command"


def _ci_steps(ci: str) -> list[str]:
    """The command lines of .ci/run from the virtual environment on (the browser set-up comes before)."""
    lines = [line.strip() for line in ci.splitlines()]
    start = next(k for k, line in enumerate(lines) if line.startswith("python3 -m venv"))
    return [line for line in lines[start:] if line and not line.startswith("#")]


def test_the_readme_lists_every_switch_as_declared():
    """Issue 11: one name per switch; the README's table is made from the solver's declaration."""
    from commissioning.scenario.switches import render_markdown

    assert render_markdown() in (ROOT / "README.md").read_text(encoding="utf-8")
