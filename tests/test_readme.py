"""The README's command-line walk-through runs as printed, on the example's input files."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    block = next(b for b in blocks if "civicsortition example --out" in b)
    joined = block.replace("\\\n", " ")
    out = []
    for line in joined.splitlines():
        line = line.split("#", 1)[0].strip() if " # " in line or line.startswith("#") else line
        for part in line.split("&&"):
            if part.strip():
                out.append(shlex.split(part.strip()))
    return out


def test_the_readme_walk_through_runs_as_printed(tmp_path: Path) -> None:
    commands = _commands()
    assert commands[0][:4] == ["python", "-m", "civicsortition", "example"]
    assert len(commands) >= 8
    cwd = tmp_path
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for argv in commands:
        if argv[0] == "cd":
            cwd = cwd / argv[1]
            continue
        argv = [sys.executable if a == "python" else a for a in argv]
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, f"{' '.join(argv[3:5])}: {done.stderr[-2000:]}"
    report = json.loads((cwd / "report.json").read_text(encoding="utf-8"))
    assert report["inputs"]["panel_size"] == 36
    assert (cwd / "selected.csv").read_text(encoding="utf-8").count("\n") == 37
    ids = {line.split(",")[0] for line in (cwd / "people.csv").read_text().splitlines()[1:]}
    markdown = (cwd / "report.md").read_text(encoding="utf-8")
    assert not [i for i in ids if re.search(rf"\b{re.escape(i)}\b", markdown)]
