"""The example submissions of the mean-field VI sheet (examples/mean_field_vi/), as bodies.

``tools/make_examples.py`` writes them: each is the student copy of
``assignments/mean_field_vi`` with these function bodies (dedented) in place of the solution
regions and its own import cell. Three are correct in different styles; three carry one seeded
bug each. The seeded ones are Bob's plain-floats solution with one function changed: Bob's loop
works on sums it computes once and never calls his other functions, so each bug shows in its own
question only (a loop that calls a wrong update is rightly wrong too).
"""

from __future__ import annotations

# Alice: correct, numpy vectorised; the spread through np.var; her loop calls her functions.
ALICE_IMPORTS = "import numpy as np\nfrom scipy.special import digamma, gammaln"
ALICE = {
    "update_q_mu": """
        n = len(x)
        mu_N = (lambda0 * mu0 + n * np.mean(x)) / (lambda0 + n)
        return {"mu_N": mu_N, "lambda_N": (lambda0 + n) * a_N / b_N}
    """,
    "update_q_tau": """
        n = len(x)
        # sum_n (x_n - mu_N)^2 = N var(x) + N (mean(x) - mu_N)^2
        spread = n * np.var(x) + n * (np.mean(x) - mu_N) ** 2
        b_N = b0 + 0.5 * (spread + (n + lambda0) / lambda_N + lambda0 * (mu_N - mu0) ** 2)
        return {"a_N": a0 + 0.5 * (n + 1), "b_N": b_N}
    """,
    "elbo": """
        n = len(x)
        e_tau = a_N / b_N
        e_log_tau = digamma(a_N) - np.log(b_N)
        e_sq = np.sum((x - mu_N) ** 2 + 1 / lambda_N)
        terms = np.array([
            0.5 * n * (e_log_tau - np.log(2 * np.pi)) - 0.5 * e_tau * e_sq,
            0.5 * (np.log(lambda0) + e_log_tau - np.log(2 * np.pi))
            - 0.5 * lambda0 * e_tau * ((mu_N - mu0) ** 2 + 1 / lambda_N),
            a0 * np.log(b0) - gammaln(a0) + (a0 - 1) * e_log_tau - b0 * e_tau,
            0.5 * (1 + np.log(2 * np.pi / lambda_N)),
            a_N - np.log(b_N) + gammaln(a_N) + (1 - a_N) * digamma(a_N),
        ])
        return terms.sum()
    """,
    "cavi": """
        q_tau = {"a_N": a0, "b_N": b0}
        trace = []
        while len(trace) < 1000:
            q_mu = update_q_mu(x, mu0, lambda0, **q_tau)
            new = update_q_tau(x, mu0, lambda0, a0, b0, **q_mu)
            trace.append(elbo(x, mu0, lambda0, a0, b0, **q_mu, **new))
            done = abs(new["b_N"] - q_tau["b_N"]) <= 1e-12 * new["b_N"]
            q_tau = new
            if done:
                break
        return {**q_mu, **q_tau, "elbo": np.array(trace)}
    """,
}

