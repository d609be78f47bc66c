"""Regressions found by trying the new features as a new user (issue 14 review)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import civicsortition as cs
from civicsortition.cli import EXIT_BAD_INPUT, EXIT_OK, main
from civicsortition.examples import rustavi_example


@pytest.fixture(scope="module")
def example():  # type: ignore[no-untyped-def]
    pool, quotas = rustavi_example()
    return pool, quotas, cs.leximin(pool, quotas)


def test_a_report_marks_an_unverifiable_claim_unverified(example) -> None:  # type: ignore[no-untyped-def]
    pool, quotas, dist = example
    doc = json.loads(json.dumps(dist.as_dict()))
    verdict = cs.verify_selection(pool, quotas, result=doc)
    assert verdict.unverified
    report = cs.audit_report(pool, quotas, dist, verdict=verdict)
    for lang, word in (("en", "unverified"), ("ka", "გადაუმოწმებელი")):
        text = report.to_markdown(lang=lang)
        for check in verdict.unverified:
            assert f"- {word} {check.name}:" in text
    assert report.as_dict() == report.to_dict()


def test_the_report_display_shows_the_lottery_draw_and_verifier(example) -> None:  # type: ignore[no-untyped-def]
    pool, quotas, dist = example
    lottery = cs.transparent_lottery(dist, 250)
    record = cs.draw(lottery, "review seed")
    verdict = cs.verify_selection(pool, quotas, distribution=dist, lottery=lottery,
                                  record=record)
    html = cs.audit_report(pool, quotas, dist, lottery=lottery, record=record,
                           verdict=verdict)._repr_html_()
    assert ">250<" in html
    assert f"{record.index} of {record.m}" in html
    assert "passed" in html


@pytest.mark.parametrize("limit", [float("inf"), float("nan"), -1.0])
def test_a_time_limit_must_be_finite(example, limit: float) -> None:  # type: ignore[no-untyped-def]
    pool, quotas, _ = example
    with pytest.raises(cs.InputError, match="finite"):
        cs.leximin(pool, quotas, time_limit=limit)


def test_the_probability_frame_stays_within_zero_and_one(example) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("narwhals")
    pytest.importorskip("pandas")
    _, _, dist = example
    frame = dist.to_frame()
    assert frame["probability"].max() <= 1.0
    assert frame["probability"].min() >= 0.0


def test_a_missing_frame_library_is_named(example) -> None:  # type: ignore[no-untyped-def]
    """A library narwhals supports but that is not installed (modin) is named in the message.

    (Hiding an imported library through ``sys.modules`` does not work once narwhals has seen
    it, so the test uses one that is not installed at all.)
    """
    import importlib.util

    pytest.importorskip("narwhals")
    if importlib.util.find_spec("modin") is not None:
        pytest.skip("modin is installed here")
    _, quotas, _ = example
    with pytest.raises(ImportError, match="pip install modin"):
        quotas.to_frame(like="modin")


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    assert main(["example", "--out", str(tmp_path / "ex")]) == EXIT_OK
    d = tmp_path / "ex"
    return ["--targets", str(d / "targets.csv"), "--people", str(d / "people.csv"),
            "--panel-size", "36", "--id-column", "id"]


@pytest.mark.parametrize("args", [
    ["--time-limit", "inf"],
    ["--selected", "{tmp}/out.csv"],                               # no --draw-seed
    ["--draw-seed", "s", "--selected", "{tmp}/out.ods"],           # a format we cannot write
    ["--draw-seed", "s", "--selected", "{tmp}/out.xlsx#panel"],    # a sheet, not a workbook
])
def test_bad_options_are_refused_before_any_work(files: list[str], tmp_path: Path, args: list[str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    argv = ["select", *files, *(a.format(tmp=tmp_path) for a in args)]
    if args[0] == "--time-limit":                       # refused by the argument parser
        with pytest.raises(SystemExit):
            main(argv)
    else:
        assert main(argv) == EXIT_BAD_INPUT
    out = capsys.readouterr().out
    assert "minimum selection probability" not in out    # nothing was solved
    assert "draw:" not in out
    assert not list(tmp_path.glob("out.*"))



def test_the_command_line_algorithm_wins_over_the_settings_file(
        files: list[str], tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('selection_algorithm = "diversimax"\n', encoding="utf-8")
    base = [*files, "--settings", str(settings)]
    assert main(["select", *base]) == EXIT_BAD_INPUT          # the file's algorithm is unknown
    assert main(["select", *base, "--algorithm", "maximin"]) == EXIT_OK


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbosity_is_accepted_before_and_after_the_command(
        files: list[str], where: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    argv = ["-v", "select", *files] if where == "before" else ["select", *files, "-v"]
    assert main(argv) == EXIT_OK
    assert "INFO" in capsys.readouterr().err
    assert main(["select", *files]) == EXIT_OK
    assert "INFO" not in capsys.readouterr().err
