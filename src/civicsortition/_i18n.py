"""Messages in English and Georgian: gettext catalogs, and messages that remember their fields.

Every text meant for people -- error messages (:class:`~civicsortition.errors.Problem`),
diagnostics, the verifier's check details, the command line's output and help, the audit
report -- is written in English in the code and marked: ``tr("... {n} ...", n=n)`` makes a
:class:`Text`, which *is* the English string but keeps its template and fields, so it can be
shown in another language later (:func:`translate`); ``say`` translates at once (for what is
printed now); the report uses a :func:`translator`. ``locale/<lang>.po`` holds each
language's translations in the standard gettext format; ``tools/messages.py`` extracts every
marked message into ``locale/civicsortition.pot`` and merges the catalogs; the build compiles
each ``.po`` into a ``.mo`` (``setup.py``, :func:`compile_mo`), which an installed package
reads, while a source checkout reads the ``.po``. Placeholders are ``str.format`` fields and
must match between ``msgid`` and ``msgstr`` (a test checks every catalog against every
message in the code).

The language is chosen by the caller (``lang="ka"``), else by ``CIVICSORTITION_LANG``, else by
the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` naming a supported language;
English otherwise. Error *codes*, figures, ids, values and file formats never change with the
language; a message without a translation stays English.
"""

from __future__ import annotations

import ast
import functools
import gettext as _gettext
import os
import string
from collections.abc import Iterable
from importlib import resources

__all__ = ["LANGUAGES", "Text", "catalog", "compile_mo", "join", "language", "read_mo",
           "read_po", "say", "tr", "translate", "translator"]

_FORMATTER = string.Formatter()

#: Supported languages: code -> name.
LANGUAGES = {"en": "English", "ka": "ქართული (Georgian)"}


def read_po(text: str) -> dict[str, str]:
    """The translations of a ``.po`` text (``msgid -> msgstr``; untranslated entries left out).

    Supports the subset gettext tools write for plain messages: comments, ``msgid``/``msgstr``
    with continuation lines of C-escaped strings; the header entry (empty ``msgid``) is dropped.
    """
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                entries[key] = value

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, msgstr = [ast.literal_eval(line[6:])], None
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [ast.literal_eval(line[7:])]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        else:
            raise ValueError(f"unsupported .po line: {raw!r}")
    flush()
    return entries


class _Catalog(_gettext.NullTranslations):
    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        return self._messages.get(message, message)


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """The translations of ``lang`` (empty for English).

    From the compiled ``locale/<lang>.mo`` that the build writes into an installed package
    (read by :class:`gettext.GNUTranslations`), else from the ``.po`` source (a source
    checkout or an editable install).
    """
    if lang == "en":
        return {}
    folder = resources.files("civicsortition") / "locale"
    compiled = folder / f"{lang}.mo"
    if compiled.is_file():
        return read_mo(compiled.read_bytes())
    return read_po((folder / f"{lang}.po").read_text(encoding="utf-8"))


def read_mo(data: bytes) -> dict[str, str]:
    """The translations of a compiled ``.mo`` file (through :class:`gettext.GNUTranslations`)."""
    import io

    messages = _gettext.GNUTranslations(io.BytesIO(data))._catalog  # type: ignore[attr-defined]
    return {k: v for k, v in messages.items() if isinstance(k, str) and k}


def compile_mo(messages: dict[str, str]) -> bytes:
    """The GNU ``.mo`` file of ``messages`` (``msgid -> msgstr``), UTF-8, as ``msgfmt`` writes.

    Layout (GNU gettext manual, "The Format of GNU MO Files"): a 28-byte header (magic
    ``0x950412de``, revision 0, the number of strings, the offsets of the two tables of
    ``(length, offset)`` pairs, an empty hash table), the tables, then the NUL-terminated
    strings; entries sorted by ``msgid``; the first is the header entry giving the charset.
    """
    import struct

    entries = {"": "Content-Type: text/plain; charset=UTF-8\n", **messages}
    keys = sorted(entries)
    ids = [k.encode("utf-8") for k in keys]
    strs = [entries[k].encode("utf-8") for k in keys]
    n = len(keys)
    start = 7 * 4 + 16 * n
    table_ids: list[tuple[int, int]] = []
    table_strs: list[tuple[int, int]] = []
    blob = b""
    for data, table in ((ids, table_ids), (strs, table_strs)):
        for item in data:
            table.append((len(item), start + len(blob)))
            blob += item + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, n, 7 * 4, 7 * 4 + 8 * n, 0, 0)
    tables = b"".join(struct.pack("<2I", *pair) for pair in table_ids + table_strs)
    return header + tables + blob