# Bob: correct, plain Python floats and loops, the textbook's expanded sums of squares.
BOB_IMPORTS = "import math\nfrom scipy.special import digamma"
BOB = {
    "update_q_mu": """
        n = 0
        total = 0.0
        for value in x:
            n += 1
            total += float(value)
        mu_N = (lambda0 * mu0 + total) / (lambda0 + n)
        lambda_N = (lambda0 + n) * (a_N / b_N)
        return {"mu_N": mu_N, "lambda_N": lambda_N}
    """,
    "update_q_tau": """
        n = len(x)
        sum_x = 0.0
        sum_x2 = 0.0
        for value in x:
            sum_x += float(value)
            sum_x2 += float(value) * float(value)
        e_mu2 = mu_N * mu_N + 1.0 / lambda_N
        e_data = sum_x2 - 2.0 * mu_N * sum_x + n * e_mu2
        e_prior = lambda0 * (e_mu2 - 2.0 * mu_N * mu0 + mu0 * mu0)
        return {"a_N": a0 + (n + 1) / 2.0, "b_N": b0 + 0.5 * (e_data + e_prior)}
    """,
    "elbo": """
        n = len(x)
        sum_x = sum(float(v) for v in x)
        sum_x2 = sum(float(v) * float(v) for v in x)
        e_tau = a_N / b_N
        psi = float(digamma(a_N))
        e_log_tau = psi - math.log(b_N)
        e_mu2 = mu_N * mu_N + 1.0 / lambda_N
        e_data = sum_x2 - 2.0 * mu_N * sum_x + n * e_mu2
        e_prior = e_mu2 - 2.0 * mu_N * mu0 + mu0 * mu0
        log_2pi = math.log(2.0 * math.pi)
        value = 0.5 * n * (e_log_tau - log_2pi) - 0.5 * e_tau * e_data
        value += 0.5 * (math.log(lambda0) + e_log_tau - log_2pi) - 0.5 * lambda0 * e_tau * e_prior
        value += a0 * math.log(b0) - math.lgamma(a0) + (a0 - 1.0) * e_log_tau - b0 * e_tau
        value += 0.5 * (1.0 + log_2pi) - 0.5 * math.log(lambda_N)
        value += a_N - math.log(b_N) + math.lgamma(a_N) + (1.0 - a_N) * psi
        return value
    """,
    "cavi": """
        # the sums once; mu_N and a_N do not change between iterations
        n = len(x)
        sum_x = 0.0
        sum_x2 = 0.0
        for value in x:
            sum_x += float(value)
            sum_x2 += float(value) * float(value)
        log_2pi = math.log(2.0 * math.pi)
        mu_N = (lambda0 * mu0 + sum_x) / (lambda0 + n)
        a_N = a0 + (n + 1) / 2.0
        psi = float(digamma(a_N))
        b_N = b0
        e_tau = a0 / b0
        trace = []
        for iteration in range(1000):
            lambda_N = (lambda0 + n) * e_tau
            e_mu2 = mu_N * mu_N + 1.0 / lambda_N
            e_data = sum_x2 - 2.0 * mu_N * sum_x + n * e_mu2
            e_prior = e_mu2 - 2.0 * mu_N * mu0 + mu0 * mu0
            b_old = b_N
            b_N = b0 + 0.5 * (e_data + lambda0 * e_prior)
            e_tau = a_N / b_N
            e_log_tau = psi - math.log(b_N)
            value = 0.5 * (n + 1) * (e_log_tau - log_2pi) + 0.5 * math.log(lambda0)
            value -= 0.5 * e_tau * (e_data + lambda0 * e_prior)
            value += a0 * math.log(b0) - math.lgamma(a0) + (a0 - 1.0) * e_log_tau - b0 * e_tau
            value += 0.5 * (1.0 + log_2pi - math.log(lambda_N))
            value += a_N - math.log(b_N) + math.lgamma(a_N) + (1.0 - a_N) * psi
            trace.append(value)
            if abs(b_N - b_old) <= 1e-12 * b_N:
                break
        return {"mu_N": mu_N, "lambda_N": lambda_N, "a_N": a_N, "b_N": b_N, "elbo": trace}
    """,
}

