"""Produce predictions and labels to Hindsight's Kafka topics through a schema registry.

What a Python service that already uses Confluent's serializers does: `confluent_kafka`'s
AvroSerializer registers the writer's schema under `<topic>-value` and frames every message as
0x00, the registry's schema id, the Avro body. Hindsight's processor, started with
HINDSIGHT_SCHEMA_REGISTRY_URL pointing at the same registry, reads any such id.

`--evolved` writes predictions with an evolved schema (fields reordered, `received_at` left out so
the reader's default fills it, an extra field the processor does not know and skips), to show
Avro schema resolution at work.

    pip install "confluent-kafka[avro,schemaregistry]"
    python produce_with_registry.py --brokers 127.0.0.1:9092 \
        --registry http://127.0.0.1:8081/apis/ccompat/v7 --count 100
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "schemas"


def evolved(prediction_schema: dict) -> dict:
    """prediction.v1 with its fields reversed, received_at dropped and one field added."""
    schema = json.loads(json.dumps(prediction_schema))
    kept = [f for f in schema["fields"] if f["name"] != "received_at"]
    schema["fields"] = list(reversed(kept)) + [
        {"name": "served_by", "type": "string", "default": "unknown", "doc": "the replica that answered"},
    ]
    return schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--registry", required=True, help="the registry's Confluent-compatible base URL")
    parser.add_argument("--topic-prefix", default="hindsight")
    parser.add_argument("--model-id", default="py-registry")
    parser.add_argument("--count", type=int, default=100, help="predictions (and as many labels)")
    parser.add_argument("--first", type=int, default=0, help="number of the first prediction id")
    parser.add_argument("--evolved", action="store_true", help="write predictions with the evolved schema")
    parser.add_argument("--base-ms", type=int, help="event time of prediction 0 (default: two hours before the current hour)")
    args = parser.parse_args()

    registry = SchemaRegistryClient({"url": args.registry})
    prediction_schema = json.loads((SCHEMAS / "prediction.v1.avsc").read_text())
    label_schema = (SCHEMAS / "label.v1.avsc").read_text()
    writer = evolved(prediction_schema) if args.evolved else prediction_schema
    predictions = AvroSerializer(registry, json.dumps(writer))
    labels = AvroSerializer(registry, label_schema)
    predictions_topic, labels_topic = f"{args.topic_prefix}.predictions", f"{args.topic_prefix}.labels"

    producer = Producer({"bootstrap.servers": args.brokers, "enable.idempotence": True})
    base = args.base_ms if args.base_ms is not None else int(time.time() // 3600 * 3600 * 1000) - 2 * 3600 * 1000
    for i in range(args.first, args.first + args.count):
        pid = f"{args.model_id}-{i}"
        event = {
            "prediction_id": pid,
            "model_id": args.model_id,
            "model_version": "v2" if args.evolved else "v1",
            "stage": "production",
            "timestamp": base + i * 1000,
            "features": {"amount": float(i % 50), "country": ["DE", "FR"][i % 2]},
            "prediction": {"label": "fraud" if i % 3 == 0 else "legit", "score": (i % 10) / 10, "scores": None, "value": None},
            "segments": {"country": ["DE", "FR"][i % 2]},
            "received_at": None,
            "served_by": f"replica-{i % 3}",
        }
        ctx = SerializationContext(predictions_topic, MessageField.VALUE)
        producer.produce(predictions_topic, key=pid.encode(), value=predictions(event, ctx))
        label = {
            "prediction_id": pid,
            "model_id": args.model_id,
            "label": "fraud" if i % 4 == 0 else "legit",
            "value": None,
            "labeled_at": base + i * 1000 + 60_000,
            "source": "registry-example",
            "received_at": None,
        }
        ctx = SerializationContext(labels_topic, MessageField.VALUE)
        producer.produce(labels_topic, key=pid.encode(), value=labels(label, ctx))
        producer.poll(0)
    left = producer.flush(30)
    if left:
        raise SystemExit(f"{left} messages not delivered")
    print(json.dumps({"predictions": args.count, "labels": args.count, "evolved": args.evolved}))


if __name__ == "__main__":
    main()