def language(lang: str | None = None) -> str:
    """The language to use: ``lang`` if given, else from the environment, else English.

    Raises
    ------
    ValueError
        For a ``lang`` that is not supported.
    """
    if lang is not None:
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}; expected one of "
                             f"{sorted(LANGUAGES)}")
        return lang
    for var in ("CIVICSORTITION_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for part in os.environ.get(var, "").split(":"):
            code = part.split(".")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
    return "en"


def translator(lang: str | None = None) -> _gettext.NullTranslations:
    """A gettext translations object for ``lang`` (see :func:`language`)."""
    return _Catalog(catalog(language(lang)))


class Text(str):
    """An English message that keeps its template and fields, to be rendered in any language.

    It *is* the English text (a ``str``), so code that compares, searches or stores messages
    is unaffected; :func:`translate` renders it again from the catalog's template. Made by
    :func:`tr`.
    """

    template: str
    fields: dict[str, object]

    def __new__(cls, template: str, fields: dict[str, object]) -> Text:
        """Render ``template`` with ``fields`` in English and remember both."""
        obj = super().__new__(cls, template.format(**fields))
        obj.template = template
        obj.fields = dict(fields)
        return obj

    def __reduce__(self) -> tuple[object, ...]:
        return (Text, (self.template, self.fields))

    def __add__(self, other: str) -> Text:
        """Concatenation keeps both parts translatable."""
        if not isinstance(other, str):
            return NotImplemented
        return join("", (self, other))

    def __radd__(self, other: str) -> Text:
        if not isinstance(other, str):
            return NotImplemented
        return join("", (other, self))


def tr(template: str, /, **fields: object) -> Text:
    """A translatable message: ``template`` is English with ``str.format`` fields.

    The result is the English text; :func:`translate` (or :func:`say`) renders it in the
    language of the time of rendering. The template is the ``msgid`` in the catalogs (the
    message test finds every ``tr("...")`` in the code and checks its translations).
    """
    return Text(template, fields)


def translate(message: str, lang: str | None = None) -> str:
    """``message`` in ``lang`` (see :func:`language`).

    A :class:`Text` is rendered from its template's translation with its fields; a plain
    string is looked up as it is. Anything without a translation -- or whose translation does
    not format -- stays English, so a message is never lost.
    """
    code = language(lang)
    if code == "en":
        return str(message)
    messages = catalog(code)
    if isinstance(message, Text):
        # A template of fields and punctuation only (see join) needs no translation.
        template = (message.template if not any(c.isalpha() for c in _literal(message.template))
                    else messages.get(message.template))
        if template is None:
            return str(message)
        fields = {k: translate(v, code) if isinstance(v, Text) else v
                  for k, v in message.fields.items()}
        try:
            return template.format(**fields)
        except (KeyError, IndexError, ValueError):  # a broken translation: keep the English
            return str(message)
    return messages.get(message, message)


def _literal(template: str) -> str:
    """The literal text of a ``str.format`` template (its fields left out)."""
    return "".join(text for text, *_ in _FORMATTER.parse(template))


def join(separator: str, parts: Iterable[str]) -> Text:
    """``separator.join(parts)`` as a :class:`Text` whose parts are translated one by one."""
    items = list(parts)
    escaped = separator.replace("{", "{{").replace("}", "}}")
    return Text(escaped.join(f"{{p{i}}}" for i in range(len(items))),
                {f"p{i}": item for i, item in enumerate(items)})


def say(template: str, /, **fields: object) -> str:
    """:func:`tr` rendered at once in the current language (for messages printed now)."""
    return translate(tr(template, **fields))
