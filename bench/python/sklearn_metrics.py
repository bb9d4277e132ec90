"""Hindsight's windowed quality metrics against scikit-learn on the same events.

Reads the events exactly as they were sent to Kafka (predictions.csv, labels.csv, written by
bench/metrics-vs-sklearn.bench.ts, duplicates and conflicts included) and the product's
slice_metrics rows; joins labels to predictions by the README's rules ("The join"), buckets the
predictions by window and slice, computes each metric with scikit-learn (ECE, and MAPE as the
README defines it, with numpy), and compares row by row.

    sklearn_metrics.py --predictions P.csv --labels L.csv --product S.csv
                       [--windows 300,3600] [--slice-keys country] [--horizon-days 30]

Prints a table to stdout. Exits 1 when a metric differs beyond its bound, a value is NULL on one
side only, or a (model, version, stage, window, slice) row exists on one side only.
"""

import argparse
import csv
import math
import sys
import warnings
from collections import defaultdict

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

POSITIVE = "fraud"
NEGATIVE = "legit"
THRESHOLD = 0.5
LOG_LOSS_EPS = 1e-15
ECE_BINS = 10
AUC_BINS = 10_000
EXACT = 1e-9
DAY_MS = 86_400_000

# (column, how it is compared): count = equal; exact = |difference| <= 1e-9;
# auc = |difference| <= the product's roc_auc_error_bound + 1e-12. pr_auc is compared exactly with
# average_precision_score on the scores binned as the product bins them (floor(score · 10,000)):
# scores sharing a bin are one threshold, as the README says.
METRICS = [
    ("predictions", "count"),
    ("labeled", "count"),
    ("label_coverage", "exact"),
    ("accuracy", "exact"),
    ("precision", "exact"),
    ("recall", "exact"),
    ("f1", "exact"),
    ("log_loss", "exact"),
    ("brier", "exact"),
    ("roc_auc", "auc"),
    ("pr_auc", "exact"),
    ("ece", "exact"),
    ("mae", "exact"),
    ("rmse", "exact"),
    ("mape", "exact"),
    ("r2", "exact"),
    ("delay_max_s", "exact"),
    ("estimated_accuracy", "exact"),
]
KEY = ("model_id", "model_version", "stage", "window_seconds", "window_start", "slice_key", "slice_value")


def number(text):
    return None if text == "" else float(text)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def join_labels(predictions, labels, horizon_ms):
    """The winning label per prediction: labeled_at - timestamp <= horizon; the latest labeled_at wins."""
    winners = {}
    facts = defaultdict(int)
    for l in labels:
        key = (l["model_id"], l["prediction_id"])
        p = predictions.get(key)
        if p is None:
            facts["orphan label messages"] += 1
            continue
        labeled_at = int(l["labeled_at_ms"])
        if labeled_at - p["timestamp_ms"] > horizon_ms:
            facts["label messages beyond the horizon"] += 1
            continue
        observed = (l["label"], l["value"], l["source"])
        best = winners.get(key)
        if best is None or labeled_at > best[0]:
            winners[key] = (labeled_at, observed)
        elif labeled_at == best[0] and observed != best[1]:
            # The README breaks such ties by a hash of source and label; the generator avoids them.
            sys.exit(f"two different labels for {key} at the same labeled_at: the generator must avoid ties")
    for key, (labeled_at, (label, value, _source)) in winners.items():
        p = predictions[key]
        p["label"] = None if label == "" else label
        p["target"] = number(value)
        p["delay_ms"] = labeled_at - p["timestamp_ms"]
    facts["labelled predictions"] = len(winners)
    return facts


def top_label_ece(y, scores):
    """Expected calibration error over 10 equal-width bins of the top-label confidence (README)."""
    predicted = scores >= THRESHOLD
    confidence = np.where(predicted, scores, 1 - scores)
    correct = (predicted == (y == 1)).astype(float)
    bins = np.minimum(np.floor(confidence * ECE_BINS), ECE_BINS - 1).astype(int)
    total = 0.0
    for b in range(ECE_BINS):
        in_bin = bins == b
        if in_bin.any():
            total += in_bin.sum() / len(y) * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return total


