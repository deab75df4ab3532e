"""Reference oracles for the mean-field variational inference sheet (PRML section 10.1.3).

The model: x_1, ..., x_N drawn i.i.d. from N(mu, 1/tau), with the conjugate Normal-Gamma prior
p(mu | tau) = N(mu | mu0, 1/(lambda0 tau)) and p(tau) = Gam(tau | a0, b0) (shape a0, rate b0).
The factorised approximation q(mu, tau) = q(mu) q(tau) has q(mu) = N(mu | mu_N, 1/lambda_N)
(a mean and a *precision*) and q(tau) = Gam(tau | a_N, b_N) (a shape and a *rate*).

Sums over the data go through ``math.fsum`` of centred terms, so these answers are as exact as
double precision allows; students' textbook formulas (expanded sums of squares, plain floats)
agree with them within the spec's tolerances on the sheet's inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.special import digamma

__all__ = ["cavi", "elbo", "update_q_mu", "update_q_tau"]

LOG_2PI = math.log(2.0 * math.pi)
#: The sheet's stopping rule: b_N moved by at most this fraction of itself in one iteration.
TOL = 1e-12
MAX_ITER = 1000


def _data(x: Sequence[float]) -> list[float]:
    """The sample as plain floats; an empty one has no posterior to speak of."""
    values = [float(v) for v in x]
    if not values:
        raise ValueError("x must hold at least one data point")
    return values


def _positive(**values: float) -> None:
    """Precisions, shapes and rates must be > 0: a log or a digamma would give nan silently."""
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")


def _squares(x: list[float], centre: float) -> float:
    """sum_n (x_n - centre)^2, exactly rounded: the centred form avoids cancellation."""
    return math.fsum((v - centre) ** 2 for v in x)


def update_q_mu(
    x: Sequence[float], mu0: float, lambda0: float, a_N: float, b_N: float
) -> dict[str, float]:
    """q(mu) = N(mu | mu_N, 1/lambda_N) given q(tau) = Gam(a_N, b_N) (PRML 10.26-10.27).

    mu_N = (lambda0 mu0 + N mean(x)) / (lambda0 + N) does not depend on q(tau);
    lambda_N = (lambda0 + N) E[tau] with E[tau] = a_N / b_N.
    """
    data = _data(x)
    _positive(lambda0=lambda0, a_N=a_N, b_N=b_N)
    n = len(data)
    mu_n = (lambda0 * mu0 + math.fsum(data)) / (lambda0 + n)
    return {"mu_N": mu_n, "lambda_N": (lambda0 + n) * a_N / b_N}


def update_q_tau(
    x: Sequence[float],
    mu0: float,
    lambda0: float,
    a0: float,
    b0: float,
    mu_N: float,
    lambda_N: float,
) -> dict[str, float]:
    """q(tau) = Gam(tau | a_N, b_N) given q(mu) = N(mu_N, 1/lambda_N) (PRML 10.29-10.30).

    a_N = a0 + (N + 1) / 2: N/2 from the likelihood and 1/2 from p(mu | tau), whose precision
    lambda0 tau also scales with tau. b_N = b0 + 1/2 E_mu[sum_n (x_n - mu)^2 + lambda0 (mu -
    mu0)^2], where E[(c - mu)^2] = (c - mu_N)^2 + 1/lambda_N.
    """
    data = _data(x)
    _positive(lambda0=lambda0, a0=a0, b0=b0, lambda_N=lambda_N)
    n = len(data)
    var = 1.0 / lambda_N
    expected = _squares(data, mu_N) + n * var + lambda0 * ((mu_N - mu0) ** 2 + var)
    return {"a_N": a0 + (n + 1) / 2.0, "b_N": b0 + expected / 2.0}


def elbo(
    x: Sequence[float],
    mu0: float,
    lambda0: float,
    a0: float,
    b0: float,
    mu_N: float,
    lambda_N: float,
    a_N: float,
    b_N: float,
) -> float:
    """The evidence lower bound E_q[ln p(x, mu, tau)] - E_q[ln q(mu) + ln q(tau)], in nats.

    Every constant is kept (the 2 pi's, ln Gamma(a0), a0 ln b0), so it is the exact bound on ln
    p(x), not one up to an additive constant. With E[tau] = a_N / b_N, E[ln tau] = psi(a_N) -
    ln b_N and E[(c - mu)^2] = (c - mu_N)^2 + 1/lambda_N each of its five terms (the sheet's
    question 2c writes them out) is in closed form.
    """
    data = _data(x)
    _positive(lambda0=lambda0, a0=a0, b0=b0, lambda_N=lambda_N, a_N=a_N, b_N=b_N)
    n = len(data)
    e_tau, e_log_tau, var = a_N / b_N, float(digamma(a_N)) - math.log(b_N), 1.0 / lambda_N
    likelihood = n / 2.0 * (e_log_tau - LOG_2PI) - e_tau / 2.0 * (_squares(data, mu_N) + n * var)
    prior_mu = 0.5 * (math.log(lambda0) + e_log_tau - LOG_2PI)
    prior_mu -= lambda0 * e_tau / 2.0 * ((mu_N - mu0) ** 2 + var)
    prior_tau = a0 * math.log(b0) - math.lgamma(a0) + (a0 - 1.0) * e_log_tau - b0 * e_tau
    entropy_mu = 0.5 * (1.0 + LOG_2PI - math.log(lambda_N))
    entropy_tau = a_N - math.log(b_N) + math.lgamma(a_N) + (1.0 - a_N) * float(digamma(a_N))
    return likelihood + prior_mu + prior_tau + entropy_mu + entropy_tau


def cavi(
    x: Sequence[float], mu0: float, lambda0: float, a0: float, b0: float
) -> dict[str, float | list[float]]:
    """Coordinate ascent from q(tau) = p(tau) until b_N settles (the sheet's stopping rule).

    Each iteration updates q(mu), then q(tau), then records the ELBO. The loop stops after the
    first iteration that moves b_N by at most TOL * b_N, or after MAX_ITER iterations.
    """
    a_n, b_n = a0, b0
    trace: list[float] = []
    for _ in range(MAX_ITER):
        q_mu = update_q_mu(x, mu0, lambda0, a_n, b_n)
        q_tau = update_q_tau(x, mu0, lambda0, a0, b0, q_mu["mu_N"], q_mu["lambda_N"])
        moved = abs(q_tau["b_N"] - b_n)
        a_n, b_n = q_tau["a_N"], q_tau["b_N"]
        trace.append(elbo(x, mu0, lambda0, a0, b0, q_mu["mu_N"], q_mu["lambda_N"], a_n, b_n))
        if moved <= TOL * b_n:
            break
    return {**q_mu, "a_N": a_n, "b_N": b_n, "elbo": trace}
