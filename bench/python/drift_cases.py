"""Reference values for services/common/domain/drift, computed with numpy and scipy.

Regenerate (from the repository root):
    .cache/bench-venv/bin/python bench/python/drift_cases.py
It rewrites services/common/domain/drift/scipy-cases.json, which the drift unit tests read.

Samples are rounded to 6 decimals before anything is computed, so the TypeScript side parses
exactly the doubles scipy saw. PSI and the two binned summaries (KS and W1 bounds) have no scipy
counterpart; they are computed here with numpy from their definitions, independently of the
TypeScript code. Where scipy has the statistic (JS, chi-square, KS, W1, the Kolmogorov and
chi-square tails, BH), scipy's value is the one recorded.
"""

import json
from pathlib import Path

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

OUT = Path(__file__).resolve().parents[2] / "services/common/domain/drift/scipy-cases.json"
rng = np.random.default_rng(20240611)


def r6(x):
    return np.round(np.asarray(x, dtype=float), 6)


def psi(ref, cur, eps=1e-4):
    p = np.maximum(ref / ref.sum(), eps)
    q = np.maximum(cur / cur.sum(), eps)
    return float(np.sum((q - p) * np.log(q / p)))


def chi_square(ref, cur):
    ref, cur = np.asarray(ref, float), np.asarray(cur, float)
    keep = (ref + cur) > 0
    if keep.sum() < 2:
        return {"statistic": 0.0, "dof": 0, "pValue": 1.0}
    res = stats.chi2_contingency([ref[keep], cur[keep]], correction=False)
    return {"statistic": float(res.statistic), "dof": int(res.dof), "pValue": float(res.pvalue)}


def ks_p(d, n, m):
    x = np.sqrt(n * m / (n + m)) * d
    p = float(stats.kstwobign.sf(x))
    assert abs(p - special.kolmogorov(x)) <= 1e-15 + 1e-12 * p
    return p


def binned(sample, edges):
    # Bin i holds [edges[i-1], edges[i]): the number of edges <= x.
    idx = np.searchsorted(edges, sample, side="right")
    k = len(edges) + 1
    return {
        "counts": np.bincount(idx, minlength=k).astype(int).tolist(),
        "sums": np.bincount(idx, weights=sample, minlength=k).tolist(),
        "min": float(sample.min()),
        "max": float(sample.max()),
    }


def sample_case(name, a, b, n_edges=9):
    a, b = r6(a), r6(b)
    edges = np.unique(r6(np.quantile(a, np.linspace(0, 1, n_edges + 2)[1:-1])))
    ref, cur = binned(a, edges), binned(b, edges)
    rc, cc = np.array(ref["counts"], float), np.array(cur["counts"], float)
    rp, cp = rc / rc.sum(), cc / cc.sum()

    d = float(stats.ks_2samp(a, b).statistic)
    gaps = np.abs(np.cumsum(rc) / rc.sum() - np.cumsum(cc) / cc.sum())
    ks_bins = {"statistic": float(gaps.max()), "errorBound": float(np.maximum(rp, cp).max())}
    assert ks_bins["statistic"] - 1e-12 <= d <= ks_bins["statistic"] + ks_bins["errorBound"] + 1e-12

    w = float(stats.wasserstein_distance(a, b))
    rm, cm = rc > 0, cc > 0
    w_bins = float(stats.wasserstein_distance(
        np.array(ref["sums"])[rm] / rc[rm], np.array(cur["sums"])[cm] / cc[cm], rc[rm], cc[cm]))
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    widths = np.maximum(0, np.diff(np.concatenate([[lo], edges, [hi]])))
    w_bound = float(np.sum(widths * (rp + cp)))
    assert abs(w - w_bins) <= w_bound + 1e-12

    std = float(np.std(a))
    return {
        "name": name,
        "a": a.tolist(),
        "b": b.tolist(),
        "ks": {"statistic": d, "pValue": ks_p(d, len(a), len(b))},
        "wasserstein": {"distance": w, "referenceStd": std, "normalised": w / std},
        "binned": {
            "edges": edges.tolist(),
            "reference": ref,
            "current": cur,
            "psi": psi(rc, cc),
            "jensenShannon": float(distance.jensenshannon(rc, cc, base=2)),
            "chiSquare": chi_square(rc, cc),
            "ksFromBins": ks_bins,
            "wassersteinFromBins": {"distance": w_bins, "errorBound": w_bound},
        },
    }


def categorical_case(name, ref, cur):
    ref, cur = np.asarray(ref, float), np.asarray(cur, float)
    return {
        "name": name,
        "reference": ref.astype(int).tolist(),
        "current": cur.astype(int).tolist(),
        "psi": psi(ref, cur),
        "jensenShannon": float(distance.jensenshannon(ref, cur, base=2)),
        "chiSquare": chi_square(ref, cur),
    }


