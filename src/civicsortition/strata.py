"""Categories and their values: the schema every pool, census and quota table refers to.

A *category* (also called a *feature* by practitioners) is a demographic attribute such as sex,
age band, education or district; each has a finite, ordered tuple of *values*. A :class:`Strata`
is the ordered tuple of categories. The order of categories and values is significant: it fixes
the integer codes used in :class:`~civicsortition.pool.Pool` (value ``j`` of category ``c`` is
stored as code ``j`` in column ``c``).

A *joint* name combines categories with ``×`` (``"sex×age"``); its values combine one value of
each (``"female×18-29"``). ``*`` is accepted as the ASCII spelling and normalised to ``×``
(:func:`normalise_joint`). Joint names are used by quota rows and census cross tables; a
:class:`Strata` itself only holds single categories.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import attrs

from ._checks import did_you_mean, require, require_str, sequence
from ._i18n import tr
from .errors import InputError, Problem

__all__ = ["JOINT_SEPARATOR", "Category", "Strata", "joint_name", "normalise_joint",
           "split_joint"]

#: The separator of a joint (intersectional) category or value: ``"sex×age"``.
JOINT_SEPARATOR = "×"
#: The ASCII spelling of :data:`JOINT_SEPARATOR`, accepted wherever a joint name is read.
_ASCII_SEPARATOR = "*"


def split_joint(text: str) -> tuple[str, ...]:
    """The parts of a joint name or value, stripped; a single name gives one part.

    ``×`` separates the parts; a text without ``×`` is split at ``*`` instead, so a value
    spelled with ``×`` may contain ``*``.

    Examples
    --------
    >>> split_joint("sex × age"), split_joint("female*18-29"), split_joint("sex")
    (('sex', 'age'), ('female', '18-29'), ('sex',))
    """
    sep = JOINT_SEPARATOR if JOINT_SEPARATOR in text else _ASCII_SEPARATOR
    if sep not in text:
        return (text,)
    return tuple(part.strip() for part in text.split(sep))


def joint_name(parts: Iterable[str]) -> str:
    """Join category names (or values) into a joint name: ``["sex", "age"]`` -> ``"sex×age"``.

    Examples
    --------
    >>> joint_name(["female", "18-29"])
    'female×18-29'
    """
    return JOINT_SEPARATOR.join(parts)


def normalise_joint(text: str) -> str:
    """``text`` with its joint separators written ``×`` and the parts stripped.

    A name without a separator is returned unchanged (not even stripped).

    Examples
    --------
    >>> normalise_joint("sex * age")
    'sex×age'
    """
    parts = split_joint(text)
    return text if len(parts) == 1 else joint_name(parts)


def _as_str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    items = sequence(values, "Category(values=...)",
                     "a sequence of value names (not a single string)")
    for j, v in enumerate(items):
        require_str(v, f"Category(values=...)[{j}]", "a value name (str)")
    return items


@attrs.frozen
class Category:
    """A demographic attribute and its possible values.

    Parameters
    ----------
    name : str
        Non-empty name, unique within a :class:`Strata` (compared case-insensitively).
    values : sequence of str
        Distinct, non-empty value names in a fixed order.

    Raises
    ------
    TypeError
        If ``name`` is not a string, or ``values`` is a single string, not iterable, or holds
        something other than strings.
    InputError
        ``empty-name``, ``no-values``, ``empty-value``, ``duplicate-value``.

    Examples
    --------
    >>> Category("sex", ["female", "male"]).code("male")
    1
    """

    name: str
    values: tuple[str, ...] = attrs.field(converter=_as_str_tuple)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        require_str(self.name, "Category(name=...)", "a category name (str)")
        if not self.name.strip():
            problems.append(Problem("empty-name", "a category needs a non-empty name",
                                    value=repr(self.name)))
        if not self.values:
            problems.append(Problem("no-values", tr("category {name!r} has no values",
                                                    name=self.name),
                                    column=self.name))
        seen: set[str] = set()
        for v in self.values:
            if not v.strip():
                problems.append(Problem("empty-value", tr("category {name!r} has an empty value "
                                                          "name", name=self.name),
                                        column=self.name, value=repr(v)))
            elif v in seen:
                problems.append(Problem("duplicate-value", tr("category {name!r} lists a value "
                                                              "twice", name=self.name),
                                        column=self.name, value=v))
            seen.add(v)
        if problems:
            raise InputError(problems)

    def __len__(self) -> int:
        return len(self.values)

    def code(self, value: str) -> int:
        """Return the integer code of ``value`` (its position in :attr:`values`).

        Raises
        ------
        TypeError
            If ``value`` is not a string.
        InputError
            With code ``"unknown-value"`` if ``value`` is not a value of this category.
        """
        require_str(value, f"Category({self.name!r}).code(value=...)", "a value name (str)")
        try:
            return self.values.index(value)
        except ValueError:
            raise InputError.single(
                "unknown-value",
                tr("not a value of category {category!r}; expected one of {values}{hint}",
                   category=self.name, values=list(self.values),
                   hint=did_you_mean(value, self.values)),
                column=self.name, value=value) from None


def _as_category_tuple(cats: Iterable[Category]) -> tuple[Category, ...]:
    items = sequence(cats, "Strata(categories=...)", "a sequence of Category objects")
    for j, c in enumerate(items):
        require(c, Category, f"Strata(categories=...)[{j}]", "a Category")
    return items


@attrs.frozen
class Strata:
    """An ordered tuple of categories.

    Parameters
    ----------
    categories : sequence of Category
        Categories with distinct names (case-insensitively).

    Raises
    ------
    TypeError
        If ``categories`` is not a sequence of :class:`Category`.
    InputError
        ``duplicate-category``.

    Examples
    --------
    >>> s = Strata.from_mapping({"sex": ["female", "male"], "age": ["18-39", "40+"]})
    >>> s.names
    ('sex', 'age')
    >>> s["age"].values
    ('18-39', '40+')
    """

    categories: tuple[Category, ...] = attrs.field(converter=_as_category_tuple)

    def __attrs_post_init__(self) -> None:
        seen: dict[str, str] = {}
        problems: list[Problem] = []
        for c in self.categories:
            key = c.name.casefold()
            if key in seen:
                problems.append(Problem("duplicate-category", tr("category names must be unique "
                                                                 "(case-insensitively); {seen!r} "
                                                                 "is given twice", seen=seen[key]),
                                        column=c.name))
            seen[key] = c.name
        if problems:
            raise InputError(problems)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Iterable[str]]) -> Strata:
        """Build from ``{category: [values...]}`` (insertion order is kept).

        Raises
        ------
        TypeError
            If ``mapping`` is not a mapping (or a category is malformed, see
            :class:`Category`).
        InputError
            As :class:`Category` and :class:`Strata`.
        """
        require(mapping, Mapping, "Strata.from_mapping(mapping=...)",
                "a mapping of category name to values")
        return cls(Category(name, values) for name, values in mapping.items())

    @property
    def names(self) -> tuple[str, ...]:
        """Category names in order."""
        return tuple(c.name for c in self.categories)

    def __len__(self) -> int:
        return len(self.categories)

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def index(self, name: str) -> int:
        """Position of the category called ``name`` (exact match first, then case-insensitive).

        Raises
        ------
        TypeError
            If ``name`` is not a string.
        InputError
            With code ``"unknown-category"``.
        """
        require_str(name, "Strata.index(name=...)", "a category name (str)")
        for i, c in enumerate(self.categories):
            if c.name == name:
                return i
        folded = name.casefold()
        for i, c in enumerate(self.categories):
            if c.name.casefold() == folded:
                return i
        raise InputError.single("unknown-category",
                                tr("no such category; expected one of {names}",
                                   names=list(self.names)),
                                column=name, value=name)

    def __getitem__(self, name: str) -> Category:
        return self.categories[self.index(name)]

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Iterate over all ``(category, value)`` pairs in order."""
        for c in self.categories:
            for v in c.values:
                yield c.name, v

    @property
    def n_values(self) -> int:
        """Total number of ``(category, value)`` pairs."""
        return sum(len(c) for c in self.categories)
