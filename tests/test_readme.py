"""The README's notebook section runs as it stands: its sample-data commands, then its Python."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## From Python (all four analyses)"


def _blocks(language: str) -> list[str]:
    text = README.read_text()
    section = text[text.index(SECTION) : text.index("\n## ", text.index(SECTION) + 1)]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def test_the_notebook_section_runs(tmp_path, monkeypatch, run_cli):
    (commands,) = _blocks("bash")
    (code,) = _blocks("python")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIEWCAST_PROGRESS", "0")
    for line in commands.strip().splitlines():
        words = shlex.split(line.split("#")[0])
        assert words[0] == "viewcast"
        status, _, err = run_cli(*words[1:])
        assert status == 0, (line, err)
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)  # the README's own example
    assert namespace["views"].config.by == "creator"
    assert namespace["labels"].model.predict(namespace["video"])["label"] in {"claim", "opinion"}
    answer = namespace["viewcast"].load_model(tmp_path / "models" / "planner").predict(namespace["planned"])
    assert answer["lo95"] <= answer["expected_new_followers"] <= answer["hi95"]
    for folder in ("views", "planner", "claims", "popular"):
        assert (tmp_path / "models" / folder / "metadata.json").is_file()
