"""Extract every translatable message into ``locale/civicsortition.pot`` and merge the catalogs.

    python tools/messages.py            # rewrite the template and add new entries to each .po
    python tools/messages.py --check    # exit 1 if the template or a catalog is out of date

Messages are found in three ways:

* in the source, by the abstract syntax tree: the first argument of ``tr(...)``, ``say(...)``
  and ``t(...)`` (a string literal, or a module constant named there), and the literal message
  of ``Problem(...)``, ``X.single(...)`` and ``Finding(...)``, which are looked up as they are;
* in the command line, by building the parser: every option's help, every command's
  description, the section titles (templates of help made with ``tr``);
* the words of :mod:`argparse` that the command line shows (:data:`ARGPARSE_MESSAGES`).

A message passed to ``Problem``/``single``/``Finding`` or printed by the command line as an
f-string (or built by ``+``) cannot be translated; :func:`untranslatable` lists them and the
message test fails on any.

A catalog entry whose message is gone is dropped by the merge (and reported); a new message
gets an empty ``msgstr`` for a translator to fill. The message test checks that every message
has a translation with the same fields.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "civicsortition"
LOCALE = SRC / "locale"
POT = LOCALE / "civicsortition.pot"

MARKERS = {"tr", "say", "t"}
#: Calls whose message argument is looked up as it is: name -> index of the message.
MESSAGE_CALLS = {"Problem": 1, "single": 1, "Finding": 2, "Option": 3, "AlgorithmSpec": 1}

#: The words of argparse shown by the command line (its own gettext messages, Python 3.10+).
ARGPARSE_MESSAGES = (
    "usage: ",
    "options",
    "positional arguments",
    "show this help message and exit",
    "show program's version number and exit",
    "the following arguments are required: %s",
    "unrecognized arguments: %s",
    "invalid choice: %(value)r (choose from %(choices)s)",
    "expected one argument",
    "invalid %(type)s value: %(value)r",
    "argument %(argument_name)s: %(message)s",
    "not allowed with argument %s",
    "one of the arguments %s is required",
    "ambiguous option: %(option)s could match %(matches)s",
    "%(prog)s: error: %(message)s\n",
)


def _constants(tree: ast.Module) -> dict[str, str]:
    return {t.id: node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for t in node.targets if isinstance(t, ast.Name)}


def _name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _message_arg(call: ast.Call) -> ast.expr | None:
    name = _name(call)
    if name in MESSAGE_CALLS:
        index = MESSAGE_CALLS[name]
        if len(call.args) > index:
            return call.args[index]
        return next((k.value for k in call.keywords if k.arg == "message"), None)
    return None


def _literals(node: ast.expr, constants: dict[str, str]) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Name) and node.id in constants:
        yield constants[node.id]
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body, constants)
        yield from _literals(node.orelse, constants)


def _wordy(text: str) -> bool:
    """Whether a template has words of its own (not only fields and punctuation)."""
    import string

    try:
        literal = "".join(part for part, *_ in string.Formatter().parse(text))
    except ValueError:  # not a format template (an argparse %-message, say)
        literal = text
    return any(c.isalpha() for c in literal)


def _files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def source_messages() -> dict[str, list[str]]:
    """Every translatable message of the source: ``msgid -> [file, ...]``."""
    found: dict[str, list[str]] = {}
    for path in _files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        rel = path.relative_to(SRC.parent).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            args: list[ast.expr] = []
            if _name(node) in MARKERS and isinstance(node.func, ast.Name) and node.args:
                args = [node.args[0]]
            elif (arg := _message_arg(node)) is not None:
                args = [arg]
            for arg in args:
                for text in _literals(arg, constants):
                    if _wordy(text):
                        found.setdefault(text, []).append(rel)  # no line: edits move it
    return found


def mismatched_fields() -> list[str]:
    """``file:line`` of every ``tr``/``say`` whose template's fields differ from its keywords."""
    import string

    out = []
    for path in _files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(SRC.parent).as_posix()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("tr", "say") and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                continue
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(node.args[0].value)
                         if f is not None}
            except ValueError:
                names = {"<malformed>"}
            if names != {k.arg for k in node.keywords}:
                out.append(f"{rel}:{node.lineno}")
    return out


def untranslatable() -> list[str]:
    """``file:line`` of every message built so that no catalog can translate it."""
    out = []
    for path in _files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(SRC.parent).as_posix()
        in_cli = "cli" in path.relative_to(SRC).parts
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            arg = _message_arg(node)
            if arg is None and in_cli and _name(node) == "print" and node.args:
                arg = node.args[0]
            if arg is not None and not _translatable(arg, literal_ok=_name(node) != "print"):
                out.append(f"{rel}:{node.lineno}")
    return out


