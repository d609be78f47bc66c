r"""Seeds and the public SHA-256 procedures, in one place.

Every random choice that an organiser publishes is made by SHA-256 over UTF-8 text and integer
arithmetic only (no NumPy stream, so it is the same on every platform and version). A seed is
text from a public source; :func:`normalise_seed` fixes its form (Unicode NFC, whitespace runs
to one space, trimmed) before any hashing. The procedures:

=====================================  ================================================
``civicsortition-draw/1``              ticket index of a transparent lottery (:func:`uniform`)
``civicsortition-draw-exact/1``        a panel from an exact distribution
``civicsortition-invite/1``            the order in which addresses are invited
``civicsortition-alternates/1``        the order of prepared alternates
``civicsortition-uniform/1``           tickets drawn uniformly from all feasible panels
``civicsortition-pps/1``               the random start of systematic PPS over clusters
=====================================  ================================================

Each is written out step by step in ``docs/transparency.md`` (the two stage-1 procedures in
``docs/pipeline.md``); this module is the only code that
computes them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

from ._checks import require_str, utf8_encodable
from .errors import InputError

__all__ = ["ALTERNATES_PROCEDURE", "DRAW_PROCEDURE", "EXACT_PROCEDURE", "INVITE_PROCEDURE",
           "PPS_PROCEDURE", "UNIFORM_PROCEDURE",
           "alternate_key", "invitation_key", "normalise_seed", "pps_start", "seed_to_index",
           "uniform"]

DRAW_PROCEDURE = "civicsortition-draw/1"
EXACT_PROCEDURE = "civicsortition-draw-exact/1"
INVITE_PROCEDURE = "civicsortition-invite/1"
ALTERNATES_PROCEDURE = "civicsortition-alternates/1"
UNIFORM_PROCEDURE = "civicsortition-uniform/1"
PPS_PROCEDURE = "civicsortition-pps/1"
_SPACE = re.compile(r"\s+")


def normalise_seed(seed: str) -> str:
    """NFC, whitespace runs to one space, trimmed.

    Raises
    ------
    InputError
        ``bad-seed`` if the seed is not text, is empty after normalisation, or is not valid
        Unicode text (a lone surrogate).
    """
    if not isinstance(seed, str):
        raise InputError.single("bad-seed", "the seed must be text", value=repr(seed))
    out = _SPACE.sub(" ", unicodedata.normalize("NFC", seed)).strip()
    if not out:
        raise InputError.single("bad-seed", "the seed is empty", value=repr(seed))
    if not utf8_encodable(out):  # it is hashed as UTF-8
        raise InputError.single("bad-seed", "the seed is not valid Unicode text (a lone "
                                "surrogate)", value=repr(seed))
    return out


def _key(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def uniform(label: str, key: str, seed: str, m: int) -> tuple[int, int]:
    """Uniform integer in ``[0, m)`` by SHA-256 with rejection; returns (value, attempts).

    For ``j = 0, 1, ...`` hash the lines ``label``, ``key``, ``seed``, ``j`` (joined by
    newlines); with ``L = 2^256 - (2^256 mod m)`` the first hash value ``v < L`` gives
    ``v mod m`` (no modulo bias). ``seed`` must already be normalised.
    """
    limit = 2**256 - (2**256 % m)
    j = 0
    while True:
        v = _key(f"{label}\n{key}\n{seed}\n{j}")
        if v < limit:
            return v % m, j + 1
        j += 1


def seed_to_index(digest: str, seed: str, m: int) -> tuple[int, int]:
    """Ticket index in ``[0, m)`` for a lottery digest and a seed; returns (index, attempts).

    Raises
    ------
    TypeError
        If ``digest`` is not a string.
    InputError
        ``bad-ticket-count`` if ``m`` is not a positive integer; ``bad-seed``.
    """
    require_str(digest, "seed_to_index(digest=...)", "a lottery digest (str)")
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise InputError.single("bad-ticket-count", "seed_to_index(m=...): m must be a positive "
                                "integer", column="m", value=repr(m))
    return uniform(DRAW_PROCEDURE, digest, normalise_seed(seed), int(m))


def invitation_key(seed: str, phase: str, address: str) -> int:
    """The public sort key of one address: ``SHA-256`` of the procedure, phase, seed, address.

    Parameters
    ----------
    seed : str
        The normalised seed (see :func:`normalise_seed`).
    phase : str
        ``"uniform"``, ``"stratum:<value>"`` or ``"flagged"``.
    address : str

    Returns
    -------
    int
        A 256-bit integer; smaller keys are invited first.
    """
    return _key(f"{INVITE_PROCEDURE}\n{phase}\n{seed}\n{address}")


def alternate_key(seed: str, person: str) -> int:
    """Public order key of an alternate: SHA-256 of procedure, normalised seed and id.

    Raises
    ------
    TypeError
        If ``person`` is not a string id.
    InputError
        ``bad-seed`` (see :func:`normalise_seed`).
    """
    require_str(person, "alternate_key(person=...)", "a person id (str)")
    return _key(f"{ALTERNATES_PROCEDURE}\n{normalise_seed(seed)}\n{person}")


def pps_start(seed: str, span: int) -> int:
    r"""The random start of systematic PPS (procedure ``civicsortition-pps/1``).

    :func:`uniform` with label ``civicsortition-pps/1`` and key ``start``: the first hash
    ``v = SHA-256("civicsortition-pps/1\nstart\n" + seed + "\n" + j)`` (``j = 0, 1, ...``)
    below ``2^256 - (2^256 mod span)`` gives ``v mod span``, uniform in ``[0, span)``.

    Parameters
    ----------
    seed : str
        Public seed text (normalised here, see :func:`normalise_seed`).
    span : int
        The number of equally likely starts: the total integer size of the clusters drawn
        systematically (see :func:`civicsortition.invitations.systematic_pps`).

    Returns
    -------
    int
        The start ``v`` in ``[0, span)``.

    Raises
    ------
    InputError
        ``bad-seed``; ``bad-span`` if ``span`` is not a positive integer.

    Examples
    --------
    >>> 0 <= pps_start("demo seed", 1000) < 1000
    True
    """
    if isinstance(span, bool) or not isinstance(span, int | np.integer) or span < 1:
        raise InputError.single("bad-span", "pps_start(span=...): span must be a positive "
                                "integer", column="span", value=repr(span))
    return uniform(PPS_PROCEDURE, "start", normalise_seed(seed), int(span))[0]
