"""Fuzzing every reader: a structured ``InputError`` or a valid object, never another exception.

Issue 12, point 6. Every CSV reader (targets, people, census, address frames, registrations,
votes, invited addresses) is fed hostile files: the real formats with mutated cells (arbitrary
Unicode including NUL, CR, LF, quotes, the delimiters, a byte-order mark, very long cells,
``1e309``, ``nan``, ``-0``, ``2.5``), empty and ragged rows, duplicate, renamed or missing
headers, a header alone, other delimiters and line ends, cut or spliced text, and raw bytes
that are not UTF-8 -- each file once through a path and once through a text stream. The JSON
artefacts (``select`` results, canonical lotteries, draw records) get arbitrary JSON (huge,
infinite and NaN numbers, deep nesting) and mutations of real ones.

The property everywhere: the reader returns a valid object, or raises
:class:`~civicsortition.errors.InputError` with at least one :class:`Problem` -- naming the file
when a path was given, and a line for row problems. ``verify_selection`` never raises: any
document gives a :class:`Verdict`, and one that breaks a checked figure fails it.

The fast variants run by default; ``pytest -q -m slow tests/test_fuzz.py -s`` runs the heavy
ones and prints ``fuzz <reader>: N cases, 0 failures`` per reader (quoted in docs/security.md).
"""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import functools
import io
import json
import math
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import civicsortition as cs
from civicsortition import InputError
from civicsortition.distribution import check_distribution
from civicsortition.io import VOTE_WORDS

#: Examples per reader: the default run, and the heavy (``-m slow``) run.
FAST = 40
HEAVY = int(os.environ.get("CIVICSORTITION_FUZZ_EXAMPLES", "2000"))
#: The result document is large (809 panels); every case re-checks all of them.
HEAVY_RESULT = int(os.environ.get("CIVICSORTITION_FUZZ_RESULT_EXAMPLES", "600"))

#: Cases run per reader (the heavy tests print the counts).
CASES: Counter[str] = Counter()

#: Problem codes that concern one row of a file: they must carry a line number.
ROW_CODES = frozenset({
    "ragged-row", "bad-csv", "not-utf8", "duplicate-column", "missing-column", "missing-value",
    "not-a-number", "not-an-integer", "negative-quota", "min-greater-than-max", "bad-flex",
    "duplicate-quota", "duplicate-value", "negative-share", "missing-id", "unknown-value",
    "duplicate-id", "missing-address", "duplicate-address", "bad-vote", "duplicate-ballot",
})


def _run(name: str, body: Callable[[st.DataObject], None], examples: int, *,
         report: bool = False) -> None:
    """Run ``body`` on ``examples`` Hypothesis cases; with ``report``, print the count."""
    before = CASES[name]

    @settings(max_examples=examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much,
                                     HealthCheck.large_base_example])
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        CASES[name] += 1
        body(data)

    run()
    if report:
        print(f"\nfuzz {name}: {CASES[name] - before} cases, 0 failures")


# ======================================================================== hostile CSV text
LONG_CELL = "x" * 200_000          # beyond csv.field_size_limit(): a located bad-csv
LONG_OK_CELL = "y" * 20_000        # long, but readable
NUMBERS = ["1e309", "-1e309", "1e308", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-0",
           "+0", "0", "00", "2.5", "-2.5", "-1", "7.0", "1e2", "1E+2", "1e300", "1e-400",
           "9" * 400, "9" * 5000, "1e999", "1e-999", "1_000", "1,5", "0,5", "1.000,5", "5%",
           "0x1F", "1/0", "1/3", "-1/3", "0/0", "١٢", "٣.٥", "  7  ", "7 8", "True", "None",
           "1e1000", "1e-1000", "1e+0999", "0.0000000000000000000000001"]
SPECIALS = ["", " ", "\x00", "\r", "\n", "\r\n", '"', '""', '"a', 'a"b', "'", ",", ";", "\t",
            "\ufeff", "\u2028", "\x85", "\x1c", "\x0b", "\x0c", "é", "ß", "İ", "\U0001f600",
            "=1+1", "@SUM(A1)", "-", "+", ".", "\\", "\\N", "NULL", "#N/A", "<none>"]
CHARS = st.sampled_from(list(",;\t\"'\r\n\x00\ufeff \\é") + ["a", "b", "0", "1", "-", "."])
CELLS = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(SPECIALS),
    st.sampled_from([LONG_CELL, LONG_OK_CELL]),
    st.text(max_size=12),
    st.text(alphabet=CHARS, max_size=8),
    st.from_regex(r"\A[-+]?\d{1,4}([.,]\d{0,3})?([eE][-+]?\d{1,4})?\Z"),
    st.sampled_from(["\ud800", "a\udcff", "\udfff"]),   # lone surrogates (streams only)
)