def _translatable(node: ast.expr, *, literal_ok: bool) -> bool:
    """Whether every word of the message ``node`` reaches a catalog.

    A literal with letters is looked up as it is where ``literal_ok`` (messages of Problem
    and the like), never when printed; an f-string or a ``+`` is fine only if its literal
    parts have no letters and its other parts are translatable.
    """
    if isinstance(node, ast.Constant):
        return literal_ok or not (isinstance(node.value, str)
                                  and any(c.isalpha() for c in node.value))
    if isinstance(node, ast.JoinedStr):
        return all(_translatable(v.value if isinstance(v, ast.FormattedValue) else v,
                                 literal_ok=False) for v in node.values)
    if isinstance(node, ast.BinOp):
        return all(_translatable(x, literal_ok=False) for x in (node.left, node.right))
    if isinstance(node, ast.IfExp):
        return all(_translatable(x, literal_ok=literal_ok) for x in (node.body, node.orelse))
    return True  # a call (tr, say, translate, ...) or a variable: cannot tell, trusted


def _template(text: object) -> str | None:
    from civicsortition._i18n import Text

    if isinstance(text, Text):
        return text.template
    return text if isinstance(text, str) and _wordy(text) else None


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _parsers(sub)


def cli_messages() -> dict[str, list[str]]:
    """Every text of the command line's help (built in English): ``msgid -> [where]``."""
    import os

    from civicsortition.cli.parser import build_parser

    previous = os.environ.get("CIVICSORTITION_LANG")
    os.environ["CIVICSORTITION_LANG"] = "en"
    try:
        parser = build_parser()
        found: dict[str, list[str]] = {}
        for p in _parsers(parser):
            texts: list[object] = [p.description, p.epilog]
            texts += [g.title for g in p._action_groups]
            for action in p._actions:
                if action.help is not argparse.SUPPRESS:
                    texts.append(action.help)
                lazy = getattr(action, "help_text", None)
                if lazy is not None:
                    texts.append(lazy())
                if isinstance(action, argparse._SubParsersAction):
                    texts += [c.help for c in action._choices_actions]
            for text in texts:
                template = _template(text)
                if template is not None:
                    found.setdefault(template, []).append(f"cli: {p.prog}")
    finally:
        if previous is None:
            os.environ.pop("CIVICSORTITION_LANG", None)
        else:
            os.environ["CIVICSORTITION_LANG"] = previous
    return found


def all_messages() -> dict[str, list[str]]:
    """Source, command line and argparse messages, in that order."""
    found = source_messages()
    for msgid, where in cli_messages().items():
        found.setdefault(msgid, []).extend(where)
    for msgid in ARGPARSE_MESSAGES:
        found.setdefault(msgid, []).append("argparse")
    return found


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render_po(messages: dict[str, list[str]], translations: dict[str, str],
              header: str) -> str:
    """A ``.po`` text: the header, then one entry per message with its locations."""
    out = [header.rstrip("\n"), ""]
    for msgid, where in messages.items():
        refs = sorted(set(where))
        out.append("#: " + " ".join(refs[:4]) + (" ..." if len(refs) > 4 else ""))
        out.append(f"msgid {_quote(msgid)}")
        out.append(f"msgstr {_quote(translations.get(msgid, ''))}")
        out.append("")
    return "\n".join(out)


POT_HEADER = '''# Messages of civicsortition to translate (written by tools/messages.py).
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
'''


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("#:") or (lines and lines[-1] != "" and line == ""):
            break
        lines.append(line)
    return "\n".join(lines).rstrip("\n") + "\n"


def expected_files() -> dict[Path, str]:
    """What the template and every catalog should contain now."""
    from civicsortition._i18n import read_po

    messages = all_messages()
    files = {POT: render_po(messages, {}, POT_HEADER)}
    for po in sorted(LOCALE.glob("*.po")):
        text = po.read_text(encoding="utf-8")
        files[po] = render_po(messages, read_po(text), _header(text))
    return files


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or, with ``--check``, compare) the template and the catalogs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is out of date")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(SRC.parent))
    from civicsortition._i18n import read_po

    for where in mismatched_fields():
        print(f"a template's fields differ from its keywords: {where}")
    bad = untranslatable() + mismatched_fields()
    for where in untranslatable():
        print(f"untranslatable message (an f-string or '+'; use tr()/say()): {where}")
    stale = 0
    for path, text in expected_files().items():
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if path != POT:
            gone = set(read_po(old)) - set(read_po(text))
            stale += len(gone)
            for msgid in sorted(gone):
                print(f"{path.name}: dropping stale translation {msgid!r}")
            missing = [m for m, s in _entries(text) if not s]
            if missing:
                print(f"{path.name}: {len(missing)} message(s) without a translation")
        if old != text:
            if args.check:
                print(f"out of date: {path.relative_to(ROOT)}")
                bad.append(str(path))
            else:
                path.write_text(text, encoding="utf-8")
                print(f"written: {path.relative_to(ROOT)}")
    return 1 if bad else 0


def _entries(text: str) -> list[tuple[str, str]]:
    out, msgid = [], None
    for line in text.splitlines():
        if line.startswith("msgid "):
            msgid = json.loads(line[6:])
        elif line.startswith("msgstr ") and msgid:
            out.append((msgid, json.loads(line[7:])))
    return out


if __name__ == "__main__":
    raise SystemExit(main())
