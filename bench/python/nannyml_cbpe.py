"""NannyML's CBPE on the estimation benchmark's data: fitted on the reference CSV, estimated per
daily chunk of the analysis CSV. Prints {"version", "chunks": [{"day", metric: value, ...}]} as JSON.

CSV columns: day (integer), timestamp (ISO), score, pred (0/1 at the declared threshold), label
(reference only).
"""

import argparse
import json
import os
import sys

# NannyML reports usage to a third party unless told not to.
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"

import nannyml  # noqa: E402
import pandas as pd  # noqa: E402
import warnings  # noqa: E402

# Its daily chunker warns that it drops the (UTC) time zone, once per run: noise here.
warnings.filterwarnings("ignore", category=UserWarning)

METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True)
    parser.add_argument("--analysis", required=True)
    args = parser.parse_args()
    reference = pd.read_csv(args.reference, parse_dates=["timestamp"])
    analysis = pd.read_csv(args.analysis, parse_dates=["timestamp"])
    estimator = nannyml.CBPE(
        metrics=METRICS,
        y_pred_proba="score",
        y_pred="pred",
        y_true="label",
        problem_type="classification_binary",
        timestamp_column_name="timestamp",
        chunk_period="D",
    )
    estimator.fit(reference)
    frame = estimator.estimate(analysis).filter(period="analysis").to_df()
    chunks = []
    for _, row in frame.iterrows():
        start = pd.Timestamp(row[("chunk", "start_date")])
        chunk = {"date": start.strftime("%Y-%m-%d")}
        for metric in METRICS:
            value = row[(metric, "value")]
            chunk[metric] = None if pd.isna(value) else float(value)
        chunks.append(chunk)
    json.dump({"version": nannyml.__version__, "chunks": chunks}, sys.stdout)


if __name__ == "__main__":
    main()
