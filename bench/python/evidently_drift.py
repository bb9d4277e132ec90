"""Peer side of Hindsight's drift benchmark: Evidently 0.7 and plain scipy on the same data.

Our TypeScript benchmark writes reference.csv and current.csv (same header; numeric columns
num_00..num_13, categorical columns cat_00..cat_05, empty field = missing) and then runs:

    .cache/bench-venv/bin/python bench/python/evidently_drift.py \
        --reference reference.csv --current current.csv \
        --numeric num_00,...,num_13 --categorical cat_00,...,cat_05

It prints exactly one JSON object on stdout: load time, Evidently's DataDriftPreset result per
column (method, score, threshold, drifted) with its run time, and a scipy baseline
(KS + normed Wasserstein for numeric, chi-square + Jensen-Shannon for categorical) with its
run time. Everything else goes to stderr.
"""

import argparse
import contextlib
import json
import math
import os
import re
import sys
import time

import evidently
import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.legacy.calculations.stattests.registry import _registered_stat_tests
from evidently.presets import DataDriftPreset
from scipy import stats
from scipy.spatial.distance import jensenshannon


def fail(message):
    print(f"evidently_drift: {message}", file=sys.stderr)
    sys.exit(2)


def num(x):
    # JSON has no NaN/Infinity; a degenerate column becomes null rather than invalid output.
    x = float(x)
    return x if math.isfinite(x) else None


def load(path, numeric, categorical):
    if not os.path.isfile(path):
        fail(f"file not found: {path}")
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in numeric + categorical if c not in header]
    if missing:
        fail(f"{path}: missing column(s): {', '.join(missing)}")
    dtypes = {**{c: "float64" for c in numeric}, **{c: "string" for c in categorical}}
    # Only an empty field means missing: pandas' default NA list would also turn
    # category values such as "NA", "None" or "null" into missing.
    return pd.read_csv(path, usecols=numeric + categorical, dtype=dtypes,
                       keep_default_na=False, na_values=[""])


def run_evidently(reference, current, numeric, categorical):
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    # include_tests=True: the per-column method, threshold and verdict are only reported
    # through the ValueDrift tests; without it the snapshot carries the score alone.
    report = Report([DataDriftPreset()], include_tests=True)
    # run() also renders the preset's widgets (recomputing each column's drift); a user of the
    # preset pays for that too, so it stays inside the timed region.
    snapshot = report.run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    result = snapshot.dict()

    # The preset picks each method at run time, so the metric params say method=None;
    # the chosen test appears only by display name in the test description.
    ids = {t.display_name: name for name, by_type in _registered_stat_tests.items() for t in by_type.values()}
    scores = {m["metric_id"]: m["value"] for m in result["metrics"]}
    columns = {}
    for test in result["tests"]:
        if test["id"] != "drift":
            continue
        column = test["metric_config"]["params"]["column"]
        found = re.search(r"method is (.+)\. The drift threshold is ([0-9.]+)\.$", test["description"])
        if not found:
            fail(f"unexpected Evidently test description: {test['description']!r}")
        columns[column] = {
            "method": ids.get(found.group(1), found.group(1)),
            "score": num(scores[f"ValueDrift(column={column})"]),
            "threshold": float(found.group(2)),  # Evidently formats it with 2 decimals
            "drifted": test["status"] == "FAIL",
        }
    return columns


def run_scipy(reference, current, numeric, categorical):
    columns = {}
    for c in numeric:
        ref, cur = reference[c].dropna().to_numpy(), current[c].dropna().to_numpy()
        ks = stats.ks_2samp(ref, cur)
        columns[c] = {
            "ks": num(ks.statistic),
            "ks_p_value": num(ks.pvalue),
            "wasserstein_normed": num(stats.wasserstein_distance(ref, cur) / np.std(ref)),
        }
    for c in categorical:
        ref_counts, cur_counts = reference[c].value_counts(), current[c].value_counts()
        # Align on the union so a category seen on one side only counts as zero on the other.
        categories = ref_counts.index.union(cur_counts.index)
        ref_counts = ref_counts.reindex(categories, fill_value=0).to_numpy(dtype=float)
        cur_counts = cur_counts.reindex(categories, fill_value=0).to_numpy(dtype=float)
        chi2 = stats.chi2_contingency([ref_counts, cur_counts], correction=False)
        columns[c] = {
            "chi2": num(chi2.statistic),
            "chi2_p_value": num(chi2.pvalue),
            "js": num(jensenshannon(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum(), base=2)),
        }
    return columns


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True)
    parser.add_argument("--current", required=True)
    parser.add_argument("--numeric", required=True, help="comma-separated numeric column names")
    parser.add_argument("--categorical", required=True, help="comma-separated categorical column names")
    args = parser.parse_args()
    numeric = [c for c in args.numeric.split(",") if c]
    categorical = [c for c in args.categorical.split(",") if c]

    # Libraries may print; stdout must carry only our JSON object.
    with contextlib.redirect_stdout(sys.stderr):
        start = time.perf_counter()
        reference = load(args.reference, numeric, categorical)
        current = load(args.current, numeric, categorical)
        load_seconds = time.perf_counter() - start

        start = time.perf_counter()
        evidently_columns = run_evidently(reference, current, numeric, categorical)
        evidently_seconds = time.perf_counter() - start

        start = time.perf_counter()
        scipy_columns = run_scipy(reference, current, numeric, categorical)
        scipy_seconds = time.perf_counter() - start

    rows = len(current)
    print(json.dumps({
        "rows_current": rows,
        "rows_reference": len(reference),
        "columns": len(numeric) + len(categorical),
        "load_seconds": load_seconds,
        "evidently": {
            "version": evidently.__version__,
            "seconds": evidently_seconds,
            "rows_per_second": rows / evidently_seconds,
            "columns": evidently_columns,
        },
        "scipy": {
            "seconds": scipy_seconds,
            "rows_per_second": rows / scipy_seconds,
            "columns": scipy_columns,
        },
    }))


if __name__ == "__main__":
    main()