@attrs.frozen
class Base:
    """A valid file of one format: its header and rows."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _base(text: str) -> Base:
    lines = [ln.split(",") for ln in text.strip().splitlines()]
    return Base(tuple(lines[0]), tuple(tuple(r) for r in lines[1:]))


TARGETS = _base("""
feature,value,min,max,min_flex,max_flex
sex,female,4,6,3,7
sex,male,4,6,,
age,young,2,5,0,
age,old,2,5,,
""")
PEOPLE = _base("""
id,sex,age,address,name
p1,female,young,A1,Anna
p2,male,old,A2,=HYPERLINK(x)
p3,female,old,A2,Smith
p4,male,young,A3,Zoë
p5,female,young,,Eve
""")
CENSUS = {
    "share": _base("category,value,share\nsex,female,0.52\nsex,male,0.48\n"
                   "age,young,0.3\nage,old,0.7"),
    "percent": _base("feature,value,percent\nsex,female,52\nsex,male,48\nage,young,30\n"
                     "age,old,70"),
    "count": _base("category,name,count\ndistrict,north,31200\ndistrict,south,28800"),
}
FRAME = _base("""
address,district,low_response
A1,north,1
A2,north,0
A3,south,yes
A4,south,
""")
REGISTRATIONS = _base("""
id,address,birth_date,eligible,sex,age,name
r1,A1,1980-02-03,yes,female,30-49,Anna
r2,A2,03.04.1990,true,male,30-49,Bob
r3,A2,2010-01-01,yes,female,18-29,Kid
r4,A9,1970-01-01,no,male,50+,Out
r5,A3,2000-02-29,1,male,18-29,Leap
""")
VOTES = _base("""
member,recommendation,vote
m1,r1,yes
m2,r1,no
m3,r1,abstain
m1,r2,Y
m2,r2,against
""")
INVITED = _base("""
address,status,order,inclusion_probability,inclusion_with_reserves
A1,invited,1,0.5,0.6
A2,reserve,1,0.5,0.6
A3,not-invited,,0.5,0.6
""")

QUOTAS = cs.Quotas(10, [cs.ValueQuota("sex", "female", 4, 6), cs.ValueQuota("sex", "male", 4, 6),
                        cs.ValueQuota("age", "young", 2, 5), cs.ValueQuota("age", "old", 2, 5)])
REG_STRATA = cs.Strata([cs.Category("sex", ["female", "male"]),
                        cs.Category("age", ["18-29", "30-49", "50+"])])
REF = dt.date(2026, 12, 1)


@st.composite
def tables(draw: st.DrawFn, base: Base) -> list[list[str]]:
    """The rows (header first) of ``base`` after a few structural and cell mutations."""
    rows = [list(base.header)] + [list(r) for r in base.rows]
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3, 4, 6]))):
        kind = draw(st.sampled_from(["cell", "cell", "cell", "cell", "number", "number",
                                     "number", "header", "append", "drop", "blank",
                                     "duplicate-row", "duplicate-header", "remove-column",
                                     "header-only", "case", "many-rows"]))
        r = draw(st.integers(0, len(rows) - 1)) if rows else 0
        if not rows:
            rows.append([draw(CELLS)])
        elif kind == "cell" and rows[r]:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(CELLS)
        elif kind == "number" and len(rows) > 1:
            r = draw(st.integers(1, len(rows) - 1))
            if rows[r]:
                rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(st.sampled_from(NUMBERS))
        elif kind == "header" and rows[0]:
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(CELLS)
        elif kind == "append":
            rows[r].append(draw(CELLS))
        elif kind == "drop" and rows[r]:
            rows[r].pop()
        elif kind == "blank":
            rows.insert(r, draw(st.sampled_from([[], [""], ["", ""], [" ", "\t"]])))
        elif kind == "duplicate-row":
            rows.insert(r, list(rows[r]))
        elif kind == "duplicate-header" and len(rows[0]) > 1:
            i, j = draw(st.lists(st.integers(0, len(rows[0]) - 1), min_size=2, max_size=2,
                                 unique=True))
            rows[0][j] = rows[0][i].upper() if draw(st.booleans()) else rows[0][i]
        elif kind == "remove-column" and rows[0]:
            c = draw(st.integers(0, len(rows[0]) - 1))
            everywhere = draw(st.booleans())
            for row in rows if everywhere else rows[:1]:
                if c < len(row):
                    row.pop(c)
        elif kind == "header-only":
            del rows[1:]
        elif kind == "case" and rows[0]:
            rows[0] = [f"  {h.upper()} " for h in rows[0]]
        elif kind == "many-rows" and len(rows) > 1:
            rows.extend(list(rows[1 + i % (len(rows) - 1)]) for i in range(50))
    return rows


def _quote(cell: str, delimiter: str) -> str:
    if any(ch in cell for ch in (delimiter, '"', "\r", "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def csv_texts(draw: st.DrawFn, base: Base) -> str:
    """A hostile CSV document built from ``base``."""
    rows = draw(tables(base))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    quoting = draw(st.sampled_from(["minimal", "all", "none"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = []
    for row in rows:
        if quoting == "all":
            cells = ['"' + c.replace('"', '""') + '"' for c in row]
        elif quoting == "minimal":
            cells = [_quote(c, delimiter) for c in row]
        else:
            cells = row
        lines.append(delimiter.join(cells))
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    if draw(st.booleans()):
        text = "\ufeff" + text
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        where = draw(st.integers(0, len(text)))
        surgery = draw(st.sampled_from(["cut", "splice", "splice"]))
        if surgery == "cut":
            text = text[:where]
        else:
            text = text[:where] + draw(st.one_of(CELLS, st.text(alphabet=CHARS, max_size=4))) \
                + text[where:]
    return text


@attrs.frozen(repr=False)
class Document:
    """One hostile file: its bytes (for a path) and its text (for a stream)."""

    data: bytes
    text: str

    def __repr__(self) -> str:
        def cut(x: Any) -> str:
            r = repr(x)
            return r if len(r) <= 300 else f"{r[:150]}...<{len(r)} chars>...{r[-100:]}"
        return f"Document(data={cut(self.data)}, text={cut(self.text)})"


def _lenient(data: bytes, errors: str) -> str:
    text = data.decode("utf-8", errors=errors)
    return text[1:] if text.startswith("\ufeff") else text


@st.composite
def documents(draw: st.DrawFn, text_strategy: st.SearchStrategy[str]) -> Document:
    """Bytes and text of a hostile document: UTF-8 of the text, or bytes that are not."""
    kind = draw(st.sampled_from(["utf8", "utf8", "utf8", "codec", "bytes", "splice"]))
    if kind == "bytes":
        data = draw(st.binary(max_size=300))
    else:
        text = draw(text_strategy)
        data = text.encode("utf-8", errors="surrogatepass")
        if kind == "codec":
            codec = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "latin-1",
                                          "cp1252", "koi8-r", "utf-7"]))
            data = text.encode(codec, errors="replace")
        elif kind == "splice":
            where = draw(st.integers(0, len(data)))
            junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80",
                                         b"\x80\x80", codecs.BOM_UTF16_LE, b"\x00\x00"]))
            data = data[:where] + junk + data[where:]
        elif "\ud800" not in text and "\udcff" not in text and "\udfff" not in text:
            return Document(data, text[1:] if text.startswith("\ufeff") else text)
        else:  # lone surrogates reach a stream as they are; the file is not UTF-8
            return Document(data, text)
    errors = draw(st.sampled_from(["replace", "surrogateescape", "ignore", "backslashreplace"]))
    return Document(data, _lenient(data, errors))


# ================================================================== the property, per reader
def _check_error(error: InputError, path: str | None) -> None:
    assert isinstance(error.problems, tuple)
    assert error.problems, "an InputError without problems"
    for p in error.problems:
        assert isinstance(p, cs.Problem)
        assert isinstance(p.code, str)
        assert p.code
        if path is not None:
            assert p.file == path, f"problem without the file: {p}"
        if p.code in ROW_CODES and (p.file is not None or path is not None):
            assert p.row is not None, f"row problem without a line: {p}"
        str(p)  # renders
    str(error)


def _outcome(read: Callable[[Any], Any], valid: Callable[[Any], None], doc: Document,
             folder: Path) -> None:
    """Read ``doc`` through a path and through a text stream; check both outcomes."""
    path = folder / "fuzz.csv"
    path.write_bytes(doc.data)
    for source, name in ((str(path), str(path)), (io.StringIO(doc.text, newline=""), None)):
        try:
            obj = read(source)
        except InputError as e:
            _check_error(e, name)
        else:
            valid(obj)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """A scratch folder for the hostile files (one per module; each case overwrites it)."""
    with tempfile.TemporaryDirectory(prefix="civicsortition-fuzz-") as d:
        yield Path(d)


def _valid_quotas(q: Any) -> None:
    assert isinstance(q, cs.Quotas)
    assert q.panel_size == 10
    assert len(q.strata.names) >= 1
    for e in q:
        assert isinstance(e.min, int)
        assert 0 <= e.min <= e.max
        assert e.category.strip()
        assert e.value.strip()


def _valid_people(t: Any) -> None:
    assert isinstance(t, cs.PeopleTable)
    assert t.pool.n == len(t.rows) >= 1
    assert all(len(r) == len(t.header) for r in t.rows)
    assert len(set(t.pool.ids)) == t.pool.n
    list(t.pool.records())
    t.pool.value_counts()


def _valid_census(c: Any) -> None:
    assert isinstance(c, cs.Census)
    for cat in c.strata:
        shares = c.shares(cat.name)
        assert sum(shares.values(), Fraction(0)) == 1
        assert all(x >= 0 for x in shares.values())


def _valid_frame(f: Any) -> None:
    assert isinstance(f, cs.AddressFrame)
    assert f.lines is not None
    assert f.n == len(f.lines) >= 1
    assert all(f.ids)
    assert len(set(f.ids)) == f.n
    assert all(len(col) == f.n for col in f.columns.values())
    invitations = cs.invite(f, cs.SimpleRandom(1), "seed")  # every id can be hashed
    assert invitations.invited[0] in f.ids


def _valid_registrations(r: Any) -> None:
    assert isinstance(r, cs.Registrations)
    assert r.pool.n == len(r.accepted)
    assert r.pool.n + len(r.rejected_rows) == r.received
    json.dumps(r.summary())
    assert set(r.counts()) == set(cs.REJECTION_REASONS)


def _valid_votes(v: Any) -> None:
    assert isinstance(v, list)
    assert v
    for member, rec, vote in v:
        assert member
        assert rec
        assert vote.casefold() in VOTE_WORDS


def _valid_invited(a: Any) -> None:
    assert isinstance(a, frozenset)
    assert all(isinstance(x, str) for x in a)


def _people_reader(data: st.DataObject) -> Callable[[Any], Any]:
    options = data.draw(st.sampled_from([
        {"strata": QUOTAS, "id_column": "id", "household_column": "address"},
        {"strata": QUOTAS},
        {"categories": ["sex", "age"]},
        {"strata": QUOTAS, "id_column": "ID", "allow_new_values": True},
        {"strata": QUOTAS.strata, "household_column": "address", "delimiter": ";"},
    ]))
    return lambda src: cs.read_people(src, **options)


def _registrations_reader(data: st.DataObject) -> Callable[[Any], Any]:
    options = data.draw(st.sampled_from([
        {"invited": ["A1", "A2", "A3"]},
        {},
        {"identity_fields": ["name", "birth_date"]},
        {"birth_date_field": None, "eligible_field": None, "invited": ["A1"]},
    ]))
    return lambda src: cs.read_registrations(src, REG_STRATA, reference_date=REF, **options)


#: name -> (base files, reader factory, validator)
READERS: dict[str, tuple[list[Base], Callable[[st.DataObject], Callable[[Any], Any]],
                         Callable[[Any], None]]] = {
    "read_targets": ([TARGETS], lambda d: lambda src: cs.read_targets(src, 10),
                     _valid_quotas),
    "read_people": ([PEOPLE], _people_reader, _valid_people),
    "read_census": (list(CENSUS.values()), lambda d: cs.read_census, _valid_census),
    "read_address_frame": ([FRAME], lambda d: d.draw(st.sampled_from([
        cs.read_address_frame, functools.partial(cs.read_address_frame, columns=["district"]),
        functools.partial(cs.read_address_frame, id_column="id")])), _valid_frame),
    "read_registrations": ([REGISTRATIONS], _registrations_reader, _valid_registrations),
    "read_votes": ([VOTES], lambda d: cs.read_votes, _valid_votes),
    "read_invited": ([INVITED], lambda d: cs.read_invited, _valid_invited),
}


#: Each reader with its usual options.
PLAIN_READERS: dict[str, Callable[[Any], Any]] = {
    "read_targets": lambda src: cs.read_targets(src, 10),
    "read_people": lambda src: cs.read_people(src, strata=QUOTAS, id_column="id",
                                              household_column="address"),
    "read_census": cs.read_census,
    "read_address_frame": cs.read_address_frame,
    "read_registrations": lambda src: cs.read_registrations(
        src, REG_STRATA, reference_date=REF, invited=["A1", "A2", "A3"]),
    "read_votes": cs.read_votes,
    "read_invited": cs.read_invited,
}


def _csv_case(reader: str, folder: Path) -> Callable[[st.DataObject], None]:
    bases, make_reader, valid = READERS[reader]

    def body(data: st.DataObject) -> None:
        base = data.draw(st.sampled_from(bases), label="base")
        read = make_reader(data)
        doc = data.draw(documents(csv_texts(base)), label="document")
        _outcome(read, valid, doc, folder)

    return body


@pytest.mark.parametrize("reader", sorted(READERS))
def test_fuzz_csv_reader(reader: str, folder: Path) -> None:
    _run(reader, _csv_case(reader, folder), FAST)


@pytest.mark.slow
@pytest.mark.parametrize("reader", sorted(READERS))
def test_fuzz_csv_reader_heavy(reader: str, folder: Path) -> None:
    _run(reader, _csv_case(reader, folder), HEAVY, report=True)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_unmutated_bases_are_read(reader: str, folder: Path) -> None:
    """The bases are valid files: the fuzzing starts from inputs that are accepted."""
    bases, _, valid = READERS[reader]
    for base in bases:
        text = "\n".join(",".join(r) for r in (base.header, *base.rows)) + "\n"
        path = folder / "base.csv"
        path.write_text(text, encoding="utf-8")
        valid(PLAIN_READERS[reader](str(path)))
        valid(PLAIN_READERS[reader](io.StringIO(text)))


# ========================================================================== JSON artefacts
JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, 2**64 + 1, -(2**63) - 1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, math.inf, -math.inf, math.nan]),
    st.text(max_size=12),
    st.sampled_from(["\ud800", "R001", "R002", "civicsortition-lottery/1",
                     "civicsortition-draw/1", "civicsortition-draw-exact/1", "", "0" * 64]),
)
KEYS = st.one_of(st.text(max_size=8), st.sampled_from([
    "people", "panels", "certificate", "run", "uncovered", "members", "probability", "id",
    "objective", "bound", "gap", "converged", "weights", "minimum_probability", "panel_size",
    "pool_size", "algorithm", "options", "tol", "format", "m", "tickets", "procedure",
    "digest", "seed", "index", "attempts", "panel", "iterations", "stages", "seconds"]))
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children,
                                                                      max_size=6),
    max_leaves=25)


@attrs.frozen(eq=False)
class Real:
    """Real artefacts of the Rustavi example, computed once."""

    pool: cs.Pool
    quotas: cs.Quotas
    result: dict[str, Any]
    lottery: cs.TransparentLottery
    lottery_doc: dict[str, Any]
    record: dict[str, Any]


@functools.cache
def real() -> Real:
    pool, quotas = cs.examples.rustavi_example()
    dist = cs.find_distribution(pool, quotas)
    lottery = cs.transparent_lottery(dist, 50)
    record = cs.draw(lottery, "seed")
    return Real(pool, quotas, json.loads(json.dumps(dist.as_dict())), lottery,
                json.loads(lottery.canonical()), record.as_dict())


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _edit(node: Any, path: tuple[Any, ...], op: Callable[[Any, Any], None]) -> Any:
    """A copy of ``node`` with ``op(parent, key)`` applied at ``path`` (copies the path only)."""
    parent = copy.copy(node)
    if len(path) == 1:
        op(parent, path[0])
    else:
        parent[path[0]] = _edit(node[path[0]], path[1:], op)
    return parent


ANY = object()  # in a focus path: any list position or dict key

#: Paths the mutations aim at half of the time (the checked figures of each artefact).
FOCUS: tuple[tuple[Any, ...], ...] = (
    ("people", ANY, "probability"), ("people", ANY, "id"), ("people", ANY),
    ("panels", ANY, "probability"), ("panels", ANY, "members", ANY), ("panels", ANY, "members"),
    ("panels", ANY), ("certificate", ANY), ("certificate", "weights", ANY),
    ("minimum_probability",), ("panel_size",), ("pool_size",), ("run", "options", "tol"),
    ("run", ANY), ("uncovered",), ("algorithm",),
    ("tickets", ANY, ANY), ("tickets", ANY), ("m",), ("format",), ("tickets",),
    ("procedure",), ("digest",), ("seed",), ("index",), ("attempts",), ("panel", ANY),
)


def _step(data: st.DataObject, node: Any, token: Any) -> Any:
    """The key to follow from ``node`` (``None`` when there is none)."""
    if isinstance(node, dict) and node:
        if token is ANY:
            return data.draw(st.sampled_from(sorted(node)))
        return token if token in node else None
    if isinstance(node, list) and node and token is ANY:
        return data.draw(st.integers(0, len(node) - 1))
    return None


def _draw_path(data: st.DataObject, doc: Any) -> tuple[tuple[Any, ...], Any]:
    """A random non-empty path into ``doc`` (often a focus path) and the node there."""
    focus = [f for f in FOCUS if isinstance(doc, dict) and f[0] in doc]
    if focus and data.draw(st.booleans(), label="focus"):
        tokens: list[Any] = list(data.draw(st.sampled_from(focus)))
    else:
        tokens = [ANY] * data.draw(st.integers(1, 5), label="depth")
    path: list[Any] = []
    node = doc
    for token in tokens:
        key = _step(data, node, token)
        if key is None:
            break
        path.append(key)
        node = node[key]
    return tuple(path), node


def _plus(old: Any, delta: Any) -> Any:
    try:
        return old + delta
    except OverflowError:
        return -old


def _times(old: Any, factor: Any) -> Any:
    try:
        return old * factor
    except OverflowError:
        return -old


@attrs.frozen
class Mutation:
    """What one mutation did: the path, the kind, the old and the new value."""

    path: tuple[Any, ...]
    kind: str
    old: Any
    new: Any = None


def _retyped(x: Any) -> Any:
    if isinstance(x, bool):
        return int(x)
    if _is_number(x):
        return str(x)
    if isinstance(x, str):
        return [x]
    if isinstance(x, list):
        return {str(i): v for i, v in enumerate(x)}
    if isinstance(x, dict):
        return list(x.values())
    return 0


def _mutate(data: st.DataObject, doc: Any) -> tuple[Any, Mutation]:
    """One random mutation of ``doc`` (which is not modified)."""
    path, old = _draw_path(data, doc)
    if not path:
        new = data.draw(JSON_VALUES)
        return new, Mutation((), "junk", doc, new)
    kind = data.draw(st.sampled_from(["delete", "rename", "junk", "junk", "nudge", "nudge",
                                      "retype", "duplicate", "extra-key"]))
    if kind == "nudge" and not _is_number(old):
        kind = "retype"
    parent_is_dict = isinstance(path[-1], str)
    if kind == "rename" and not parent_is_dict:
        kind = "delete"
    if kind == "duplicate" and parent_is_dict:
        kind = "extra-key"
    if kind == "delete":
        def op(p: Any, k: Any) -> None:
            del p[k]
        return _edit(doc, path, op), Mutation(path, kind, old)
    if kind == "rename":
        new_key = data.draw(st.one_of(st.text(max_size=6), st.just(path[-1] + "_"),
                                      st.just(path[-1].upper())).filter(lambda s: s != path[-1]))

        def op(p: Any, k: Any) -> None:
            p[new_key] = p.pop(k)
        return _edit(doc, path, op), Mutation(path, kind, old, new_key)
    if kind == "duplicate":
        def op(p: Any, k: Any) -> None:
            p.insert(k, p[k])
        return _edit(doc, path, op), Mutation(path, kind, old)
    if kind == "extra-key":
        key, junk = data.draw(KEYS), data.draw(JSON_VALUES)

        def op(p: Any, k: Any) -> None:
            if isinstance(p[k], dict):
                p[k] = {**p[k], key: junk}
        return _edit(doc, path, op), Mutation(path, kind, old)
    if kind == "nudge":
        new = data.draw(st.one_of(
            st.floats(-2, 2).map(lambda d: _plus(old, d)),
            st.integers(-3, 3).map(lambda d: _plus(old, d)),
            st.sampled_from([1e-9, -1e-9, 1e-4, 2e-3, -2e-3]).map(lambda d: _plus(old, d)),
            st.floats(-1e6, 1e6).map(lambda f: _times(old, f)),
            st.sampled_from([math.nan, math.inf, -math.inf, 10**400, -(10**400), 0, 1e300]),
            st.sampled_from([math.nan, -1, 2**63]).map(lambda x: x if x != -1 else -old)))
    elif kind == "retype":
        new = _retyped(old)
    else:
        new = data.draw(JSON_VALUES)

    def op(p: Any, k: Any) -> None:
        p[k] = new
    return _edit(doc, path, op), Mutation(path, kind, old, new)


# --------------------------------------------------------------- what a mutation must break
def _shape(path: tuple[Any, ...]) -> tuple[str, ...]:
    """The path with list positions as ``*`` and weight ids as ``@``."""
    out = []
    for i, k in enumerate(path):
        if isinstance(k, int):
            out.append("*")
        elif path[:i] == ("certificate", "weights"):
            out.append("@")
        else:
            out.append(k)
    return tuple(out)


NUMERIC = {("panel_size",), ("pool_size",), ("minimum_probability",),
           ("people", "*", "probability"), ("panels", "*", "probability"),
           ("certificate", "objective"), ("certificate", "bound"), ("certificate", "gap"),
           ("certificate", "weights", "@")}
IDS = {("people", "*", "id"), ("panels", "*", "members", "*")}
CONTAINERS = {("people",), ("panels",), ("certificate",), ("people", "*"), ("panels", "*"),
              ("panels", "*", "members")}
NEEDED_KEYS = NUMERIC | IDS | CONTAINERS


def _far(new: float, old: float) -> bool:
    """``new`` is more than 1e-3 from ``old`` (or not finite)."""
    try:
        return not abs(float(new) - float(old)) <= 1e-3
    except OverflowError:
        return True


def _must_fail(m: Mutation, doc: dict[str, Any]) -> bool:
    """True when the mutation changes a checked figure by > 1e-3 or removes a needed key.

    (A needed key: people, panels, certificate, minimum_probability, people[].id/probability,
    panels[].members/probability, certificate.objective/bound/gap, each certificate weight.)
    """
    shape = _shape(m.path)
    ids = set(real().pool.ids)
    if m.kind in ("delete", "rename"):
        if shape == ("panels", "*"):  # a panel less: the probabilities no longer sum to 1
            return bool(m.old["probability"] > 1e-4)
        if shape in IDS or shape == ("people", "*"):
            return True
        if shape == ("certificate", "weights", "@") and m.kind == "rename":
            return m.new not in ids
        return shape in NEEDED_KEYS - {("panel_size",), ("pool_size",)}
    if m.kind == "duplicate":
        if shape == ("panels", "*"):
            return bool(m.old["probability"] > 1e-4)
        return shape in {("people", "*"), ("panels", "*", "members", "*")}
    if m.kind not in ("nudge", "retype", "junk"):
        return False
    if shape in NUMERIC:
        return not _is_number(m.new) or _far(m.new, m.old)
    if shape in IDS:
        return m.new != m.old and not (isinstance(m.new, str) and m.new in ids)
    if shape in CONTAINERS:
        return bool(m.new != m.old)
    return False


def _check_verdict(verdict: Any) -> None:
    assert isinstance(verdict, cs.Verdict)
    assert verdict.checks
    for c in verdict.checks:
        assert isinstance(c, cs.Check)
        assert isinstance(c.ok, bool)
        assert isinstance(c.detail, str)
    json.dumps(verdict.as_dict())


MUST_FAIL = "verify_selection (mutated result) that must fail"


def _verify_random(data: st.DataObject) -> None:
    r = real()
    doc = data.draw(JSON_VALUES | st.dictionaries(KEYS, JSON_VALUES, max_size=8))
    verdict = cs.verify_selection(r.pool, r.quotas, result=doc)
    _check_verdict(verdict)
    assert not verdict.ok


def _verify_mutated(data: st.DataObject) -> None:
    r = real()
    n = data.draw(st.sampled_from([1, 1, 1, 2, 3]), label="mutations")
    doc: Any = r.result
    mutations = []
    for _ in range(n):
        doc, m = _mutate(data, doc)
        mutations.append(m)
    verdict = cs.verify_selection(r.pool, r.quotas, result=doc)
    _check_verdict(verdict)
    if n == 1 and _must_fail(mutations[0], r.result):
        CASES[MUST_FAIL] += 1
        assert not verdict.ok, f"{mutations[0]} passed verification"


def test_real_artefacts_pass() -> None:
    r = real()
    assert cs.verify_selection(r.pool, r.quotas, result=r.result).ok
    dist = cs.result_distribution(r.result, r.pool, r.quotas)
    assert not check_distribution(dist, expand=False)
    lottery = cs.TransparentLottery.from_canonical(r.lottery.canonical())
    assert lottery.digest() == r.lottery.digest()
    assert cs.verify(cs.DrawRecord.from_dict(r.record), lottery).ok


def test_fuzz_verify_selection_random_json() -> None:
    _run("verify_selection (arbitrary JSON)", _verify_random, FAST)


def test_fuzz_verify_selection_mutated_result() -> None:
    _run("verify_selection (mutated result)", _verify_mutated, FAST // 2)


@pytest.mark.slow
def test_fuzz_verify_selection_random_json_heavy() -> None:
    _run("verify_selection (arbitrary JSON)", _verify_random, HEAVY, report=True)


@pytest.mark.slow
def test_fuzz_verify_selection_mutated_result_heavy() -> None:
    before = CASES[MUST_FAIL]
    _run("verify_selection (mutated result)", _verify_mutated, HEAVY_RESULT * 2, report=True)
    print(f"fuzz verify_selection (mutated result): {CASES[MUST_FAIL] - before} single "
          "mutations broke a checked figure, all failed verification")


# ----------------------------------------------------------------------- read_result
def _valid_distribution(dist: Any) -> None:
    assert isinstance(dist, cs.Distribution)
    assert not check_distribution(dist, expand=False)
    assert np.all(np.isfinite(dist.marginals))
    d = dist.details
    assert isinstance(d.iterations, int)
    assert isinstance(d.options, dict)
    json.dumps(dist.as_dict(panels=False))


def _result_doc(data: st.DataObject) -> Any:
    r = real()
    if data.draw(st.integers(0, 3)) == 0:
        return data.draw(JSON_VALUES | st.dictionaries(KEYS, JSON_VALUES, max_size=8))
    doc: Any = r.result
    for _ in range(data.draw(st.integers(1, 3))):
        doc, _ = _mutate(data, doc)
    return doc


def _result_case(folder: Path) -> Callable[[st.DataObject], None]:
    def body(data: st.DataObject) -> None:
        r = real()
        doc = _result_doc(data)
        households = data.draw(st.booleans())
        try:
            dist = cs.result_distribution(doc, r.pool, r.quotas, households=households)
        except InputError as e:
            _check_error(e, None)
        else:
            _valid_distribution(dist)
        text = json.dumps(doc, allow_nan=True)
        texts = st.one_of(st.just(text), st.just("[" * 100_000), st.just('{"people":' * 5000),
                          st.integers(0, len(text)).map(lambda i: text[:i]),
                          st.text(max_size=20))
        file = data.draw(documents(texts))
        _outcome(lambda src: cs.read_result(src, r.pool, r.quotas, households=households),
                 _valid_distribution, file, folder)

    return body


def test_fuzz_read_result(folder: Path) -> None:
    _run("read_result", _result_case(folder), FAST // 2)


@pytest.mark.slow
def test_fuzz_read_result_heavy(folder: Path) -> None:
    _run("read_result", _result_case(folder), HEAVY_RESULT, report=True)


# -------------------------------------------------------------------- the lottery document
def _valid_lottery(lottery: Any) -> None:
    assert isinstance(lottery, cs.TransparentLottery)
    assert lottery.m >= 1
    assert all(isinstance(pid, str) for t in lottery.tickets for pid in t)
    assert len(lottery.digest()) == 64
    cs.TransparentLottery.from_canonical(lottery.canonical())


def _lottery_case(data: st.DataObject) -> None:
    r = real()
    choice = data.draw(st.integers(0, 3))
    if choice == 0:
        doc: Any = data.draw(JSON_VALUES | st.dictionaries(KEYS, JSON_VALUES, max_size=5))
    else:
        doc = r.lottery_doc
        for _ in range(data.draw(st.integers(1, 3))):
            doc, _ = _mutate(data, doc)
    text = json.dumps(doc, sort_keys=data.draw(st.booleans()), ensure_ascii=data.draw(
        st.booleans()), allow_nan=True)
    raw = data.draw(documents(st.one_of(st.just(text), st.just("[" * 100_000),
                                        st.integers(0, len(text)).map(lambda i: text[:i]))))
    for payload in (raw.data, raw.text):
        try:
            lottery = cs.TransparentLottery.from_canonical(payload)
        except InputError as e:
            _check_error(e, None)
        else:
            _valid_lottery(lottery)


def test_fuzz_lottery_from_canonical() -> None:
    _run("TransparentLottery.from_canonical", _lottery_case, FAST)


@pytest.mark.slow
def test_fuzz_lottery_from_canonical_heavy() -> None:
    _run("TransparentLottery.from_canonical", _lottery_case, HEAVY, report=True)


# ------------------------------------------------------------------------ the draw record
def _record_case(data: st.DataObject) -> None:
    r = real()
    if data.draw(st.integers(0, 3)) == 0:
        doc: Any = data.draw(JSON_VALUES | st.dictionaries(KEYS, JSON_VALUES, max_size=8))
    else:
        doc = r.record
        for _ in range(data.draw(st.integers(1, 3))):
            doc, _ = _mutate(data, doc)
    try:
        record = cs.DrawRecord.from_dict(doc)
    except InputError as e:
        _check_error(e, None)
        return
    assert isinstance(record, cs.DrawRecord)
    assert cs.DrawRecord.from_dict(record.as_dict()) == record
    verdict = cs.verify(record, r.lottery)
    assert isinstance(verdict, cs.DrawVerdict)
    if record != cs.DrawRecord.from_dict(r.record):
        assert not verdict.ok
    _check_verdict(cs.verify_selection(r.pool, r.quotas, lottery=r.lottery, record=record))


def test_fuzz_draw_record_from_dict() -> None:
    _run("DrawRecord.from_dict", _record_case, FAST)


@pytest.mark.slow
def test_fuzz_draw_record_from_dict_heavy() -> None:
    _run("DrawRecord.from_dict", _record_case, HEAVY, report=True)


# =============================================================== regressions (bugs fuzzed)
def _path(folder: Path, text: str | bytes) -> str:
    path = folder / "regression.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return os.fspath(path)


@pytest.mark.parametrize("text", ['"', '""\n""\n', '" "', '"\t";""\n'])
def test_regression_read_table_only_blank_cells(folder: Path, text: str) -> None:
    # A file whose every cell is blank once unquoted (a lone '"') passed the emptiness test
    # on raw lines and then tripped ``assert header is not None`` (AssertionError).
    path = _path(folder, text)
    for source in (path, io.StringIO(text)):
        with pytest.raises(InputError) as info:
            cs.read_votes(source)
        assert info.value.codes == ("empty-file",)
    with pytest.raises(InputError) as info:
        cs.read_targets(path, 10)
    assert info.value.problems[0].file == path


@pytest.mark.parametrize("share", ["1e309", "1e400", "9" * 400])
def test_regression_read_census_huge_share_overflow(folder: Path, share: str) -> None:
    # A share beyond the float range made the "do not sum to one" message call
    # float(Fraction), which raised OverflowError.
    path = _path(folder, f"category,value,share\nsex,female,{share}\nsex,male,0.48\n")
    with pytest.raises(InputError) as info:
        cs.read_census(path)
    assert info.value.codes == ("shares-do-not-sum-to-one",)
    assert info.value.problems[0].file == path
    assert "more than 1e308" in str(info.value)


@pytest.mark.parametrize("share", ["1e999999999", "1e-99999999", "2E+1_000_000_000"])
def test_regression_read_census_huge_exponent_hang(share: str) -> None:
    # Fraction("1e999999999") computes 10**999999999: minutes and gigabytes for one cell.
    # Exponents beyond ±400 are now not-a-number (with the line), at once.
    text = f"category,value,share\nsex,female,{share}\nsex,male,0.5\n"
    with pytest.raises(InputError) as info:
        cs.read_census(io.StringIO(text))
    assert info.value.codes == ("not-a-number",)
    assert info.value.problems[0].row == 2
    assert cs.read_census(io.StringIO("category,value,share\nsex,f,5e-1\nsex,m,50E-2\n"))


@pytest.mark.parametrize("text", ["[" * 100_000, '{"people":' * 50_000])
def test_regression_read_result_deep_json(folder: Path, text: str) -> None:
    # json.loads raises RecursionError (not a ValueError) on deep nesting.
    r = real()
    path = _path(folder, text)
    for source in (path, io.StringIO(text)):
        with pytest.raises(InputError) as info:
            cs.read_result(source, r.pool, r.quotas)
        assert info.value.codes == ("bad-result",)
    assert info.value.problems[0].file is not None


def _doc_with(*edits: tuple[tuple[Any, ...], Any]) -> Any:
    doc: Any = real().result
    for path, value in edits:
        def op(p: Any, k: Any, value: Any = value) -> None:
            p[k] = value
        doc = _edit(doc, path, op)
    return doc


@pytest.mark.parametrize(("edits", "code"), [
    # AttributeError: certificate / run not objects
    ([(("certificate",), [1, 2])], "bad-result"),
    ([(("run",), "fast")], "bad-result"),
    # OverflowError: an integer beyond the float range
    ([(("panels", 0, "probability"), 10**400)], "bad-result"),
    ([(("certificate", "objective"), 10**400)], "bad-result"),
    ([(("run", "seconds"), -(10**400))], "bad-result"),
    # ValueError outside the try: text where a number belongs
    ([(("certificate", "bound"), "high")], "bad-result"),
    ([(("run", "iterations"), math.nan)], "bad-result"),
    ([(("run", "stages"), math.inf)], "bad-result"),
    ([(("certificate", "weights", "R003"), "x")], "bad-result"),
    ([(("certificate", "weights", "R003"), math.inf)], "bad-result"),
    # TypeError: options not an object, uncovered not a list of ids
    ([(("run", "options"), [1, 2])], "bad-result"),
    ([(("uncovered",), 7)], "bad-result"),
    ([(("uncovered",), [{"id": "R001"}])], None),   # ignored, as unknown ids are
    # probabilities that made an invalid Distribution
    ([(("panels", 0, "probability"), math.nan)], "bad-probability"),
    ([(("panels", 0, "probability"), -0.5)], "bad-probability"),
    ([(("panels", 0, "probability"), 0.5)], "bad-probability"),
    ([(("panels", 0, "probability"), True)], "bad-result"),
])
def test_regression_result_distribution_malformed_parts(
        edits: list[tuple[tuple[Any, ...], Any]], code: str | None) -> None:
    r = real()
    doc = _doc_with(*edits)
    if code is None:
        _valid_distribution(cs.result_distribution(doc, r.pool, r.quotas))
        return
    with pytest.raises(InputError) as info:
        cs.result_distribution(doc, r.pool, r.quotas, name="r.json")
    assert info.value.codes[0] == code
    assert all(p.file == "r.json" for p in info.value.problems)


@pytest.mark.parametrize("path", [
    ("people", 0, "probability"), ("panels", 3, "probability"), ("certificate", "objective"),
    ("certificate", "bound"), ("certificate", "gap"), ("minimum_probability",),
    ("certificate", "weights", "R003"), ("run", "options", "tol"),
])
def test_regression_verify_selection_huge_integers(path: tuple[Any, ...]) -> None:
    # float(10**400) raised OverflowError out of verify_selection.
    r = real()
    verdict = cs.verify_selection(r.pool, r.quotas, result=_doc_with((path, 10**400)))
    _check_verdict(verdict)
    if path != ("run", "options", "tol"):   # the run's options are its own account
        assert not verdict.ok


@pytest.mark.parametrize("every", [False, True])
def test_regression_verify_selection_nan_weights(every: bool) -> None:
    # A NaN weight passed the "non-negative, sum to 1" test and reached scipy's milp,
    # which raised ValueError; now the bound check fails.
    r = real()
    weights = r.result["certificate"]["weights"]
    value = dict.fromkeys(weights, math.nan) if every else {**weights, "R003": math.nan}
    verdict = cs.verify_selection(r.pool, r.quotas, result=_doc_with(
        (("certificate", "weights"), value)))
    _check_verdict(verdict)
    assert [c.name for c in verdict.failures] == ["certificate.bound"]


@pytest.mark.parametrize(("path", "check"), [
    (("people", 5, "probability"), "result.marginals"),
    (("minimum_probability",), "result.minimum_probability"),
])
def test_regression_verify_selection_nan_claims_pass(path: tuple[Any, ...],
                                                     check: str) -> None:
    # `off > tol` and `abs(stated - minimum) > tol` are False for NaN: a result stating NaN
    # probabilities or a NaN minimum passed verification.
    r = real()
    verdict = cs.verify_selection(r.pool, r.quotas, result=_doc_with((path, math.nan)))
    assert [c.name for c in verdict.failures] == [check]


def test_regression_verify_selection_nan_tol_disables_convergence_check() -> None:
    # run.options.tol = NaN made the "claims converged" limit NaN, so a converged claim
    # with a large gap passed.
    r = real()
    objective = r.result["certificate"]["objective"]
    loose = [(("certificate", "bound"), objective + 0.01), (("certificate", "gap"), 0.01)]
    for tol in (1e-7, math.nan, math.inf, "1e9"):
        doc = _doc_with(*loose, (("run", "options", "tol"), tol))
        verdict = cs.verify_selection(r.pool, r.quotas, result=doc)
        assert [c.name for c in verdict.failures] == ["certificate.gap"], tol


def test_regression_verify_selection_many_duplicate_people() -> None:
    # Duplicates were found with list.count per entry: quadratic, 24 s for a result listing
    # 10,000 ids twice each (3 minutes for 25,000); now one count, well under a second.
    r = real()
    people = [{"id": f"X{i % 10_000:05}", "probability": 0.1} for i in range(20_000)]
    start = time.perf_counter()
    verdict = cs.verify_selection(r.pool, r.quotas, result=_doc_with((("people",), people)))
    assert time.perf_counter() - start < 5.0
    check = next(c for c in verdict.checks if c.name == "result.people")
    assert not check.ok
    assert "listed twice: ['X00000', 'X00001', 'X00002']" in check.detail


@pytest.mark.parametrize("reader", sorted(READERS))
def test_regression_stream_lone_surrogate(reader: str) -> None:
    # A text stream may hold lone surrogates (bytes decoded with errors="surrogateescape");
    # they were read into ids that later broke invite() and the lottery digest with
    # UnicodeEncodeError. Now a located not-utf8 problem, as for a file.
    base = READERS[reader][0][0]
    rows = [list(base.header)] + [list(r) for r in base.rows]
    rows[2][0] = "A\udcff"
    text = "\n".join(",".join(r) for r in rows) + "\n"
    with pytest.raises(InputError) as info:
        PLAIN_READERS[reader](io.StringIO(text))
    assert info.value.codes == ("not-utf8",)
    assert info.value.problems[0].row == 3


def test_regression_address_frame_surrogate_id() -> None:
    # An AddressFrame built with an id holding a lone surrogate made invite() raise
    # UnicodeEncodeError when hashing the invitation keys.
    with pytest.raises(InputError) as info:
        cs.AddressFrame(["A1", "A\ud800", "A3"])
    assert info.value.codes == ("not-utf8",)
    assert info.value.problems[0].row == 1


# ------------------------------------------- bugs this fuzzing found in lottery.py, draw.py
def test_regression_lottery_from_canonical_deep_json() -> None:
    # json's RecursionError escaped from_canonical.
    with pytest.raises(InputError) as info:
        cs.TransparentLottery.from_canonical("[" * 100_000)
    assert info.value.codes == ("bad-lottery",)


def test_regression_lottery_surrogate_id_digest() -> None:
    # An id with a lone surrogate was accepted; digest() then raised UnicodeEncodeError.
    text = '{"format":"civicsortition-lottery/1","m":1,"tickets":[["\\ud800"]]}'
    with pytest.raises(InputError) as info:
        cs.TransparentLottery.from_canonical(text)
    assert info.value.codes == ("not-utf8",)
    with pytest.raises(InputError):
        cs.TransparentLottery((("a", "\ud800"),))


def test_regression_lottery_empty_or_repeated_ticket() -> None:
    for tickets in ([[]], [["a", "a"]]):
        text = json.dumps({"format": "civicsortition-lottery/1", "m": 1, "tickets": tickets})
        with pytest.raises(InputError) as info:
            cs.TransparentLottery.from_canonical(text)
        assert info.value.codes == ("bad-ticket",)


def test_regression_draw_surrogate_seed() -> None:
    # normalise_seed accepted lone surrogates; hashing the seed then failed.
    lottery = cs.TransparentLottery((("a",), ("b",)))
    with pytest.raises(InputError) as info:
        cs.draw(lottery, "\ud800")
    assert info.value.codes == ("bad-seed",)
    record = cs.DrawRecord("civicsortition-draw/1", lottery.digest(), "\ud800", 0, 1, ("a",), 2)
    verdict = cs.verify(record, lottery)
    assert isinstance(verdict, cs.DrawVerdict)
    assert not verdict.ok
