"""Gaussian-process classification with a prior mean (Laplace approximation), in numpy.

The learned model of :mod:`icp_engine.learning` is a GP classifier whose latent function is the
static score's logit plus a correction::

    f(x) = m(x) + g(x),   m(x) = logit of the static P(keep),   g ~ GP(0, k)
    P(keep | f) = sigmoid(f)

so with no labels (or labels that carry no information) the model *is* the static score, and
every label moves the posterior only as far as the kernel ``k`` says it should. The kernel
(:class:`KernelSpec`) is a sum of

* ``bias**2`` - a constant (the client's keep rate differs from the scorer's),
* ``slope**2 * m(x) m(x')`` - the static logit's scale (the scorer is too sure / not sure enough),
* ``evidence**2 * <z, z'> / d`` - linear in the standardised per-criterion evidence ``z``,
* ``similarity**2 * exp((cos(e, e') - 1) / length**2)`` - similar profiles (cosine of the frozen
  unit-norm embeddings ``e``) get similar corrections,
* ``linear**2 * cos(e, e')`` - a direction in embedding space (what a logistic head on the
  embeddings learns),
* ``words**2 * <h, h'>`` - shared words of the profile texts (``h``: L2-normalised bag of words),
  so one kept "Water Commissioner" lifts "Health Commissioner" even where the embedding
  averages the word away,
* ``title**2 * exp((cos(t, t') - 1) / title_length**2)`` - similar *titles* (cosine of the
  title backbone's vectors ``t``: semantic, so "AP Clerk" is near "Accounts Payable Specialist"),
* ``same_title**2 * [title key = title key']`` - followers with the same title (a creator's
  followers repeat titles) share a correction.

Fitting follows Rasmussen & Williams, *Gaussian Processes for Machine Learning* (MIT Press 2006),
Algorithm 3.1 (Newton's method for the posterior mode) and Algorithm 3.2 (predictions), with a
per-label weight on the log-likelihood (labels under an earlier ICP version count less) and a
prior mean. Predictive probabilities use the probit approximation of the logistic-Gaussian
integral, ``sigmoid(mu / sqrt(1 + pi * var / 8))`` (R&W eq. 3.25 with MacKay's approximation).
BALD (Houlsby et al. 2011, "Bayesian Active Learning for Classification and Preference
Learning", eq. 9) is computed from the same predictive mean and variance.

Cost: ``O(n^3)`` per Newton step for ``n`` labels (a Cholesky factorisation), ``O(n^2 m)`` to
predict ``m`` leads with variances; ~0.1 s per step at ``n = 2000`` on 2 cores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["KernelSpec", "LaplaceGP", "sigmoid", "logit", "bald", "binary_entropy"]

_JITTER = 1e-6
#: Probit approximation constants (Houlsby et al. 2011, eq. 9): C = sqrt(pi * ln 2 / 2).
_BALD_C = math.sqrt(math.pi * math.log(2.0) / 2.0)


def _f64(x: np.ndarray) -> np.ndarray:
    """``x`` as float64 (no copy when it already is)."""
    return np.asarray(x, dtype=np.float64)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Elementwise logistic function, numerically safe (float64 array in, same shape out)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def logit(p: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped to ``[eps, 1 - eps]`` (so 0 and 1 stay finite)."""
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    return np.log(p) - np.log1p(-p)


