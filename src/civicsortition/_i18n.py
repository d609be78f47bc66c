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
from importlib import resources

__all__ = ["LANGUAGES", "catalog", "language", "read_po", "translator"]

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