def bh_numpy(p):
    # Reference BH written out in numpy for inputs with NaN, which scipy refuses.
    p = np.asarray(p, float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = len(q)
    order = np.argsort(q, kind="stable")
    raw = q[order] * m / np.arange(1, m + 1)
    adj = np.minimum(1, np.minimum.accumulate(raw[::-1])[::-1])
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


def fdr_case(name, p):
    p = np.asarray(p, float)
    if np.isnan(p).any():
        q = bh_numpy(p)
    else:
        q = stats.false_discovery_control(p, method="bh")
        assert np.allclose(q, bh_numpy(p), rtol=1e-14, atol=0)
    nul = lambda v: [None if np.isnan(x) else float(x) for x in v]  # noqa: E731 (JSON has no NaN)
    return {"name": name, "p": nul(p), "q": nul(q)}


samples = [
    sample_case("normal vs shifted normal", rng.normal(0, 1, 300), rng.normal(0.3, 1.1, 250)),
    sample_case("same normal", rng.normal(5, 2, 300), rng.normal(5, 2, 300)),
    sample_case("lognormal vs wider lognormal", rng.lognormal(0, 0.5, 300), rng.lognormal(0.1, 0.8, 280)),
    sample_case("poisson with ties", rng.poisson(3, 250), rng.poisson(3.6, 200), n_edges=6),
    sample_case("small 5 vs 8", rng.normal(0, 1, 5), rng.normal(1, 1, 8), n_edges=3),
    sample_case("small 12 vs 30", rng.exponential(1, 12), rng.exponential(1.5, 30), n_edges=4),
    sample_case("current beyond the reference range", rng.uniform(0, 1, 200), rng.uniform(0.8, 2, 150)),
    sample_case("strong shift (tiny p)", rng.normal(0, 1, 300), rng.normal(0.75, 1, 300)),
]

categorical = [
    categorical_case("five categories", [120, 80, 50, 30, 20], [100, 90, 60, 25, 40]),
    categorical_case("zeros in both rows", [40, 0, 25, 0, 35], [30, 0, 45, 0, 25]),
    categorical_case("category empty in current", [50, 30, 20, 5], [60, 40, 25, 0]),
    categorical_case("new category in current", [70, 30, 0], [50, 30, 20]),
    categorical_case("identical proportions", [10, 20, 30], [20, 40, 60]),
    categorical_case("single category left", [0, 12, 0], [0, 7, 0]),
    categorical_case("large shift", [900, 50, 50], [300, 400, 300]),
    categorical_case("random multinomial", rng.multinomial(400, [0.3, 0.25, 0.2, 0.15, 0.1]),
                     rng.multinomial(350, [0.28, 0.22, 0.25, 0.1, 0.15])),
]

chi_tail = []
for dof in [1, 2, 3, 4, 5, 7, 10, 29, 100, 1000]:
    xs = [dof * f for f in (0.01, 0.1, 0.5, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0)]
    xs += [stats.chi2.isf(p, dof) for p in (1e-3, 1e-6, 1e-9, 1e-12)]
    for x in r6(xs):
        chi_tail.append({"x": float(x), "dof": dof, "p": float(stats.chi2.sf(x, dof))})

kolmogorov = []
for n, m in [(5, 8), (30, 30), (200, 250), (1000, 1500), (100000, 100000)]:
    scale = np.sqrt(n * m / (n + m))
    xs = [0.02, 0.1, 0.25, 0.4, 0.5, 0.6, 0.8, 0.82, 0.9, 0.99, 1.0, 1.01, 1.2, 1.5, 2.0, 2.5, 3.0, 3.5, 3.77, 4.5]
    for x in xs:
        d = float(r6(x / scale))
        if 0 < d <= 1:
            kolmogorov.append({"statistic": d, "n": n, "m": m, "p": ks_p(d, n, m)})

near_one = 1 - rng.uniform(0, 0.02, 6)
fdr = [
    fdr_case("uniform", rng.uniform(0, 1, 40)),
    fdr_case("mixed signal", np.concatenate([rng.uniform(0, 1e-3, 8), rng.uniform(0, 1, 20)])),
    fdr_case("near one", near_one),
    fdr_case("near 1e-12", np.concatenate([[1e-12, 3e-12, 2.5e-13, 7e-11], rng.uniform(0.2, 1, 6)])),
    fdr_case("ties", [0.01, 0.04, 0.04, 0.04, 0.2, 0.01, 1.0]),
    fdr_case("with NaN", [0.02, np.nan, 0.001, 0.5, np.nan, 0.03]),
]

doc = {
    "generator": "bench/python/drift_cases.py",
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "samples": samples,
    "categorical": categorical,
    "chiSquareSurvival": chi_tail,
    "kolmogorov": kolmogorov,
    "fdr": fdr,
}
OUT.write_text(json.dumps(doc, allow_nan=False, separators=(",", ":")) + "\n")
print(f"wrote {OUT.name}: {OUT.stat().st_size / 1024:.1f} KB")
