r"""Dropout probabilities: each person's chance of leaving the assembly, from their values.

One model, :class:`DropoutModel`, the **logistic-additive** (main-effects) model

.. math:: \operatorname{logit} p_i = \beta_0 + \sum_{f} \beta_{f, v_f(i)},

where :math:`v_f(i)` is person ``i``'s value of category ``f``. Two ways to obtain it:

:func:`dropout_rates` -- given rates
    A mapping ``category -> value -> probability`` read as the *marginal* dropout rate of each
    group. With one category, :math:`p_i` is the rate of the person's value. With several, the
    rates are combined around an overall rate :math:`\bar p` (``overall=``; default the mean,
    over the categories, of the unweighted mean of their rates):
    :math:`\beta_0 = \operatorname{logit} \bar p`,
    :math:`\beta_{f,v} = \operatorname{logit} p_{f,v} - \operatorname{logit} \bar p`, so that
    a person whose every group has rate :math:`\bar p` gets :math:`\bar p` (the naive-Bayes
    combination; a product of per-category "survivals" would instead make every person with
    three 10% groups a 27% risk). No uncertainty is attached to given rates.

:func:`learn_dropout_rates` -- learned from past assemblies
    Rows are past members with their values and a 0/1 ``dropped`` flag. The coefficients are
    the *maximum a posteriori* estimate under independent Gaussian priors
    :math:`\beta_{f,v} \sim N(0, \sigma^2)` (``prior_sd`` :math:`\sigma`, default 1: a value
    multiplies the odds by at most about :math:`e^{\pm 2}` a priori) and a vague
    :math:`\beta_0 \sim N(0, 10^2)`, found by Newton's method on the penalised log-likelihood
    (ridge logistic regression). Why this estimator: a few past assemblies give a few hundred
    rows, so per-value raw rates are noisy (a value held by 8 past members, none of whom left,
    would get rate 0); the prior shrinks each value towards the overall rate in proportion to
    how little data it has, and the additive form lets categories share strength (no cross
    cell needs its own data). A value no past member held gets :math:`\beta = 0` with the prior
    variance. Uncertainty is the Laplace approximation: the inverse of the penalised Hessian
    is the posterior covariance :math:`\Sigma`; a person's logit has standard error
    :math:`\sqrt{x_i^\top \Sigma x_i}` and :meth:`DropoutModel.intervals` gives the
    corresponding interval of :math:`p_i`.

No solver is loaded here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ._checks import describe, require, type_error
from ._i18n import tr
from ._typing import FloatArray
from .errors import InputError, Problem
from .pool import Pool

__all__ = ["DropoutModel", "ValueRate", "dropout_rates", "learn_dropout_rates"]

#: Probabilities are kept within [PROB_FLOOR, 1 - PROB_FLOOR] before taking logits (a given
#: rate of exactly 0 would otherwise be an infinite logit).
PROB_FLOOR = 1e-9
#: The intercept's prior standard deviation (vague: it only keeps an all-0 history finite).
INTERCEPT_PRIOR_SD = 10.0
#: Newton's method stops when no coefficient moves by more than this (logit units).
NEWTON_TOL = 1e-10
NEWTON_MAX_STEPS = 100
#: Two-sided 95% normal quantile, for the default interval level.
_Z95 = 1.959963984540054

_TRUE = {"1", "yes", "true", "y", "t"}
_FALSE = {"0", "no", "false", "n", "f"}


def _logit(p: float) -> float:
    p = min(max(p, PROB_FLOOR), 1.0 - PROB_FLOOR)
    return math.log(p / (1.0 - p))


def _expit(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


@attrs.frozen
class ValueRate:
    r"""One value's line of a model's report (no personal data).

    Attributes
    ----------
    category, value : str
    effect : float
        :math:`\\beta_{f,v}` (logit units).
    std_error : float or None
        Its posterior standard deviation (None for given rates).
    n, dropped : int or None
        Past members holding the value, and how many of them dropped out (learned models).
    raw_rate : float or None
        ``dropped / n`` (learned models, ``n > 0``); the given rate otherwise.
    fitted_rate : float or None
        Mean fitted probability of the past members holding the value (learned models).
    """

    category: str
    value: str
    effect: float
    std_error: float | None = None
    n: int | None = None
    dropped: int | None = None
    raw_rate: float | None = None
    fitted_rate: float | None = None


@attrs.frozen(eq=False)
class DropoutModel:
    r"""Per-person dropout probabilities from values (see the module docstring).

    Attributes
    ----------
    intercept : float
        :math:`\\beta_0`.
    parameters : tuple of (str, str)
        The ``(category, value)`` of each effect, in the order of ``effects``.
    effects : tuple of float
        :math:`\\beta_{f,v}`.
    covariance : ndarray or None
        Posterior covariance of ``(intercept, *effects)``; None for given rates.
    method : str
        ``"given-rates"`` or ``"logistic-map"``.
    report : tuple of ValueRate
        One line per value.
    """

    intercept: float
    parameters: tuple[tuple[str, str], ...]
    effects: tuple[float, ...]
    covariance: FloatArray | None
    method: str
    report: tuple[ValueRate, ...] = ()
    prior_sd: float | None = None

    def _design(self, pool: Pool, *, strict: bool) -> FloatArray:
        """Rows ``(1, one-hot of the person's values among parameters)`` for the pool."""
        where = {p: j for j, p in enumerate(self.parameters)}
        cats = sorted({c for c, _ in self.parameters})
        X = np.zeros((pool.n, 1 + len(self.parameters)))
        X[:, 0] = 1.0
        problems: list[Problem] = []
        for cat in cats:
            try:
                c = pool.strata.index(cat)
            except (KeyError, ValueError, InputError):
                problems.append(Problem("unknown-category", tr(
                    "the dropout model names category {category}, which the pool does not "
                    "have", category=cat), column=cat))
                continue
            category = pool.strata.categories[c]
            for code, value in enumerate(category.values):
                j = where.get((cat, value))
                holders = pool.codes[:, c] == code
                if j is None:
                    if strict and holders.any():
                        problems.append(Problem("missing-rate", tr(
                            "no dropout rate is given for {category}={value}",
                            category=cat, value=value), column=cat, value=value))
                    continue
                X[holders, 1 + j] = 1.0
        if problems:
            raise InputError(problems)
        return X

    def probabilities(self, pool: Pool) -> FloatArray:
        """Each person's dropout probability, aligned with ``pool.ids``.

        Raises
        ------
        TypeError
            If ``pool`` is not a :class:`~civicsortition.pool.Pool`.
        InputError
            ``unknown-category`` if the model names a category the pool lacks;
            ``missing-rate`` (given rates only) if a value held by someone has no rate.
        """
        require(pool, Pool, "DropoutModel.probabilities(pool=...)", "a Pool")
        X = self._design(pool, strict=self.method == "given-rates")
        beta = np.array([self.intercept, *self.effects])
        return _expit(X @ beta)

    def intervals(self, pool: Pool, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
        """Approximate posterior intervals of each person's probability (Laplace, logit scale).

        For given rates (no covariance) both ends equal :meth:`probabilities`.

        Raises
        ------
        InputError
            ``bad-level`` unless ``0 < level < 1``; as :meth:`probabilities`.
        """
        if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
            raise InputError.single("bad-level", tr("DropoutModel.intervals(level=...): "
                                                    "expected a number between 0 and 1"),
                                    column="level", value=repr(level))
        p = self.probabilities(pool)
        if self.covariance is None:
            return p.copy(), p.copy()
        X = self._design(pool, strict=False)
        beta = np.array([self.intercept, *self.effects])
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, self.covariance, X))
        z = _Z95 if level == 0.95 else _normal_quantile(0.5 + level / 2)
        eta = X @ beta
        return _expit(eta - z * se), _expit(eta + z * se)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (aggregates per value only, no personal data)."""
        return {"method": self.method, "intercept": self.intercept,
                "prior_sd": self.prior_sd,
                "values": [attrs.asdict(r) for r in self.report]}


def _normal_quantile(q: float) -> float:
    """Inverse standard normal CDF by bisection on :func:`math.erf` (no SciPy here)."""
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _probability(x: object, where: str, category: str, value: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | np.floating | np.integer):
        raise type_error(where, "a probability (a number)", x)
    p = float(x)
    if not 0.0 <= p < 1.0 or math.isnan(p):
        raise InputError.single("bad-probability", tr(
            "{where}: the dropout rate of {category}={value} must be at least 0 and below 1 "
            "(got {p})", where=where, category=category, value=value, p=p),
            column=category, value=value)
    return p


def dropout_rates(rates: Mapping[str, Mapping[str, float]], *,
                  overall: float | None = None) -> DropoutModel:
    r"""A model from given per-value rates (``category -> value -> probability``).

    Parameters
    ----------
    rates : mapping
        Each category's values and their dropout probabilities, each in ``[0, 1)``.
    overall : float, optional
        The overall rate :math:`\\bar p` the categories are combined around (see the module
        docstring); default: the mean over categories of the mean of their rates.

    Returns
    -------
    DropoutModel

    Raises
    ------
    TypeError
        If ``rates`` is not a mapping of mappings, or a rate is not a number.
    InputError
        ``no-rates`` for an empty mapping, ``bad-probability`` for a rate outside ``[0, 1)``.

    Examples
    --------
    >>> model = dropout_rates({"age": {"18-29": 0.2, "30+": 0.05}})
    >>> round(model.effects[0] + model.intercept, 4) == round(math.log(0.2 / 0.8), 4)
    True
    """
    fn = "dropout_rates"
    if not isinstance(rates, Mapping):
        raise type_error(f"{fn}(rates=...)", "a mapping category -> value -> probability", rates)
    given: list[tuple[str, str, float]] = []
    for cat, values in rates.items():
        if not isinstance(cat, str) or not isinstance(values, Mapping):
            raise type_error(f"{fn}(rates=...)", "a mapping category -> value -> probability",
                             values)
        for value, p in values.items():
            if not isinstance(value, str):
                raise type_error(f"{fn}(rates[{cat!r}]=...)", "value names (str)", value)
            given.append((cat, value, _probability(p, f"{fn}(rates=...)", cat, value)))
    if not given:
        raise InputError.single("no-rates", tr("{fn}(rates=...): no dropout rate is given",
                                               fn=fn), column="rates")
    if overall is None:
        means = [float(np.mean([p for c, _, p in given if c == cat]))
                 for cat in dict.fromkeys(c for c, _, _ in given)]
        pbar = float(np.mean(means))
    else:
        pbar = _probability(overall, f"{fn}(overall=...)", "overall", "")
    base = _logit(pbar)
    if len({c for c, _, _ in given}) == 1:
        base = 0.0  # one category: the rates are used as they are
    effects = tuple(_logit(p) - base for _, _, p in given)
    report = tuple(ValueRate(c, v, e, raw_rate=p)
                   for (c, v, p), e in zip(given, effects, strict=True))
    return DropoutModel(base, tuple((c, v) for c, v, _ in given), effects, None,
                        "given-rates", report)


def _flag(x: object, row: int, column: str) -> float:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, int | np.integer) and int(x) in (0, 1):
        return float(x)
    text = str(x).strip().casefold() if isinstance(x, str) else None
    if text in _TRUE:
        return 1.0
    if text in _FALSE:
        return 0.0
    raise InputError.single("bad-dropout-flag", tr(
        "row {row}: the {column} flag must be 0 or 1 (or yes/no), got {value}",
        row=row, column=column, value=describe(x)), column=column, row=row)


def learn_dropout_rates(records: Iterable[Mapping[str, object]], categories: Sequence[str], *,
                        dropped: str = "dropped", prior_sd: float = 1.0) -> DropoutModel:
    r"""Learn a logistic-additive model from past assemblies' members (see the module docstring).

    Parameters
    ----------
    records : iterable of mapping
        One mapping per past member: the value of each category in ``categories`` and the
        flag ``dropped`` (0/1, True/False or yes/no).
    categories : sequence of str
        The categories used as predictors (each a key of every record).
    dropped : str
        The flag's key.
    prior_sd : float
        Standard deviation :math:`\\sigma` of the Gaussian prior on each value's effect.

    Returns
    -------
    DropoutModel
        ``method="logistic-map"``, with the posterior covariance and one
        :class:`ValueRate` per value seen.

    Raises
    ------
    TypeError
        If ``categories`` is a single string or holds a non-string.
    InputError
        ``no-records`` (no rows), ``no-categories``, ``missing-column`` (a record lacks a
        category or the flag), ``bad-dropout-flag``, ``bad-prior`` (``prior_sd`` not
        positive).

    Examples
    --------
    >>> rows = [{"age": "young", "dropped": 1}, {"age": "young", "dropped": 0},
    ...         {"age": "old", "dropped": 0}, {"age": "old", "dropped": 0}]
    >>> m = learn_dropout_rates(rows, ["age"])
    >>> [r.value for r in m.report]
    ['old', 'young']
    """
    fn = "learn_dropout_rates"
    if isinstance(categories, str) or not isinstance(categories, Sequence):
        raise type_error(f"{fn}(categories=...)", "a sequence of category names", categories)
    cats = [str(c) for c in categories if isinstance(c, str) or not _raise_type(fn, c)]
    if not cats:
        raise InputError.single("no-categories", tr("{fn}(categories=...): no category is "
                                                    "given", fn=fn), column="categories")
    if isinstance(prior_sd, bool) or not isinstance(prior_sd, int | float) or not prior_sd > 0:
        raise InputError.single("bad-prior", tr("{fn}(prior_sd=...): expected a positive "
                                                "number", fn=fn),
                                column="prior_sd", value=repr(prior_sd))
    rows = list(records)
    if not rows:
        raise InputError.single("no-records", tr("{fn}(records=...): no past member is given",
                                                 fn=fn), column="records")
    values: list[list[str]] = []
    flags: list[float] = []
    for r, rec in enumerate(rows, start=1):
        missing = [c for c in [*cats, dropped] if c not in rec]
        if missing:
            raise InputError([Problem("missing-column", tr(
                "row {row}: no value for {column}", row=r, column=c), column=c, row=r)
                for c in missing])
        values.append([str(rec[c]).strip() for c in cats])
        flags.append(_flag(rec[dropped], r, dropped))
    params = sorted({(c, v[j]) for v in values for j, c in enumerate(cats)})
    where = {p: j for j, p in enumerate(params)}
    X = np.zeros((len(rows), 1 + len(params)))
    X[:, 0] = 1.0
    for i, v in enumerate(values):
        for j, c in enumerate(cats):
            X[i, 1 + where[(c, v[j])]] = 1.0
    y = np.array(flags)
    precision = np.full(1 + len(params), 1.0 / float(prior_sd) ** 2)
    precision[0] = 1.0 / INTERCEPT_PRIOR_SD ** 2
    beta = np.zeros(1 + len(params))
    beta[0] = _logit(float(y.mean()))
    hessian = np.eye(len(beta))
    for _ in range(NEWTON_MAX_STEPS):
        mu = _expit(X @ beta)
        grad = X.T @ (y - mu) - precision * beta
        hessian = (X * (mu * (1 - mu))[:, None]).T @ X + np.diag(precision)
        step = np.linalg.solve(hessian, grad)
        beta = beta + step
        if float(np.abs(step).max()) < NEWTON_TOL:
            break
    mu = _expit(X @ beta)
    hessian = (X * (mu * (1 - mu))[:, None]).T @ X + np.diag(precision)
    cov = np.linalg.inv(hessian)
    report = []
    for j, (c, val) in enumerate(params):
        holders = X[:, 1 + j] > 0
        n = int(holders.sum())
        d = int(y[holders].sum())
        report.append(ValueRate(c, val, float(beta[1 + j]), float(math.sqrt(cov[1 + j, 1 + j])),
                                n, d, d / n if n else None,
                                float(mu[holders].mean()) if n else None))
    return DropoutModel(float(beta[0]), tuple(params), tuple(float(b) for b in beta[1:]), cov,
                        "logistic-map", tuple(report), float(prior_sd))


def _raise_type(fn: str, c: object) -> bool:
    raise type_error(f"{fn}(categories=...)", "category names (str)", c)
