"""Georgian and English: every message has a translation, the Georgian report is complete."""

from __future__ import annotations

import importlib.util
import re
import string
from pathlib import Path
from typing import Any

import pytest

import civicsortition as cs
from civicsortition._i18n import LANGUAGES, catalog, language, read_po
from civicsortition.examples import rustavi_example

SRC = Path(cs.__file__).resolve().parent
ROOT = SRC.parent.parent


def _tools_messages() -> Any:
    """``tools/messages.py``, the extractor (the one definition of what a message is)."""
    spec = importlib.util.spec_from_file_location("_messages_tool", ROOT / "tools" / "messages.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


M = _tools_messages()


def _fields(text: str) -> list[tuple[str, str, str]]:
    return sorted(((name, spec, conv or "") for _, name, spec, conv in
                   string.Formatter().parse(text) if name is not None), key=repr)


def _percent(text: str) -> list[str]:
    return sorted(re.findall(r"%(?:\([a-z_]+\))?[sdr]", text))


def test_the_extraction_finds_every_kind_of_message() -> None:
    messages = M.all_messages()
    assert "# Selection audit report" in messages                  # t("...") in the report
    assert "suppressed" in messages                                # passed by name (SUPPRESSED)
    assert "row {row}" in messages                                 # tr() in errors.py
    assert "a person appears twice" in messages                    # tr() in the engine
    assert "--selected/--remaining need --people" in messages      # a literal Problem message
    assert "necessary conditions hold (a panel may exist; the solver decides)" in messages
    assert "number of seats k" in messages                         # an option's help (CLI)
    assert "apportionment method: {methods}" in messages           # help made with tr()
    assert "census shares -> quota (targets) CSV" in messages      # a command's description
    assert "the following arguments are required: %s" in messages  # argparse's words
    assert len(messages) >= 500


def test_no_message_is_built_so_that_it_cannot_be_translated() -> None:
    assert M.untranslatable() == []
    assert M.mismatched_fields() == []        # a literal brace would fail when shown


def test_the_fields_check_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "civicsortition"
    bad.mkdir()
    (bad / "x.py").write_text('tr("an object {id: number}")\ntr("{a} {b}", a=1, b=2)\n'
                              'say("{a}", b=1)\n', encoding="utf-8")
    monkeypatch.setattr(M, "SRC", bad)
    assert M.mismatched_fields() == ["civicsortition/x.py:1", "civicsortition/x.py:3"]


def test_the_untranslatable_check_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    bad = tmp_path / "civicsortition"
    bad.mkdir()
    (bad / "x.py").write_text('Problem("c", f"bad {x}")\nInputError.single("c", "ok: " + y)\n'
                              'Problem("c", tr("fine {x}", x=x))\n', encoding="utf-8")
    monkeypatch.setattr(M, "SRC", bad)
    assert M.untranslatable() == ["civicsortition/x.py:1", "civicsortition/x.py:2"]


def test_the_template_and_the_catalogs_are_up_to_date() -> None:
    for path, text in M.expected_files().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of date: run python tools/messages.py")


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"en"}))
def test_every_message_has_a_translation_with_the_same_fields(lang: str) -> None:
    messages = M.all_messages()
    translations = catalog(lang)
    assert sorted(set(messages) - set(translations)) == []        # untranslated
    assert sorted(set(translations) - set(messages)) == []        # stale
    for msgid, msgstr in translations.items():
        assert _fields(msgid) == _fields(msgstr), msgid
        assert _percent(msgid) == _percent(msgstr), msgid
        literal = "".join(part for part, *_ in string.Formatter().parse(msgid))
        # kept as it is only when its words are code (a JSON path, a key), not a sentence
        assert msgstr != msgid or not re.search(r"[A-Za-z]+ [A-Za-z]+", literal), msgid
        assert msgid.startswith(" ") == msgstr.startswith(" "), msgid
        assert msgid.endswith((" ", "\n")) == msgstr.endswith((" ", "\n")), msgid


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


def _georgian(text: str) -> bool:
    return any("\u10d0" <= c <= "\u10ff" for c in text)


def test_an_input_error_is_shown_in_the_language_of_the_time() -> None:
    from civicsortition._i18n import Text
    from civicsortition.errors import InputError

    strata = cs.Strata.from_mapping({"sex": ["female", "male"]})
    with pytest.raises(InputError) as caught:
        strata["sex"].code("Female")
    err = caught.value
    problem = err.problems[0]
    assert isinstance(problem.message, Text)
    assert problem.message.startswith("not a value of category 'sex'")   # the English text
    english, georgian = str(err), cs._i18n.translate(problem.message, "ka")
    assert "did you mean 'female'" in english
    assert _georgian(georgian)
    assert "'sex'" in georgian
    assert "'female'" in georgian
    import os
    os.environ["CIVICSORTITION_LANG"] = "ka"
    try:
        shown = str(err)
    finally:
        os.environ["CIVICSORTITION_LANG"] = "en"
    assert _georgian(shown)
    assert "[unknown-value]" in shown                 # the code never changes
    assert "'Female'" in shown                        # nor the value
    assert str(err) == english                        # back to English


def test_translated_messages_survive_pickling_and_keep_their_fields() -> None:
    import pickle

    from civicsortition._i18n import Text, join, tr, translate

    msg = tr("{category}={value}: {have} not in [{min}, {max}]", category="sex",
             value="female", have=3, min=4, max=6)
    back = pickle.loads(pickle.dumps(msg))
    assert isinstance(back, Text)
    assert back == msg == "sex=female: 3 not in [4, 6]"
    assert translate(back, "ka") == translate(msg, "ka") != str(msg)
    joined = join("; ", [msg, tr("a person appears twice")])
    both = translate(joined, "ka")
    assert both.startswith(translate(msg, "ka") + "; ")
    assert both.endswith(catalog("ka")["a person appears twice"])
    added = "x: " + msg + "!"
    assert isinstance(added, Text)
    assert translate(added, "ka") == "x: " + translate(msg, "ka") + "!"