def binary_metrics(rows):
    scores_all = np.array([r["score"] for r in rows])
    out = {"estimated_accuracy": float(np.mean(np.where(scores_all >= THRESHOLD, scores_all, 1 - scores_all)))}
    labelled = [r for r in rows if "delay_ms" in r]
    if not labelled:
        return out
    truth = np.array([r["label"] for r in labelled])
    scores = np.array([r["score"] for r in labelled])
    predicted = np.where(scores >= THRESHOLD, POSITIVE, NEGATIVE)
    y = (truth == POSITIVE).astype(int)
    tp = int(((y == 1) & (predicted == POSITIVE)).sum())
    fp = int(((y == 0) & (predicted == POSITIVE)).sum())
    fn = int(((y == 1) & (predicted == NEGATIVE)).sum())
    out["accuracy"] = accuracy_score(truth, predicted)
    # scikit-learn answers 0 for a zero denominator (zero_division=0); the README makes it NULL.
    out["precision"] = precision_score(truth, predicted, pos_label=POSITIVE, zero_division=0) if tp + fp > 0 else None
    out["recall"] = recall_score(truth, predicted, pos_label=POSITIVE, zero_division=0) if tp + fn > 0 else None
    out["f1"] = f1_score(truth, predicted, pos_label=POSITIVE, zero_division=0) if 2 * tp + fp + fn > 0 else None
    out["log_loss"] = log_loss(y, np.clip(scores, LOG_LOSS_EPS, 1 - LOG_LOSS_EPS), labels=[0, 1])
    out["brier"] = brier_score_loss(y, scores, pos_label=1)
    out["roc_auc"] = roc_auc_score(y, scores) if 0 < y.sum() < len(y) else None
    out["pr_auc"] = average_precision_score(y, np.floor(scores * AUC_BINS)) if y.sum() > 0 else None
    out["ece"] = top_label_ece(y, scores)
    return out


def regression_metrics(rows):
    labelled = [r for r in rows if "delay_ms" in r]
    if not labelled:
        return {}
    y = np.array([r["target"] for r in labelled])
    y_hat = np.array([r["value"] for r in labelled])
    out = {
        "mae": mean_absolute_error(y, y_hat),
        "rmse": math.sqrt(mean_squared_error(y, y_hat)),
        # 1 - SSE/SST, undefined (NULL) with fewer than two rows or a constant target.
        "r2": r2_score(y, y_hat) if len(y) >= 2 and np.ptp(y) > 0 else None,
    }
    # The README's MAPE leaves rows with y = 0 out (scikit-learn's divides them by a tiny epsilon).
    nonzero = y != 0
    out["mape"] = float(np.mean(np.abs(y[nonzero] - y_hat[nonzero]) / np.abs(y[nonzero]))) if nonzero.any() else None
    return out


def expected_rows(predictions, windows, slice_keys):
    groups = defaultdict(list)
    for p in predictions.values():
        seconds = p["timestamp_ms"] // 1000
        for size in windows:
            start = seconds // size * size
            slices = [("", "")] + [(k, p["segments"][k]) for k in slice_keys if k in p["segments"]]
            for slice_key, slice_value in slices:
                groups[(p["model_id"], p["model_version"], p["stage"], size, start, slice_key, slice_value)].append(p)
    rows = {}
    for key, members in groups.items():
        labelled = [r for r in members if "delay_ms" in r]
        row = {"predictions": len(members), "labeled": len(labelled), "label_coverage": len(labelled) / len(members)}
        row["delay_max_s"] = max(r["delay_ms"] for r in labelled) / 1000 if labelled else None
        row.update(binary_metrics(members) if members[0]["score"] is not None else regression_metrics(members))
        rows[key] = {m: None if v is None else float(v) for m, v in row.items()}
    return rows