def binary_entropy(p: np.ndarray) -> np.ndarray:
    """Entropy in bits of a Bernoulli(p), elementwise; 0 at p in {0, 1}."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


def bald(mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """BALD score (mutual information between a label and the latent function, bits).

    ``mu``, ``var``: predictive mean and variance of the latent logit (same shape). The logistic
    link is approximated by a probit with matching slope at 0 (``sigmoid(f) ~ Phi(f * sqrt(pi/8))``),
    then Houlsby et al. (2011) eq. 9: ``h(Phi(m / sqrt(v + 1))) - C / sqrt(v + C^2) * exp(-m^2 /
    (2 (v + C^2)))`` with ``m``, ``v`` the probit-scale mean and variance. Returns values >= 0.
    """
    s = math.sqrt(math.pi / 8.0)
    m = np.asarray(mu, dtype=np.float64) * s
    v = np.maximum(np.asarray(var, dtype=np.float64), 0.0) * s * s
    from scipy.special import ndtr

    h = binary_entropy(ndtr(m / np.sqrt(v + 1.0)))
    c2 = _BALD_C ** 2
    expected = _BALD_C / np.sqrt(v + c2) * np.exp(-m * m / (2.0 * (v + c2)))
    return np.maximum(h - expected, 0.0)


@dataclass(frozen=True)
class KernelSpec:
    """Prior standard deviations (logit units) of the correction's kernel terms.

    ``bias``: constant shift; ``slope``: extra multiple of the static logit; ``evidence``: linear
    in the per-criterion evidence; ``similarity`` / ``length``: amplitude and length scale of the
    embedding-similarity term ``exp((cos - 1) / length**2)`` (``length`` in cosine units: 0.5
    means a pair at cosine 0.75 shares ``exp(-1)`` of its correction); ``linear``: linear term
    on the embeddings; ``words``: bag-of-words overlap; ``title`` / ``title_length``: like
    ``similarity`` / ``length`` on the title vectors (the scorer's bge-small title backbone, so a
    keep on "Accounts Payable Specialist" lifts "AP Clerk", which shares no word); ``same_title``:
    leads with the same normalised title share this part of their correction. All >= 0; 0 switches
    a term off. Defaults: chosen on the *tuning* follower pages of ``benchmarks/bench_learning.py
    --composition topical --group 2 --pages tune`` (a grid over these values; the report pages
    were never used): the title terms lift the mean AUC after 200 labels from 0.917 to 0.941 there,
    and the whole-profile ``similarity`` term adds nothing once they are on.
    """

    bias: float = 1.0
    slope: float = 0.3
    evidence: float = 0.5
    similarity: float = 0.0
    length: float = 0.6
    linear: float = 1.0
    words: float = 2.0
    title: float = 4.0
    title_length: float = 0.4
    same_title: float = 2.0

    def scaled(self, factor: float) -> KernelSpec:
        """The same kernel with every correction amplitude except ``bias`` and ``slope`` times
        ``factor`` (length scales unchanged): one knob for "how far labels may move a lead"."""
        from dataclasses import replace

        f = float(factor)
        return replace(self, evidence=self.evidence * f, similarity=self.similarity * f, linear=self.linear * f,
                       words=self.words * f, title=self.title * f, same_title=self.same_title * f)

    def gram(self, a: _Inputs, b: _Inputs) -> np.ndarray:
        """Kernel matrix between two input sets, shape ``(len(a), len(b))``, float64."""
        K = np.full((a.n, b.n), self.bias ** 2, dtype=np.float64)
        if self.slope:
            K += self.slope ** 2 * np.outer(a.prior, b.prior)
        if self.evidence and a.z.shape[1]:
            K += (self.evidence ** 2 / a.z.shape[1]) * (a.z @ b.z.T)
        if self.similarity or self.linear:
            # float64 before the product: a float32 GEMM's rounding depends on the batch shape
            # (BLAS blocking), which would make a lead's score depend on what else is scored.
            cos = _f64(a.e) @ _f64(b.e).T
            if self.similarity:
                K += self.similarity ** 2 * np.exp((np.clip(cos, -1.0, 1.0) - 1.0) / self.length ** 2)
            if self.linear:
                K += self.linear ** 2 * cos
        if self.words and a.w is not None and b.w is not None:
            K += self.words ** 2 * np.asarray((a.w @ b.w.T).todense() if hasattr(a.w, "todense") else a.w @ b.w.T,
                                              dtype=np.float64)
        if self.title and a.t is not None and b.t is not None:
            tcos = np.clip(_f64(a.t) @ _f64(b.t).T, -1.0, 1.0)
            has = np.outer(np.any(a.t != 0, axis=1), np.any(b.t != 0, axis=1))
            K += self.title ** 2 * np.where(has, np.exp((tcos - 1.0) / self.title_length ** 2), 0.0)
        if self.same_title and a.tid is not None and b.tid is not None:
            K += self.same_title ** 2 * ((a.tid[:, None] == b.tid[None, :]) & (a.tid[:, None] >= 0))
        return K

    def diag(self, a: _Inputs) -> np.ndarray:
        """``k(x, x)`` for each input, shape ``(len(a),)``."""
        d = np.full(a.n, self.bias ** 2, dtype=np.float64)
        if self.slope:
            d += self.slope ** 2 * a.prior ** 2
        if self.evidence and a.z.shape[1]:
            d += (self.evidence ** 2 / a.z.shape[1]) * np.einsum("ij,ij->i", a.z, a.z)
        if self.similarity or self.linear:
            sq = np.einsum("ij,ij->i", a.e.astype(np.float64), a.e.astype(np.float64))
            if self.similarity:
                d += self.similarity ** 2 * np.exp((np.clip(sq, 0.0, 1.0) - 1.0) / self.length ** 2)
            if self.linear:
                d += self.linear ** 2 * sq
        if self.words and a.w is not None:
            w = a.w
            d += self.words ** 2 * np.asarray(w.multiply(w).sum(axis=1)).ravel() if hasattr(w, "multiply") \
                else self.words ** 2 * np.einsum("ij,ij->i", w, w)
        if self.title and a.t is not None:
            d += self.title ** 2 * np.any(a.t != 0, axis=1)
        if self.same_title and a.tid is not None:
            d += self.same_title ** 2 * (a.tid >= 0)
        return d


@dataclass
class _Inputs:
    """Model inputs of ``n`` leads: ``prior`` (n,) static logit, ``z`` (n, d) evidence, ``e`` (n, k)
    unit embeddings, ``w`` (n, h) optional unit-norm word vectors (dense or scipy sparse)."""

    prior: np.ndarray
    z: np.ndarray
    e: np.ndarray
    w: Any = None
    t: np.ndarray | None = None
    tid: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.prior.shape[0])

    def take(self, idx: np.ndarray) -> _Inputs:
        return _Inputs(self.prior[idx], self.z[idx], self.e[idx], None if self.w is None else self.w[idx],
                       None if self.t is None else self.t[idx], None if self.tid is None else self.tid[idx])


class LaplaceGP:
    """GP classifier with prior mean ``m`` (the static logit), weighted labels, Laplace posterior.

    ``fit(inputs, y, w)``: ``y`` (n,) in [0, 1] (1 = keep; fractions allowed), ``w`` (n,) > 0
    label weights. ``predict(inputs)`` -> ``(mu, var)`` latent mean and variance (logit units);
    ``proba(inputs)`` -> P(keep) in (0, 1). ``log_marginal`` is the Laplace approximation of the
    log evidence after ``fit``. Deterministic (no randomness). Raises ``np.linalg.LinAlgError``
    only if the kernel is numerically broken (it is positive semi-definite by construction and
    jittered).
    """

    def __init__(self, kernel: KernelSpec, max_iter: int = 30, tol: float = 1e-6):
        self.kernel = kernel
        self.max_iter = max_iter
        self.tol = tol
        self.iterations = 0
        self.log_marginal = float("nan")

    def fit(self, X: _Inputs, y: np.ndarray, w: np.ndarray | None = None,
            f0: np.ndarray | None = None) -> LaplaceGP:
        """Posterior mode by damped Newton steps (R&W Algorithm 3.1 with weights and prior mean).

        ``f0``: optional starting latent values (warm start, e.g. from a fit on a superset).
        """
        y = np.asarray(y, dtype=np.float64)
        n = y.shape[0]
        w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
        m = X.prior.astype(np.float64)
        K = self.kernel.gram(X, X)
        K[np.diag_indices_from(K)] += _JITTER
        f = m.copy() if f0 is None else np.asarray(f0, dtype=np.float64).copy()

        def objective(f: np.ndarray, a: np.ndarray) -> float:
            # sum w log p(y|f) - 1/2 a'(f - m), log p = y f - log(1 + e^f)
            ll = float(np.sum(w * (y * f - np.logaddexp(0.0, f))))
            return ll - 0.5 * float(a @ (f - m))

        # a = K^-1 (f - m); with a warm start solve for it once
        if f0 is None:
            a = np.zeros(n)
        else:
            a = np.linalg.solve(K, f - m)
        psi = objective(f, a)
        L = None
        sW = None
        for it in range(self.max_iter):
            pi = sigmoid(f)
            W = w * pi * (1.0 - pi)
            sW = np.sqrt(W)
            B = np.eye(n) + sW[:, None] * K * sW[None, :]
            L = np.linalg.cholesky(B)
            grad = w * (y - pi)
            b = W * (f - m) + grad
            from scipy.linalg import cho_solve  # here, not at import: 0.18 s a CLI run without labels skips

            c = cho_solve((L, True), sW * (K @ b))
            a_new = b - sW * c
            # damped step: halve until the objective does not decrease
            step = 1.0
            da = a_new - a
            for _ in range(12):
                a_try = a + step * da
                f_try = m + K @ a_try
                psi_try = objective(f_try, a_try)
                if psi_try >= psi - 1e-12:
                    break
                step *= 0.5
            a, f = a_try, f_try
            done = abs(psi_try - psi) < self.tol * max(1.0, abs(psi))
            psi = psi_try
            self.iterations = it + 1
            if done:
                break
        # final curvature at the mode
        pi = sigmoid(f)
        W = w * pi * (1.0 - pi)
        sW = np.sqrt(W)
        B = np.eye(n) + sW[:, None] * K * sW[None, :]
        L = np.linalg.cholesky(B)
        self._X = X
        self._f = f
        self._grad = w * (y - pi)
        self._sW = sW
        self._L = L
        self.log_marginal = psi - float(np.sum(np.log(np.diag(L))))
        return self

    @property
    def latent(self) -> np.ndarray:
        """Posterior mode of the latent logit at the training labels, shape (n,)."""
        return self._f

    def predict(self, X: _Inputs, with_var: bool = True, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        """Latent predictive mean and variance for ``X`` (R&W Algorithm 3.2), each shape (len(X),).

        ``with_var=False`` skips the variance (returns zeros), ``O(n m)`` instead of ``O(n^2 m)``.
        """
        mu = np.empty(X.n)
        var = np.zeros(X.n)
        for s in range(0, X.n, chunk):
            part = X.take(np.arange(s, min(X.n, s + chunk)))
            Ks = self.kernel.gram(self._X, part)  # (n, m)
            mu[s:s + part.n] = part.prior + Ks.T @ self._grad
            if with_var:
                from scipy.linalg import solve_triangular

                v = solve_triangular(self._L, self._sW[:, None] * Ks, lower=True, check_finite=False)
                var[s:s + part.n] = np.maximum(self.kernel.diag(part) - np.einsum("ij,ij->j", v, v), 1e-12)
        return mu, var

    @staticmethod
    def moderated(mu: np.ndarray, var: np.ndarray) -> np.ndarray:
        """P(keep) from the latent mean/variance: ``sigmoid(mu / sqrt(1 + pi var / 8))``."""
        return sigmoid(np.asarray(mu) / np.sqrt(1.0 + math.pi * np.asarray(var) / 8.0))

    def proba(self, X: _Inputs) -> np.ndarray:
        """Predictive P(keep) for ``X``, shape (len(X),), values in (0, 1)."""
        mu, var = self.predict(X)
        return self.moderated(mu, var)
