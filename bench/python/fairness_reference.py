"""Reference values for bench/fairness.bench.ts, computed from the rows with numpy and statsmodels.

Reads JSON from stdin: {"cases": [{"group": [...], "label": [0/1...], "predicted": [0/1...]}...]}
and prints, per case and group (in order of first appearance): the four rates (selection rate, true
and false positive rates, accuracy) counted from the rows, their Wilson intervals (statsmodels
`proportion_confint`), and against the reference group (the highest selection rate; ties to the
larger group, then the name) the differences with Newcombe's interval and the ratios with the log
(Katz) interval (statsmodels `confint_proportions_2indep`, methods "newcomb" and "log"), and the
four-fifths rule.
"""

import json
import sys

import numpy as np
import statsmodels
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

RATES = ["selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"]


def rate_counts(label, predicted):
    return {
        "selection_rate": (int(predicted.sum()), len(predicted)),
        "true_positive_rate": (int(predicted[label == 1].sum()), int((label == 1).sum())),
        "false_positive_rate": (int(predicted[label == 0].sum()), int((label == 0).sum())),
        "accuracy": (int((predicted == label).sum()), len(predicted)),
    }


def case_reference(case):
    groups = np.array(case["group"])
    label = np.array(case["label"])
    predicted = np.array(case["predicted"])
    names = list(dict.fromkeys(case["group"]))
    counts = {g: rate_counts(label[groups == g], predicted[groups == g]) for g in names}
    selection = {g: counts[g]["selection_rate"][0] / counts[g]["selection_rate"][1] for g in names}
    reference = sorted(names, key=lambda g: (-selection[g], -counts[g]["accuracy"][1], g))[0]
    out = []
    for g in names:
        row = {"group": g, "rates": {}}
        for r in RATES:
            x, n = counts[g][r]
            xr, nr = counts[reference][r]
            entry = {"value": None, "ci": None, "difference": None, "difference_ci": None, "ratio": None, "ratio_ci": None}
            if n > 0:
                entry["value"] = x / n
                entry["ci"] = list(proportion_confint(x, n, alpha=0.05, method="wilson"))
                if nr > 0:
                    entry["difference"] = x / n - xr / nr
                    entry["difference_ci"] = list(
                        confint_proportions_2indep(x, n, xr, nr, method="newcomb", compare="diff", alpha=0.05)
                    )
                    if xr > 0:
                        entry["ratio"] = (x / n) / (xr / nr)
                    if x > 0 and xr > 0:
                        entry["ratio_ci"] = list(
                            confint_proportions_2indep(x, n, xr, nr, method="log", compare="ratio", alpha=0.05)
                        )
            row["rates"][r] = entry
        row["four_fifths"] = selection[reference] == 0 or selection[g] / selection[reference] >= 0.8
        out.append(row)
    return {"reference": reference, "groups": out}


def main():
    cases = json.load(sys.stdin)["cases"]
    print(
        json.dumps(
            {
                "versions": {"numpy": np.__version__, "statsmodels": statsmodels.__version__},
                "cases": [case_reference(c) for c in cases],
            }
        )
    )


if __name__ == "__main__":
    main()
