"""Scoring methods as Ibis expressions over an indicator matrix (long: one row per hospital x indicator).

Input columns (see :func:`hospeval.evaluate.matrix.indicator_matrix`): ``hospital_id, peer_group,
indicator_id, direction, weight_share, scale, shrink, target_op, target_value, numerator, denominator, value``.

Steps, each a function adding columns:

* :func:`shrink_rates` - AHRQ-style reliability weighting of rate indicators towards the peer rate;
* :func:`normalise` - direction-aware: ``goodness`` is the value (higher), minus the value (lower) or minus
  the distance from the peer median (monitor); ``normalised`` is its min-max position in the peer group
  (1 = best, missing = 0); ``position`` is the percentile position (mid-rank based, 1 = best, missing = 0);
  ``rsr_rank`` is the average rank 1..n (n = best, missing = 1);
* one function per method returning per-indicator ``points`` and per-hospital ``score``.

Examples
--------
>>> import ibis
>>> m = ibis.memtable({"hospital_id": ["a", "b"], "peer_group": ["g", "g"], "indicator_id": ["x", "x"],
...                    "direction": ["higher", "higher"], "weight_share": [1.0, 1.0], "scale": [1.0, 1.0],
...                    "shrink": [False, False], "target_op": [None, None], "target_value": [None, None],
...                    "numerator": [1.0, 3.0], "denominator": [None, None], "value": [1.0, 3.0]})
>>> s = scores(m, "weighted").order_by("hospital_id").to_pandas()
>>> s.score.tolist()
[0.0, 100.0]
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

CELL = ["peer_group", "indicator_id"]
_NEG_INF = -1e300
SCORE_DIGITS = 9  # scores are compared for ranking at this many decimals


def shrink_rates(m: ir.Table) -> ir.Table:
    """Replace ``value`` of ``shrink`` rows by the reliability-weighted (empirical Bayes) rate.

    AHRQ QI style, per peer group and indicator, for hospital h with O_h events among n_h cases:
    reference rate p = sum O / sum n; with an expected count E_h (sum of per-case risks, column
    ``expected``) the risk-adjusted rate is RAR_h = (O_h / E_h) p and its variance
    SE_h^2 = (p / e_h)^2 e_h (1 - e_h) / n_h with e_h = E_h / n_h; without one, E_h = n_h p, so RAR_h is the
    observed rate and SE_h^2 = p (1 - p) / n_h. Signal variance s^2 = max(var(RAR) - mean(SE^2), 0);
    reliability w_h = s^2 / (s^2 + SE_h^2); smoothed = w_h RAR_h + (1 - w_h) p. Adds ``raw_value`` and
    ``reliability``.
    """
    rate_ok = m.shrink & m.denominator.notnull() & (m.denominator > 0) & m.numerator.notnull()
    m = m.mutate(raw_value=m.value, _ok=rate_ok)
    stats = m.filter(m._ok).group_by(CELL).aggregate(_p=m.numerator.sum() / m.denominator.sum())
    m = m.left_join(stats, CELL).drop("peer_group_right", "indicator_id_right")
    has_e = m._ok & m.expected.notnull() & (m.expected > 0) & (m.expected < m.denominator)
    e_rate = m.expected / m.denominator
    rar = ibis.ifelse(has_e, m.numerator / m.expected * m._p, m.numerator / m.denominator)
    se2 = ibis.ifelse(has_e, (m._p / e_rate) ** 2 * e_rate * (1 - e_rate) / m.denominator,
                      m._p * (1 - m._p) / m.denominator)
    m = m.mutate(_rate=ibis.ifelse(m._ok, rar, ibis.null("float64")),
                 _se2=ibis.ifelse(m._ok, se2, ibis.null("float64")))
    var = m.filter(m._ok).group_by(CELL).aggregate(_var=m._rate.var(how="pop"), _mse2=m._se2.mean())
    m = m.left_join(var, CELL).drop("peer_group_right", "indicator_id_right")
    signal = ibis.greatest(m._var - m._mse2, 0.0)
    reliability = ibis.ifelse(signal + m._se2 > 0, signal / (signal + m._se2), 1.0)
    m = m.mutate(reliability=ibis.ifelse(m._ok, reliability, ibis.null("float64")))
    smoothed = (m.reliability * m._rate + (1 - m.reliability) * m._p) * m.scale
    m = m.mutate(value=ibis.ifelse(m._ok, smoothed, m.value))
    return m.drop("_ok", "_rate", "_p", "_var", "_se2", "_mse2")


def normalise(m: ir.Table) -> ir.Table:
    """Add ``goodness``, ``normalised`` (min-max, 1 = best), ``position`` and ``rsr_rank`` (see module doc)."""
    med = m.filter(m.value.notnull()).group_by(CELL).aggregate(_median=m.value.median())
    m = m.left_join(med, CELL).drop("peer_group_right", "indicator_id_right")
    goodness = ibis.cases((m.direction == "lower", -m.value), (m.direction == "monitor", -(m.value - m._median).abs()),
                          else_=m.value)
    m = m.mutate(goodness=goodness.cast("float64"))
    stats = m.group_by(CELL).aggregate(_gmin=m.goodness.min(), _gmax=m.goodness.max(),
                                       _n=m.goodness.count(), _total=m.count())
    m = m.left_join(stats, CELL).drop("peer_group_right", "indicator_id_right")
    spread = m._gmax - m._gmin
    m = m.mutate(normalised=ibis.ifelse(m.goodness.isnull(), 0.0,
                                        ibis.ifelse(spread > 0, (m.goodness - m._gmin) / spread, 1.0)))
    ordered = m.goodness.fill_null(_NEG_INF)
    win = ibis.window(group_by=CELL, order_by=ordered)
    ties = ibis.window(group_by=[*CELL, ordered])
    m = m.mutate(_rank0=ibis.rank().over(win), _ties=m.count().over(ties))  # Ibis rank() starts at 0
    nulls = m._total - m._n
    rank_non_null = m._rank0 - nulls  # 0-based among hospitals with a value
    mid_rank = rank_non_null + (m._ties - 1) / 2.0  # ties share their mid-rank
    position = ibis.ifelse(m._n > 1, mid_rank / (m._n - 1), 1.0)
    m = m.mutate(position=ibis.ifelse(m.goodness.isnull(), 0.0, position.cast("float64")),
                 rsr_rank=ibis.ifelse(m.goodness.isnull(), 1.0, (m._rank0 + (m._ties + 1) / 2.0).cast("float64")))
    return m.drop("_median", "_gmin", "_gmax", "_n", "_rank0", "_ties")


def _target_met(m: ir.Table) -> ir.BooleanValue:
    tv = m.target_value.cast("float64")
    return ibis.cases((m.target_op == ">=", m.value >= tv), (m.target_op == "<=", m.value <= tv),
                      (m.target_op == ">", m.value > tv), (m.target_op == "<", m.value < tv),
                      else_=False).fill_null(False)


def national_points(m: ir.Table, total_points: float = 1000.0) -> ir.Table:
    """National-exam-style points: each indicator's share of ``total_points`` times its score in [0, 1].

    The score is 1 when a numeric policy target is met, else the direction-aware percentile position in
    the peer group (best = 1, worst = 0, single hospital = 1); a missing value scores 0.
    """
    score = ibis.ifelse(_target_met(m) & m.value.notnull(), 1.0, m.position)
    max_points = m.weight_share * total_points
    return m.mutate(indicator_score=score, max_points=max_points, points=score * max_points)


def weighted_points(m: ir.Table) -> ir.Table:
    """Weighted min-max composite: points = 100 x weight share x normalised value."""
    return m.mutate(max_points=100 * m.weight_share, points=100 * m.weight_share * m.normalised)


def entropy_weights(m: ir.Table) -> ir.Table:
    """Entropy weight of each indicator in each peer group: (peer_group, indicator_id, entropy_weight).

    p_ij = y_ij / sum_i y_ij over the normalised values y; e_j = -sum_i p_ij ln p_ij / ln n (0 ln 0 = 0);
    d_j = 1 - e_j; w_j = d_j / sum_j d_j (equal weights when every d_j is 0 or n = 1).
    """
    col_sum = m.group_by(CELL).aggregate(_ysum=m.normalised.sum(), _n=m.count())
    t = m.left_join(col_sum, CELL).drop("peer_group_right", "indicator_id_right")
    p = ibis.ifelse(t._ysum > 0, t.normalised / t._ysum, 0.0)
    t = t.mutate(_plogp=ibis.ifelse(p > 0, p * p.ln(), 0.0))
    ent = t.group_by([*CELL, "_n"]).aggregate(_s=t._plogp.sum())
    ent = ent.mutate(_d=ibis.ifelse(ent._n > 1, 1 + ent._s / ent._n.cast("float64").ln(), 0.0))
    tot = ent.group_by("peer_group").aggregate(_dsum=ent._d.sum(), _k=ent.count())
    ent = ent.left_join(tot, "peer_group").drop("peer_group_right")
    w = ibis.ifelse(ent._dsum > 1e-12, ent._d / ent._dsum, 1.0 / ent._k)
    return ent.select(*CELL, entropy_weight=w.cast("float64"))


def entropy_points(m: ir.Table) -> ir.Table:
    """Entropy-weighted composite: points = 100 x entropy weight x normalised value."""
    w = entropy_weights(m)
    m = m.left_join(w, CELL).drop("peer_group_right", "indicator_id_right")
    return m.mutate(max_points=100 * m.entropy_weight, points=100 * m.entropy_weight * m.normalised)


def rsr_points(m: ir.Table) -> ir.Table:
    """Weighted rank-sum ratio: points = 100 x weight share x rank / n (rank n = best, ties averaged)."""
    n = m.count().over(ibis.window(group_by=CELL))
    return m.mutate(max_points=100 * m.weight_share, points=100 * m.weight_share * m.rsr_rank / n)


def topsis_scores(m: ir.Table) -> ir.Table:
    """TOPSIS closeness per hospital: (hospital_id, peer_group, score = 100 x C, closeness C in [0, 1]).

    On the direction-aware normalised matrix y (all criteria benefit-type): r = y / sqrt(sum_i y^2),
    v = weight share x r; ideal best / worst = max / min of v in the peer group; C = D- / (D+ + D-),
    C = 1 when a hospital is at the ideal (D+ = 0).
    """
    norm = m.group_by(CELL).aggregate(_ss=(m.normalised * m.normalised).sum())
    t = m.left_join(norm, CELL).drop("peer_group_right", "indicator_id_right")
    t = t.mutate(_v=ibis.ifelse(t._ss > 0, t.weight_share * t.normalised / t._ss.sqrt(), 0.0))
    ext = t.group_by(CELL).aggregate(_best=t._v.max(), _worst=t._v.min())
    t = t.left_join(ext, CELL).drop("peer_group_right", "indicator_id_right")
    d = t.group_by(["hospital_id", "peer_group"]).aggregate(
        _dplus=((t._v - t._best) ** 2).sum().sqrt(), _dminus=((t._v - t._worst) ** 2).sum().sqrt())
    c = ibis.ifelse(d._dplus <= 1e-15, 1.0, d._dminus / (d._dplus + d._dminus))
    return d.select("hospital_id", "peer_group", score=100 * c, closeness=c)


def method_points(m: ir.Table, method: str, total_points: float = 1000.0) -> ir.Table:
    """Per-indicator points of one method (TOPSIS has no additive points: ``points`` is NULL)."""
    if method == "national":
        return national_points(m, total_points)
    if method == "weighted":
        return weighted_points(m)
    if method == "entropy":
        return entropy_points(m)
    if method == "rsr":
        return rsr_points(m)
    if method == "topsis":
        return m.mutate(max_points=ibis.null("float64"), points=ibis.null("float64"))
    raise ValueError(f"unknown method {method}")


def scores(m: ir.Table, method: str, total_points: float = 1000.0) -> ir.Table:
    """Per-hospital composite ``score`` of one method, from a normalised matrix (normalises if needed)."""
    if "normalised" not in m.columns:
        m = normalise(m)
    if method == "topsis":
        return topsis_scores(m).select("hospital_id", "peer_group", "score")
    pts = method_points(m, method, total_points)
    return pts.group_by(["hospital_id", "peer_group"]).aggregate(score=pts.points.sum().cast("float64"))


def rank_key(score: ir.NumericValue) -> ir.NumericValue:
    """The score as compared for ranking: rounded to 9 decimals (see :func:`rank_and_grade`)."""
    return score.round(SCORE_DIGITS)


def rank_and_grade(s: ir.Table, bands: list[tuple[str, float]], by: tuple[str, ...] = ()) -> ir.Table:
    """Add ``rank`` (1 = best in peer group), ``percentile`` (100 = best, 0 = worst) and ``grade``.

    ``by`` names further columns that split the ranking (e.g. ``("method",)`` for several methods' scores).
    """
    # Ranked on the score rounded to 1e-9: a sum of the same points taken in another order (another engine,
    # another plan) differs in the last bits, and equal scores must tie on every engine.
    keys = [*by, "peer_group"]
    win = ibis.window(group_by=keys, order_by=ibis.desc(rank_key(s.score)))
    n = s.count().over(ibis.window(group_by=keys))
    s = s.mutate(rank=(ibis.rank().over(win) + 1).cast("int64"), _n=n)  # Ibis rank() starts at 0
    pct = ibis.ifelse(s._n > 1, 100.0 * (s._n - s["rank"]) / (s._n - 1), 100.0)
    s = s.mutate(percentile=pct.cast("float64")).drop("_n")
    cases = [(s.percentile >= cut, grade) for grade, cut in sorted(bands, key=lambda b: -b[1])]
    return s.mutate(grade=ibis.cases(*cases, else_=bands[-1][0]))
