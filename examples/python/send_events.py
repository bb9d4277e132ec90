#!/usr/bin/env python3
"""Send a toy fraud model's predictions and delayed labels to Hindsight with the Python client.

    pip install ./clients/python
    python3 examples/python/send_events.py --url http://127.0.0.1:8080 --token TOKEN \
        --count 1000 --model-id fraud [--seed 7] [--bad 1]

It prints one JSON line to stdout when done:

    {"predictions_accepted": 1000, "labels_accepted": 1000, "rejected": [...]}

Everything else (progress, retries, warnings) goes to stderr. Exit code 1 when the gateway cannot
be reached after the retries or refuses the token.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import pathlib
import random
import sys
from typing import Any, Dict, List, Optional, Sequence

try:
    import hindsight_client
except ImportError:  # run from a checkout without installing: use the package's source next door
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "clients" / "python" / "src"))
    import hindsight_client

from hindsight_client import HindsightClient, HindsightError, label_event, prediction_event

log = logging.getLogger("send_events")

COUNTRIES = ["DE", "FR", "US", "GB", "BR", "IN"]
DEVICES = ["ios", "android", "web"]


def toy_fraud_prediction(rng: random.Random, model_id: str, prediction_id: str) -> Dict[str, Any]:
    """One call of a made-up fraud model."""
    amount = round(rng.lognormvariate(3.5, 1.2), 2)
    country = rng.choice(COUNTRIES)
    device = rng.choice(DEVICES)
    age = rng.randint(18, 90) if rng.random() > 0.1 else None  # sometimes missing
    logit = -3.0 + 0.004 * amount + (1.2 if country == "BR" else 0.0) + (0.5 if device == "web" else 0.0)
    score = round(1.0 / (1.0 + math.exp(-(logit + rng.gauss(0, 0.8)))), 4)
    return prediction_event(
        prediction_id=prediction_id,
        model_id=model_id,
        model_version="v3",
        features={"amount": amount, "country": country, "age": age, "new_account": rng.random() < 0.2},
        prediction={"label": "fraud" if score >= 0.5 else "legit", "score": score},
        segments={"country": country, "device": device},
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Send a toy fraud model's predictions and labels to Hindsight.")
    parser.add_argument("--url", required=True, help="gateway base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--token", required=True, help="API token with the ingest and label scopes")
    parser.add_argument("--count", type=int, required=True, help="number of predictions (and labels) to send")
    parser.add_argument("--model-id", required=True, help="model_id to report under")
    parser.add_argument("--seed", type=int, default=None, help="random seed; also part of the prediction ids")
    parser.add_argument("--bad", type=int, default=0, help="append this many malformed predictions")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request")
    parser.add_argument("--retries", type=int, default=4, help="retries on connection errors, 429 and 502-504")
    args = parser.parse_args(argv)
    if args.count < 0 or args.bad < 0:
        parser.error("--count and --bad must not be negative")

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
    log.info("hindsight_client %s from %s", hindsight_client.__version__, pathlib.Path(hindsight_client.__file__).parent)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    rng = random.Random(seed)

    predictions = [toy_fraud_prediction(rng, args.model_id, f"py-{args.model_id}-{seed}-{i}") for i in range(args.count)]
    for j in range(args.bad):
        bad = toy_fraud_prediction(rng, args.model_id, f"py-{args.model_id}-{seed}-bad-{j}")
        bad["prediction"]["score"] = "high"  # not a number: the gateway rejects this item only
        predictions.append(bad)

    # Ground truth arrives later (chargebacks); fraud is likelier when the score was high.
    labels = [
        label_event(prediction_id=p["prediction_id"], model_id=args.model_id,
                    label="fraud" if rng.random() < p["prediction"]["score"] else "legit", source="chargebacks")
        for p in predictions[: args.count]
    ]

    client = HindsightClient(args.url, args.token, timeout=args.timeout, max_retries=args.retries, background=False)
    out: Dict[str, Any] = {"predictions_accepted": 0, "labels_accepted": 0, "rejected": []}
    rejected: List[Dict[str, Any]] = out["rejected"]
    try:
        log.info("sending %d predictions (%d malformed) for model %s, seed %d", len(predictions), args.bad, args.model_id, seed)
        sent = client.send_predictions(predictions)
        out["predictions_accepted"] = sent.accepted
        rejected.extend(sent.as_dict()["rejected"])
        log.info("sending %d labels", len(labels))
        sent = client.send_labels(labels)
        out["labels_accepted"] = sent.accepted
        rejected.extend(sent.as_dict()["rejected"])
    except HindsightError as err:
        print(f"error: {err}", file=sys.stderr)
        out["error"] = str(err)
        print(json.dumps(out))
        return 1
    for r in rejected:
        log.warning("event #%s rejected: %s %s", r["index"], r["path"], r["message"])
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
