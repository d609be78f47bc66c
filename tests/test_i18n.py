"""Georgian and English: every message has a translation, the Georgian report is complete."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import civicsortition as cs
from civicsortition._i18n import LANGUAGES, catalog, language, read_po
from civicsortition.examples import rustavi_example

SRC = Path(cs.__file__).resolve().parent


def _messages() -> dict[str, str]:
    """Every translatable message in the package: ``t("...")`` calls, by their source file."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {t.id: node.value.value for node in tree.body
                     if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                     and isinstance(node.value.value, str)
                     for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "t" and len(node.args) == 1:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found[arg.value] = path.name
                elif isinstance(arg, ast.Name) and arg.id in constants:
                    found[constants[arg.id]] = path.name
    return found


def _fields(text: str) -> list[tuple[str, str]]:
    return sorted((name, spec) for _, name, spec, _ in string.Formatter().parse(text)
                  if name is not None)


def test_the_extraction_finds_the_report() -> None:
    messages = _messages()
    assert "# Selection audit report" in messages
    assert "suppressed" in messages            # passed by name (SUPPRESSED)
    assert len(messages) >= 40


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"en"}))
def test_every_message_has_a_translation_with_the_same_fields(lang: str) -> None:
    messages = _messages()
    translations = catalog(lang)
    assert sorted(set(messages) - set(translations)) == []        # untranslated
    assert sorted(set(translations) - set(messages)) == []        # stale
    for msgid, msgstr in translations.items():
        assert _fields(msgid) == _fields(msgstr), msgid
        assert msgstr != msgid or not any(c.isalpha() for c in msgid), msgid


def test_po_reader() -> None:
    text = ('msgid ""\nmsgstr "Language: ka\\n"\n\n# a comment\nmsgid "a \\"b\\""\n'
            'msgstr ""\n"ბ "\n"გ"\n\nmsgid "untranslated"\nmsgstr ""\n')
    assert read_po(text) == {'a "b"': "ბ გ"}
    with pytest.raises(ValueError, match="unsupported"):
        read_po("msgctxt \"x\"\n")


def test_language_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    assert language("ka") == "ka"
    with pytest.raises(ValueError, match="unsupported language"):
        language("xx")
    for var in ("CIVICSORTITION_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert language() == "en"
    monkeypatch.setenv("LANG", "ka_GE.UTF-8")
    assert language() == "ka"
    monkeypatch.setenv("CIVICSORTITION_LANG", "en")
    assert language() == "en"


def test_georgian_report_has_georgian_text_the_same_figures_and_no_ids() -> None:
    pool, quotas = rustavi_example()
    dist = cs.leximin(pool, quotas)
    lottery = cs.transparent_lottery(dist, 100)
    record = cs.draw(lottery, "i18n test seed")
    verdict = cs.verify_selection(pool, quotas, distribution=dist, lottery=lottery,
                                  record=record)
    report = cs.audit_report(pool, quotas, dist, lottery=lottery, record=record,
                             verdict=verdict)
    en, ka = report.to_markdown(lang="en"), report.to_markdown(lang="ka")
    assert en.startswith("# Selection audit report")
    assert ka.startswith("# შერჩევის აუდიტის ანგარიში")
    assert "## წილისყრა" in ka
    assert "## Draw" not in ka
    for figure in (lottery.digest(), report.data["inputs"]["pool_sha256"],
                   f"{report.data['fairness']['minimum']:.4%}", "civicsortition-draw/1"):
        assert figure in en
        assert figure in ka
    assert en.count("\n") == ka.count("\n")
    for text in (en, ka):
        assert not [i for i in pool.ids if f" {i} " in text or f"`{i}`" in text]


def test_report_command_in_georgian(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from civicsortition.cli import EXIT_OK, main

    assert main(["example", "--out", str(tmp_path / "ex")]) == EXIT_OK
    d = tmp_path / "ex"
    base = ["--targets", str(d / "targets.csv"), "--people", str(d / "people.csv"),
            "--panel-size", "36", "--id-column", "id", "--household-column", "address"]
    assert main(["select", *base, "--json", str(d / "result.json")]) == EXIT_OK
    capsys.readouterr()
    assert main(["report", *base, "--result", str(d / "result.json"), "--lang", "ka"]) == EXIT_OK
    text = capsys.readouterr().out
    assert text.startswith("# შერჩევის აუდიტის ანგარიში")
    assert "## სამართლიანობა" in text
    ids = {line.split(",")[0] for line in (d / "people.csv").read_text().splitlines()[1:]}
    assert not [i for i in ids if f" {i} " in text or f"`{i}`" in text or f"|{i}|" in text]


def test_lang_before_the_command_sets_every_report(tmp_path: Path) -> None:
    import os

    from civicsortition.cli import EXIT_OK, main

    before = os.environ.get("CIVICSORTITION_LANG")
    assert main(["--lang", "ka", "demo", "--out", str(tmp_path / "demo")]) == EXIT_OK
    text = (tmp_path / "demo" / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# შერჩევის აუდიტის ანგარიში")
    assert os.environ.get("CIVICSORTITION_LANG") == before     # restored after the call
    assert main(["demo", "--out", str(tmp_path / "demo-en")]) == EXIT_OK
    assert (tmp_path / "demo-en" / "report.md").read_text(encoding="utf-8").startswith(
        "# Selection audit report")
