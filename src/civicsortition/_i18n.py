"""Messages in English and Georgian: gettext catalogs, read from their ``.po`` sources.

Texts meant for people (so far: the audit report) are written in English in the code and
wrapped in :func:`gettext`; ``locale/<lang>.po`` holds each language's translations in the
standard gettext ``.po`` format (``msgid``/``msgstr``, editable with any gettext tool). The
catalog is parsed on first use into a :class:`gettext.NullTranslations` subclass, so nothing
needs compiling and the package data are the sources themselves. Placeholders are
``str.format`` fields (``{n}``) and must match between ``msgid`` and ``msgstr`` (a test checks
every catalog against every message in the code).

The language is chosen by the caller (``lang="ka"``), else by ``CIVICSORTITION_LANG``, else by
the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` naming a supported language;
English otherwise. Error *codes* never change with the language.
"""

from __future__ import annotations

import ast
import functools
import gettext as _gettext
import os
import string
from collections.abc import Iterable
from importlib import resources

__all__ = ["LANGUAGES", "Text", "catalog", "join", "language", "read_po", "say", "tr",
           "translate", "translator"]

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
    """The translations of ``lang`` (empty for English)."""
    if lang == "en":
        return {}
    source = resources.files("civicsortition") / "locale" / f"{lang}.po"
    return read_po(source.read_text(encoding="utf-8"))


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
