"""The embedding API on the command line (issue 14, point 7): -v/-q, --time-limit, --progress.

Driven through ``main([...])`` on the embedded example's files. Nothing depends on which
optimal lottery a solver returns: the checks are what reaches stderr (log levels, never an id
or a household key), that an unconverged result is still verified, and that Ctrl-C during a
run with ``--progress`` cancels it gracefully and restores the previous handler.
"""

from __future__ import annotations

import csv
import json
import logging
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import civicsortition.cli as cli
from civicsortition.cli import EXIT_OK, main

K = 36


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("embedding")
    assert main(["example", "--out", str(d)]) == EXIT_OK
    return d


@pytest.fixture
def handlers() -> Iterator[None]:
    """main() leaves the package logger as it found it (no stacked handlers, same level)."""
    logger = logging.getLogger("civicsortition")
    before, level = list(logger.handlers), logger.level
    yield
    assert logger.handlers == before
    assert logger.level == level


def _base(d: Path) -> list[str]:
    return ["--targets", str(d / "targets.csv"), "--people", str(d / "people.csv"),
            "--panel-size", str(K), "--id-column", "id", "--household-column", "address"]


def _personal(d: Path) -> set[str]:
    with (d / "people.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {r["id"] for r in rows} | {r["address"] for r in rows}


def _log_lines(err: str, level: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"{level} civicsortition")]


@pytest.mark.usefixtures("handlers")
def test_verbose_shows_the_stages_and_no_personal_data(
        example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-v", "select", *_base(example), "--json", str(tmp_path / "r.json")]) == EXIT_OK
    err = capsys.readouterr().err
    info = _log_lines(err, "INFO")
    assert any("setup" in line for line in info), err
    assert not _log_lines(err, "DEBUG")
    words = {w.strip(",;:()[]'\"") for w in err.split()}
    assert not words & _personal(example)
    assert main(["-vv", "select", *_base(example), "--json", str(tmp_path / "r2.json")]) == EXIT_OK
    err = capsys.readouterr().err
    assert _log_lines(err, "DEBUG")
    assert _log_lines(err, "INFO")
    assert not {w.strip(",;:()[]'\"") for w in err.split()} & _personal(example)


@pytest.mark.usefixtures("handlers")
def test_quiet_and_default_show_no_info(example: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "select", *_base(example), "--progress", "--json",
                 str(tmp_path / "q.json")]) == EXIT_OK
    err = capsys.readouterr().err
    assert not _log_lines(err, "INFO")
    assert not _log_lines(err, "DEBUG")
    assert "iteration" not in err                       # -q: no progress bar
    assert main(["select", *_base(example), "--json", str(tmp_path / "d.json")]) == EXIT_OK
    assert not _log_lines(capsys.readouterr().err, "INFO")


@pytest.mark.usefixtures("handlers")
def test_progress_is_shown(example: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select", *_base(example), "--progress", "--json",
                 str(tmp_path / "p.json")]) == EXIT_OK
    err = capsys.readouterr().err
    assert "iteration" in err
    assert "bound" in err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("handlers")
def test_time_limit_gives_a_valid_unconverged_result(
        example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result, lottery, record = tmp_path / "r.json", tmp_path / "l.json", tmp_path / "d.json"
    assert main(["select", *_base(example), "--time-limit", "1e-9", "--json", str(result),
                 "--lottery", str(lottery), "--draw-seed", "public seed", "--record",
                 str(record)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "not converged" in err
    assert "gap" in err
    doc = json.loads(result.read_text())
    assert doc["certificate"]["converged"] is False
    assert main(["verify", *_base(example), "--result", str(result), "--lottery", str(lottery),
                 "--record", str(record)]) == EXIT_OK
    assert "verification passed" in capsys.readouterr().out


def test_time_limit_must_be_positive(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["select", *_base(example), "--time-limit", "0"])
    assert "time limit" in capsys.readouterr().err


@pytest.mark.usefixtures("handlers")
def test_time_limit_reaches_replace(example: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from civicsortition import replacements

    seen: list[dict[str, Any]] = []
    real = replacements.find_distribution

    def spy(*args: Any, **options: Any) -> Any:
        seen.append(options)
        return real(*args, **options)

    monkeypatch.setattr(replacements, "find_distribution", spy)
    record = tmp_path / "draw.json"
    assert main(["select", *_base(example), "--draw-seed", "s", "--record", str(record)]) \
        == EXIT_OK
    panel = json.loads(record.read_text())["panel"]
    assert main(["replace", *_base(example), "--members", ",".join(panel), "--dropouts",
                 panel[0], "--seed", "again", "--time-limit", "30"]) == EXIT_OK
    assert seen
    assert seen[-1]["time_limit"] == 30.0


@pytest.mark.usefixtures("handlers")
def test_ctrl_c_with_progress_cancels_gracefully(
        example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = cli.find_distribution
    calls: list[object] = []

    def interrupted(*args: Any, **options: Any) -> Any:
        bar = options["progress"]

        def progress(*report: Any) -> Any:
            calls.append(report)
            if len(calls) == 1:
                signal.raise_signal(signal.SIGINT)     # Ctrl-C during the run
            return bar(*report)

        return real(*args, **{**options, "progress": progress})

    monkeypatch.setattr(cli, "find_distribution", interrupted)
    result = tmp_path / "r.json"
    assert main(["select", *_base(example), "--progress", "--json", str(result)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "cancel" in err
    assert json.loads(result.read_text())["certificate"]["converged"] is False
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert main(["verify", *_base(example), "--result", str(result)]) == EXIT_OK
