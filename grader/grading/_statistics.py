"""Sampled answers judged in standard errors (``location_se``, ``spread_se``), per input and
pooled over a check's inputs.

One ``rtol`` for the spread of 300 samples must be loose enough for a correct sampler's noise
(about 25%), so a sampler whose second moment is 17% off passed. Here each statistic is judged
by a two-sample z-score: the difference between the student's and the reference's statistic
over the standard error of that difference, estimated from both samples, which shrinks as
``samples`` grows. The mean's standard error is sqrt((s_ref² + s_stu²) / n); the variance's is
sqrt((m4_ref - v_ref² + m4_stu - v_stu²) / n), m4 the fourth central moment. A bias too small to
see on one input (1.35 standard errors for +17% variance over 300 samples) is seen when the
inputs' z-scores are pooled: their sum over sqrt(K) is again about N(0, 1) for a correct sampler
(the inputs' seeds are independent), and grows as sqrt(K) for a sampler biased the same way on
every input. Each z-score is tested two-sided against the same limit z: a correct sampler fails
one test with probability about 2(1 - Phi(z)) (z = 5: 5.7e-7), and a check at most the sum over
its tests (inputs + 1 per number and statistic). The seeds are fixed per check, input and
sample, so every regrade gives the same verdict.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from grader.assignment._answers import moments
from grader.assignment._spec import Check
from grader.grading._compare import mismatch
from grader.grading._verdict import NO_ANSWER, sampled
from grader.kernel import _protocol
from grader.results._model import Mismatch

#: The statistic a Mismatch names, the spec key that judges it, and the words for it.
_STATISTICS = (("mean", "location_se", "mean"), ("std", "spread_se", "variance"))

Verdict = tuple[_protocol.Outcome, Mismatch | None]


def judge_samples(
    check: Check, groups: list[list[_protocol.Outcome]], expected: Any
) -> list[Verdict]:
    """Each input's verdict on its samples; with ``location_se``/``spread_se`` an input that
    passes alone still fails when the inputs' pooled z-score is past the limit."""
    if check.location_se is None and check.spread_se is None:
        return [sampled(check, group, e) for group, e in zip(groups, expected)]
    verdicts: list[Verdict] = []
    scores: list[Scores] = []
    for group, reference in zip(groups, expected):
        verdict, score = _one_input(check, group, reference)
        verdicts.append(verdict)
        scores.append(score)
    return _pooled(check, verdicts, scores)


#: An input's z-scores per statistic and its answers' moments; None when it failed alone.
Scores = tuple[dict[str, list[float]], dict[str, Any]] | None


def _one_input(
    check: Check, group: list[_protocol.Outcome], reference: dict[str, Any]
) -> tuple[Verdict, Scores]:
    """One input's verdict, and its z-scores per statistic (None when it failed alone)."""
    for outcome in group:
        if outcome.kind != "value":
            return (outcome, NO_ANSWER), None
        if outcome.value is None:
            return (outcome, Mismatch("returned_none")), None
    try:
        got = moments([o.value for o in group], fourth=True)
    except (ValueError, TypeError):
        return (group[0], Mismatch("mixed_samples")), None
    score: dict[str, list[float]] = {}
    for stat, key, _ in _STATISTICS:
        limit = getattr(check, key)
        tolerance = (check.rtol, check.atol) if limit is None else (math.inf, math.inf)
        found = mismatch(reference[stat], got[stat], check.returns, *tolerance)
        shown = _protocol.Outcome("value", value=got[stat])
        if found is not None:
            extra = {"rtol": check.rtol, "atol": check.atol} if limit is None else {}
            if found.code != "wrong_value" or limit is None:
                return (shown, replace(found, statistic=stat, **extra)), None
        if limit is None:
            continue
        score[stat] = _z_scores(check, stat, reference, got)
        worst = max(score[stat], key=abs)
        if abs(worst) > limit:
            return (shown, _beyond(stat, worst, limit)), None
    return (group[0], None), (score, got)


def _pooled(check: Check, verdicts: list[Verdict], scores: list[Scores]) -> list[Verdict]:
    """Every input that passed alone fails when the pooled z-score is past the limit: the bias
    is the sampler's, seen only over all the inputs together."""
    for stat, key, _ in _STATISTICS:
        limit = getattr(check, key)
        lists = [s[0][stat] for s in scores if s is not None]
        if limit is None or len(lists) < 2:
            continue
        pooled = [_sum_over_root(lists, j) for j in range(max(len(z) for z in lists))]
        worst = max(pooled, key=abs)
        if abs(worst) > limit:
            why = _beyond(stat, worst, limit, inputs=len(lists))
            return [
                (_protocol.Outcome("value", value=s[1][stat]), why) if s is not None else v
                for v, s in zip(verdicts, scores)
            ]
    return verdicts


def _sum_over_root(lists: list[list[float]], j: int) -> float:
    """The pooled z-score of position ``j``, over the inputs whose answer has that position."""
    values = [z[j] for z in lists if j < len(z)]
    return math.fsum(values) / math.sqrt(len(values))


def _z_scores(
    check: Check, stat: str, reference: dict[str, Any], got: dict[str, Any]
) -> list[float]:
    """Per number, the signed distance in standard errors of the student's statistic from the
    reference's; within ``rtol``/``atol`` (a number that does not vary) it is 0."""
    n = check.samples
    columns = [_as_list(reference[k]) for k in ("mean", "std", "m4")]
    mine = [_as_list(got[k]) for k in ("mean", "std", "m4")]
    found = []
    for (mean_r, std_r, m4_r), (mean_s, std_s, m4_s) in zip(zip(*columns), zip(*mine)):
        if stat == "mean":
            floor = check.atol + check.rtol * abs(mean_r)
            diff = mean_s - mean_r
            excess = max(abs(diff) - floor, 0.0)
            error = math.sqrt((std_r**2 + std_s**2) / n)
        else:
            outside = abs(std_s - std_r) > check.atol + check.rtol * std_r
            diff = std_s**2 - std_r**2
            excess = abs(diff) if outside else 0.0
            spread = max(m4_r - std_r**4, 0.0) + max(m4_s - std_s**4, 0.0)
            error = math.sqrt(spread / n)
        found.append(_ratio(math.copysign(excess, diff), error))
    return found


def _as_list(value: Any) -> list[float]:
    return [float(x) for x in value] if isinstance(value, list) else [float(value)]


def _ratio(excess: float, error: float) -> float:
    if excess == 0 or math.isnan(excess):
        return 0.0 if excess == 0 else math.inf
    if error > 0 and math.isfinite(error):
        return excess / error
    return math.copysign(math.inf, excess)


def _beyond(stat: str, z: float, limit: float, inputs: int = 0) -> Mismatch:
    """The sentence's tail after "the mean of its answers is X, ": how far, which way."""
    words = dict((s, w) for s, _, w in _STATISTICS)[stat]
    way = "above" if z > 0 else "below"
    size = "infinitely many" if math.isinf(z) else f"{abs(z):.1f}"
    where = f" (pooled over all {inputs} inputs)" if inputs else ""
    message = (
        f"its {words} is {size} standard errors {way} the reference's{where}; "
        f"at most {limit:g} are allowed"
    )
    return Mismatch("wrong_value", statistic=stat, message=message)