def test_a_broken_or_missing_translation_keeps_the_english(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from civicsortition import _i18n

    broken = {"row {row}": "სტრიქონი {line}", "hello": "გამარჯობა"}
    monkeypatch.setattr(_i18n, "catalog", lambda lang: broken)
    assert _i18n.translate(_i18n.tr("row {row}", row=3), "ka") == "row 3"
    assert _i18n.translate(_i18n.tr("column {c}", c=1), "ka") == "column 1"
    assert _i18n.translate("hello", "ka") == "გამარჯობა"


def test_compiled_catalogs_read_back_the_same(tmp_path: Path) -> None:
    import gettext

    from civicsortition._i18n import compile_mo, read_mo

    messages = catalog("ka")
    data = compile_mo(messages)
    assert read_mo(data) == messages
    with (tmp_path / "ka.mo").open("wb") as f:
        f.write(data)
    with (tmp_path / "ka.mo").open("rb") as f:
        gnu = gettext.GNUTranslations(f)
    assert all(gnu.gettext(k) == v for k, v in messages.items())
    assert gnu.info()["content-type"] == "text/plain; charset=UTF-8"


def test_the_build_step_compiles_every_catalog(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("_setup_under_test", ROOT / "setup.py")
    assert spec is not None
    source = (ROOT / "setup.py").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__file__": str(ROOT / "setup.py"), "__name__": "not_main"}
    exec(compile(source.replace("\nsetup(cmdclass", "\nif 0: setup(cmdclass"), "setup.py",
                 "exec"), namespace)
    written = namespace["compile_catalogs"](SRC / "locale", tmp_path)
    assert [p.name for p in written] == [f"{lang}.mo" for lang in sorted(set(LANGUAGES) - {"en"})]
    from civicsortition._i18n import read_mo

    assert read_mo((tmp_path / "ka.mo").read_bytes()) == catalog("ka")


def test_cli_errors_in_georgian(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from civicsortition.cli import EXIT_BAD_INPUT, EXIT_OK, main

    assert main(["example", "--out", str(tmp_path / "ex")]) == EXIT_OK
    d = tmp_path / "ex"
    people = (d / "people.csv").read_text(encoding="utf-8").splitlines()
    header = people[0].split(",")
    row = people[1].split(",")
    row[header.index("sex")] = "unknown-sex"
    (d / "bad.csv").write_text("\n".join([people[0], ",".join(row), *people[2:]]) + "\n",
                               encoding="utf-8")
    capsys.readouterr()
    args = ["check", "--targets", str(d / "targets.csv"), "--people", str(d / "bad.csv"),
            "--panel-size", "36", "--id-column", "id"]
    assert main(["--lang", "ka", *args]) == EXIT_BAD_INPUT
    ka = capsys.readouterr().err
    assert main(["--lang", "en", *args]) == EXIT_BAD_INPUT
    en = capsys.readouterr().err
    assert en.startswith("error: ")
    assert "not a value of category 'sex'" in en
    assert _georgian(ka)
    assert "not a value" not in ka
    for same in ("[unknown-value]", "bad.csv:2", "'unknown-sex'"):     # code, place, value
        assert same in en
        assert same in ka


def test_cli_output_and_help_in_georgian(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from civicsortition.cli import EXIT_BAD_INPUT, EXIT_OK, main

    assert main(["--lang", "ka", "example", "--out", str(tmp_path / "ex")]) == EXIT_OK
    out = capsys.readouterr().out
    assert _georgian(out)
    assert "written:" not in out
    assert "targets.csv" in out
    with pytest.raises(SystemExit):
        main(["--lang", "ka", "select", "--help"])
    text = capsys.readouterr().out
    ka = catalog("ka")
    assert text.startswith(ka["usage: "])
    assert ka["number of seats k"] in text or ka["show this help message and exit"] in text
    english_help = [line for line in text.splitlines() if line.strip().startswith("--")
                    and not _georgian(line) and len(line.split()) > 3]
    assert english_help == []                      # every option's help line is translated
    with pytest.raises(SystemExit):                # an argparse error, in Georgian too
        main(["--lang", "ka", "select"])
    err = capsys.readouterr().err
    assert _georgian(err)
    assert "--targets" in err
    assert "the following arguments are required" not in err
    with pytest.raises(SystemExit):
        main(["select"])
    assert "the following arguments are required" in capsys.readouterr().err
    assert EXIT_BAD_INPUT == 2


def test_georgian_report_translates_the_verifiers_details() -> None:
    pool, quotas = rustavi_example()
    dist = cs.leximin(pool, quotas)
    lottery = cs.transparent_lottery(dist, 100)
    record = cs.draw(lottery, "details")
    verdict = cs.verify_selection(pool, quotas, distribution=dist, lottery=lottery,
                                  record=record)
    report = cs.audit_report(pool, quotas, dist, lottery=lottery, record=record,
                             verdict=verdict)
    ka = report.to_markdown(lang="ka")
    section = ka[ka.index("\n## " + catalog("ka")["## Independent verification"][3:]):]
    checks = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(checks) == len(verdict.checks)
    for line in checks:
        detail = line.split(": ", 1)[1]
        assert _georgian(detail), line
