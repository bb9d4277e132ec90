"""NannyML's DLE on the regression estimation benchmark's data: fitted on the reference CSV, estimated
per daily chunk of the analysis CSV. Prints {"version", "chunks": [{"date", "mae", "rmse"}]} as JSON.

CSV columns: day, timestamp (ISO), the features (those named in --categorical read as categories),
y_pred, y_true (reference only). Default hyperparameters, no tuning: NannyML's documented default.
"""

import argparse
import json
import os

# NannyML reports usage to a third party unless told not to.
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"

import nannyml  # noqa: E402
import pandas as pd  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)

METRICS = ["mae", "rmse"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True)
    parser.add_argument("--analysis", required=True)
    parser.add_argument("--features", required=True, help="comma-separated feature columns")
    parser.add_argument("--categorical", default="", help="comma-separated categorical feature columns")
    args = parser.parse_args()
    # LightGBM's native code logs its progress to file descriptor 1: drop it, keep stdout for the JSON.
    stdout = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    features = args.features.split(",")
    categorical = [c for c in args.categorical.split(",") if c]
    frames = []
    for path in (args.reference, args.analysis):
        frame = pd.read_csv(path, parse_dates=["timestamp"])
        for column in categorical:
            frame[column] = pd.Categorical(frame[column].astype(int), categories=sorted(pd.read_csv(args.reference)[column].unique()))
        frames.append(frame)
    reference, analysis = frames
    estimator = nannyml.DLE(
        feature_column_names=features,
        y_pred="y_pred",
        y_true="y_true",
        timestamp_column_name="timestamp",
        chunk_period="D",
        metrics=METRICS,
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
    json.dump({"version": nannyml.__version__, "chunks": chunks}, stdout)
    stdout.flush()


if __name__ == "__main__":
    main()