# Carol: correct, another formulation: natural parameters, scipy.stats entropies, and a loop on
# E[tau] alone (b_N = c + 1 / (2 E[tau]) with c fixed).
CAROL_IMPORTS = "import numpy as np\nfrom scipy import special, stats"
CAROL = {
    "update_q_mu": """
        # q(mu) is proportional to exp(eta1 mu - eta2 mu^2 / 2): precision eta2, mean eta1 / eta2
        e_tau = a_N / b_N
        eta2 = e_tau * (lambda0 + len(x))
        eta1 = e_tau * (lambda0 * mu0 + np.sum(x))
        return {"mu_N": eta1 / eta2, "lambda_N": eta2}
    """,
    "update_q_tau": """
        # the prior term as one more squared residual, weighted by sqrt(lambda0)
        residuals = np.append(x - mu_N, np.sqrt(lambda0) * (mu_N - mu0))
        n = len(x)
        expected = np.dot(residuals, residuals) + (n + lambda0) / lambda_N
        return {"a_N": a0 + (n + 1) / 2, "b_N": b0 + expected / 2}
    """,
    "elbo": """
        n = len(x)
        q_tau = stats.gamma(a_N, scale=1 / b_N)
        q_mu = stats.norm(mu_N, 1 / np.sqrt(lambda_N))
        e_tau = q_tau.mean()
        e_log_tau = special.digamma(a_N) - np.log(b_N)
        half_log_2pi = 0.5 * np.log(2 * np.pi)
        # E[ln N(c | mu, 1/(k tau))] = (ln k + E[ln tau] - ln 2 pi - k E[tau] E[(c - mu)^2]) / 2
        log_lik = n * (0.5 * e_log_tau - half_log_2pi)
        log_lik -= 0.5 * e_tau * (np.sum((x - mu_N) ** 2) + n / lambda_N)
        log_prior_mu = 0.5 * (np.log(lambda0) + e_log_tau) - half_log_2pi
        log_prior_mu -= 0.5 * lambda0 * e_tau * ((mu_N - mu0) ** 2 + 1 / lambda_N)
        log_prior_tau = a0 * np.log(b0) - special.gammaln(a0) + (a0 - 1) * e_log_tau - b0 * e_tau
        return log_lik + log_prior_mu + log_prior_tau + q_mu.entropy() + q_tau.entropy()
    """,
    "cavi": """
        x = np.asarray(x, dtype=float)
        n = x.size
        a_N = a0 + (n + 1) / 2
        mu_N = (lambda0 * mu0 + x.sum()) / (lambda0 + n)
        # b_N = c + (n + lambda0) / (2 lambda_N) = c + 1 / (2 E[tau]): only E[tau] moves
        c = b0 + 0.5 * (np.sum((x - mu_N) ** 2) + lambda0 * (mu_N - mu0) ** 2)
        e_tau, b_N, trace = a0 / b0, b0, []
        for _ in range(1000):
            lambda_N = (lambda0 + n) * e_tau
            b_old, b_N = b_N, c + 0.5 / e_tau
            e_tau = a_N / b_N
            trace.append(elbo(x, mu0, lambda0, a0, b0, mu_N, lambda_N, a_N, b_N))
            if abs(b_N - b_old) <= 1e-12 * b_N:
                break
        return {"mu_N": mu_N, "lambda_N": lambda_N, "a_N": a_N, "b_N": b_N, "elbo": trace}
    """,
}

# Dave: Bob's solution, but 2a returns the variance of q(mu) where the precision is asked for.
DAVE = {
    **BOB,
    "update_q_mu": """
        n = len(x)
        mu_N = (lambda0 * mu0 + sum(float(v) for v in x)) / (lambda0 + n)
        # the spread of q(mu): 1 / ((lambda0 + N) E[tau])
        lambda_N = b_N / ((lambda0 + n) * a_N)
        return {"mu_N": mu_N, "lambda_N": lambda_N}
    """,
}


def _changed(body: str, old: str, new: str) -> str:
    """A correct body with one slip: fails loudly if the correct one no longer has ``old``."""
    if old not in body:
        raise ValueError(f"{old!r} is not in the body to change")
    return body.replace(old, new)


# Erin: Bob's solution, but 2b's shape counts only the data: a_N = a0 + N/2.
ERIN = {**BOB, "update_q_tau": _changed(BOB["update_q_tau"], "(n + 1) / 2.0", "n / 2.0")}

# Frank: Bob's solution, but 2c leaves out the two entropy terms.
_ENTROPY_MU = "        value += 0.5 * (1.0 + log_2pi) - 0.5 * math.log(lambda_N)\n"
_ENTROPY_TAU = "        value += a_N - math.log(b_N) + math.lgamma(a_N) + (1.0 - a_N) * psi\n"
FRANK = {**BOB, "elbo": _changed(_changed(BOB["elbo"], _ENTROPY_MU, ""), _ENTROPY_TAU, "")}

NOTEBOOKS = {
    "alice_numpy.ipynb": (ALICE, ALICE_IMPORTS),
    "bob_plain_floats.ipynb": (BOB, BOB_IMPORTS),
    "carol_scipy.ipynb": (CAROL, CAROL_IMPORTS),
    "dave_variance_for_precision.ipynb": (DAVE, BOB_IMPORTS),
    "erin_shape_without_prior.ipynb": (ERIN, BOB_IMPORTS),
    "frank_elbo_without_entropy.ipynb": (FRANK, BOB_IMPORTS),
}
