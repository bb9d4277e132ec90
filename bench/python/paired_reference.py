"""Reference values for bench/paired.bench.ts, computed with statsmodels and scipy.

Reads JSON from stdin: {"classification": [{"bothRight", "onlyA", "onlyB", "bothWrong", "agreeing",
"pairs"}...], "regression": [{"absA": [...], "absB": [...]}...]} and prints, per case:
- classification: McNemar exact and chi-square with continuity correction (statsmodels
  `mcnemar`), Newcombe's paired interval (method 10 of Newcombe 1998, written here from the paper
  over statsmodels' Wilson limits; statsmodels has no paired-difference interval), the Wald paired
  interval, and the agreement's Wilson interval (statsmodels `proportion_confint`);
- regression: scipy's `ttest_rel(absB, absA)` and statsmodels' `DescrStatsW(absB - absA).tconfint_mean()`.
"""

import json
import math
import sys

import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

ALPHA = 0.05


def newcombe(both, only_b, only_a, neither):
    # Difference p1 - p2 with p1 = accuracy of B, p2 = accuracy of A.
    n = both + only_b + only_a + neither
    x1, x2 = both + only_b, both + only_a
    p1, p2 = x1 / n, x2 / n
    l1, u1 = proportion_confint(x1, n, alpha=ALPHA, method="wilson")
    l2, u2 = proportion_confint(x2, n, alpha=ALPHA, method="wilson")
    denominator = x1 * (n - x1) * x2 * (n - x2)
    cross = both * neither - only_b * only_a
    if denominator == 0:
        phi = 0.0
    elif cross > n / 2:
        phi = (cross - n / 2) / math.sqrt(denominator)
    elif cross >= 0:
        phi = 0.0
    else:
        phi = cross / math.sqrt(denominator)
    d = p1 - p2
    low = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = d + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return max(-1.0, low), min(1.0, high)


def classification(case):
    both, only_a, only_b, neither = case["bothRight"], case["onlyA"], case["onlyB"], case["bothWrong"]
    # Rows: A right / wrong; columns: B right / wrong.
    table = [[both, only_a], [only_b, neither]]
    n = both + only_a + only_b + neither
    z = stats.norm.ppf(1 - ALPHA / 2)
    wald_d = (only_b - only_a) / n
    wald_half = z * math.sqrt(max(0.0, only_a + only_b - (only_b - only_a) ** 2 / n)) / n
    agree_low, agree_high = proportion_confint(case["agreeing"], case["pairs"], alpha=ALPHA, method="wilson")
    chi = mcnemar(table, exact=False, correction=True) if only_a + only_b > 0 else None
    return {
        "exactP": float(mcnemar(table, exact=True).pvalue),
        "chiStatistic": None if chi is None else float(chi.statistic),
        "chiP": None if chi is None else float(chi.pvalue),
        "newcombe": list(newcombe(both, only_b, only_a, neither)),
        "wald": [wald_d - wald_half, wald_d + wald_half],
        "agreement": [float(agree_low), float(agree_high)],
    }


def regression(case):
    a, b = np.array(case["absA"]), np.array(case["absB"])
    test = stats.ttest_rel(b, a)
    low, high = DescrStatsW(b - a).tconfint_mean(alpha=ALPHA)
    return {"mean": float(np.mean(b - a)), "t": float(test.statistic), "p": float(test.pvalue), "interval": [float(low), float(high)]}


def main():
    cases = json.load(sys.stdin)
    json.dump(
        {
            "versions": {"statsmodels": statsmodels.__version__, "scipy": scipy.__version__},
            "classification": [classification(c) for c in cases["classification"]],
            "regression": [regression(c) for c in cases["regression"]],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