def product_rows(path):
    rows = {}
    for r in read_csv(path):
        key = tuple(int(r[k]) if k in ("window_seconds", "window_start") else r[k] for k in KEY)
        rows[key] = {m: number(r[m]) for m, _ in METRICS} | {"roc_auc_error_bound": number(r["roc_auc_error_bound"])}
    return rows


def compare(ours, theirs):
    """One result per metric: rows compared, the largest |difference|, the failing rows."""
    results = []
    common = sorted(set(ours) & set(theirs))
    for metric, how in METRICS:
        compared, largest, bound_max, failures = 0, 0.0, 0.0, []
        for key in common:
            mine, product = ours[key].get(metric), theirs[key].get(metric)
            if mine is None and product is None:
                continue
            if mine is None or product is None:
                failures.append((key, product, mine, "NULL on one side"))
                continue
            compared += 1
            diff = abs(mine - product)
            largest = max(largest, diff)
            if how == "count":
                bound = 0.0
            elif how == "exact":
                bound = EXACT
            else:
                bound = theirs[key]["roc_auc_error_bound"] + 1e-12
                bound_max = max(bound_max, bound)
            if not diff <= bound:
                failures.append((key, product, mine, f"|difference| {diff:.3g} > {bound:.3g}"))
        if how == "count":
            bound_text = "equal"
        elif how == "exact":
            bound_text = f"{EXACT:g}"
        else:
            bound_text = f"error_bound + 1e-12 (largest {bound_max:.2e})"
        results.append((metric, compared, largest, bound_text, failures))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predictions", required=True)
    parser.add_argument("--labels", required=True)
    parser.add_argument("--product", required=True)
    parser.add_argument("--windows", default="300,3600")
    parser.add_argument("--slice-keys", default="country")
    parser.add_argument("--horizon-days", type=float, default=30)
    args = parser.parse_args()
    windows = [int(w) for w in args.windows.split(",")]
    slice_keys = [k for k in args.slice_keys.split(",") if k]

    predictions = {}
    for r in read_csv(args.predictions):
        predictions[(r["model_id"], r["prediction_id"])] = {
            "model_id": r["model_id"],
            "model_version": r["model_version"],
            "stage": r["stage"],
            "timestamp_ms": int(r["timestamp_ms"]),
            "score": number(r["score"]),
            "value": number(r["value"]),
            "segments": {"country": r["country"], "device": r["device"]},
        }
    labels = read_csv(args.labels)
    facts = join_labels(predictions, labels, args.horizon_days * DAY_MS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = expected_rows(predictions, windows, slice_keys)
    theirs = product_rows(args.product)

    out = sys.stdout.write
    out(f"\nslice_metrics against scikit-learn {sklearn.__version__} (numpy {np.__version__}) on the same events\n")
    out(f"  {len(predictions):,} predictions, {len(labels):,} label messages sent; " + ", ".join(f"{n:,} {what}" for what, n in sorted(facts.items())) + "\n")
    only_product = sorted(set(theirs) - set(ours))
    only_ours = sorted(set(ours) - set(theirs))
    out(f"  rows (model, version, stage, window, slice): {len(theirs):,} in the product, {len(ours):,} from the events, {len(set(ours) & set(theirs)):,} in both\n\n")

    results = compare(ours, theirs)
    out(f"  {'metric':<20} {'windows compared':>16} {'max |difference|':>17}   {'bound':<40} result\n")
    failed = False
    for metric, compared, largest, bound_text, failures in results:
        ok = not failures
        failed |= not ok
        out(f"  {metric:<20} {compared:>16,} {largest:>17.3e}   {bound_text:<40} {'OK' if ok else f'FAIL ({len(failures)} rows)'}\n")
    for metric, _, _, _, failures in results:
        for key, product, mine, why in failures[:5]:
            out(f"    {metric} at {key}: product {product!r}, scikit-learn {mine!r}: {why}\n")
    for name, keys in (("only in the product", only_product), ("missing from the product", only_ours)):
        if keys:
            failed = True
            out(f"  FAIL: {len(keys)} rows {name}, e.g. {keys[:5]}\n")
    out(f"\n  {'FAIL' if failed else 'OK: every metric within its bound, every row on both sides'}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
