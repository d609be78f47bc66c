"""docs/extending.md: its worked extensions run, in order, and print what the page shows.

The page's ``python`` blocks are joined into one script (run in a fresh interpreter, so the
registrations it makes do not leak into other tests); each ``text`` block is the output the
blocks before it must print since the previous ``text`` block.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"
MARK = "----- output checked here -----"
BLOCK = re.compile(r"^```(python|text)\n(.*?)^```", re.S | re.M)


def _script_and_expected() -> tuple[str, list[str]]:
    code: list[str] = []
    expected: list[str] = []
    for kind, body in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if kind == "python":
            code.append(body)
        else:
            code.append(f"print({MARK!r})\n")
            expected.append(body)
    return "\n".join(code), expected


def test_the_page_has_three_worked_extensions() -> None:
    script, expected = _script_and_expected()
    assert len(expected) == 3
    for hook in ("register_algorithm(", "register_backend(", "SOURCE_KINDS["):
        assert hook in script


def test_worked_extensions_print_what_the_page_shows(tmp_path: Path) -> None:
    script, expected = _script_and_expected()
    path = tmp_path / "extending.py"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run([sys.executable, "-W", "error", str(path)], capture_output=True,
                          text=True, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout.split(MARK + "\n")
    assert printed[-1] == ""
    assert printed[:-1] == expected

