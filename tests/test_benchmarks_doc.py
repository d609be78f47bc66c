"""docs/benchmarks.md is exactly what benchmarks/run.py renders from benchmarks/results.jsonl."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """benchmarks/run.py as a module (it imports torture.py from its own directory)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _body(text: str) -> list[str]:
    # The "Last run" line names the machine, versions and date of the last --write.
    return [line for line in text.splitlines() if not line.startswith("Last run:")]


def test_benchmarks_doc_matches_the_recorded_results(run) -> None:  # type: ignore[no-untyped-def]
    if not run.RESULTS.exists():
        pytest.skip("no benchmark results recorded")
    doc = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    plot = "benchmarks_scaling.png" in doc
    rendered = run.render(run._done(), "", plot)
    assert _body(rendered) == _body(doc), "rerun: python benchmarks/run.py --write"


def test_targets_are_judged_from_the_rows(run) -> None:  # type: ignore[no-untyped-def]
    # A forged or regressed row must flip the verdict: the page is not hand-written.
    rows = {run._key("many:10000:200", "ours", a): {"seconds": s, "peak_mb": 300.0,
                                                     "types": 7992}
            for a, s in (("leximin", 150.0), ("maximin", 30.0))}
    text = "\n".join(run._targets(rows, []))
    assert "LEXIMIN 150.0 s (< 120 s: NOT met)" in text
    assert "MAXIMIN 30.0 s (< 60 s: met)" in text
