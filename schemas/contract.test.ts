/**
 * The contract between the two ways an event enters Hindsight: JSON over HTTP (validated by
 * `*Http`) and Avro straight onto Kafka (checked by the Avro schema, then `*Wire` after decoding).
 * For every case below, the HTTP schema must accept exactly when the Avro path accepts the same
 * event written in wire form, and must produce that very wire form.
 */
import { describe, expect, it } from "vitest";
import { DecodeError, decode, encode, LEGACY_SCHEMAS, SCHEMAS } from "../services/common/kafka/avro-codec.js";
import { LabelHttp, LabelWire, PredictionHttp, PredictionWire } from "./events.js";

// JSON cannot spell Infinity, but a number too large for a double parses to it.
const INF = JSON.parse("1e309") as number;
const T_MS = 1763892000000; // 2025-11-23T10:00:00.000Z

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const orDefault = (v: unknown, d: unknown) => (v === undefined ? d : v);
const time = (v: unknown) => (typeof v === "string" ? Date.parse(v) : v);
const labelString = (v: unknown) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v);

/** The naive HTTP → wire mapping, with no validation at all. */
function structuralPrediction(x: unknown): unknown {
  if (!isObj(x)) return x;
  const p = x.prediction;
  return {
    prediction_id: x.prediction_id,
    model_id: x.model_id,
    model_version: x.model_version,
    stage: orDefault(x.stage, "production"),
    timestamp: time(x.timestamp),
    features: orDefault(x.features, {}),
    prediction: isObj(p)
      ? {
          label: labelString(orDefault(p.label, null)),
          score: orDefault(p.score, null),
          scores: orDefault(p.scores, null),
          value: orDefault(p.value, null),
        }
      : p,
    segments: orDefault(x.segments, {}),
    received_at: null,
    ...optionalRequest(x),
  };
}

/** request_id is optional on both paths; Avro decodes an absent one as null. */
const optionalRequest = (x: Obj) => (x.request_id === undefined ? {} : { request_id: x.request_id });
const withNullRequest = <T extends { request_id?: string | null }>(e: T) => ({ ...e, request_id: e.request_id ?? null });

function structuralLabel(x: unknown, now: number): unknown {
  if (!isObj(x)) return x;
  return {
    prediction_id: x.prediction_id,
    model_id: x.model_id,
    label: labelString(orDefault(x.label, null)),
    value: orDefault(x.value, null),
    labeled_at: x.labeled_at === undefined ? now : time(x.labeled_at),
    source: orDefault(x.source, "unspecified"),
    received_at: null,
    ...optionalRequest(x),
  };
}

function avroAndWireAccept(kind: "prediction" | "label", w: unknown): boolean {
  if (!SCHEMAS[kind].type.isValid(w)) return false;
  try {
    const decoded = decode(kind, encode(kind, w as never));
    return (kind === "prediction" ? PredictionWire : LabelWire).safeParse(decoded).success;
  } catch {
    return false;
  }
}

const manyKeys = (n: number, value: (i: number) => unknown) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(i)]));

const P: Obj = {
  prediction_id: "pred-0001",
  model_id: "fraud-v2",
  model_version: "2025.11.1",
  stage: "shadow",
  timestamp: "2025-11-23T10:00:00Z",
  features: { amount: 12.5, country: "DE", is_new: true, referrer: null },
  prediction: { label: "fraud", score: 0.93 },
  segments: { region: "eu" },
};
const withP = (o: Obj): Obj => ({ ...P, ...o });
const withOut = (o: Obj): Obj => ({ ...P, prediction: o });
const without = (key: string): Obj => Object.fromEntries(Object.entries(P).filter(([k]) => k !== key));

const predictionCases: Array<[name: string, input: unknown, ok: boolean]> = [
  // accepted
  ["ISO timestamp with Z", P, true],
  ["ISO timestamp with +02:00 offset", withP({ timestamp: "2025-11-23T12:00:00+02:00" }), true],
  ["ISO timestamp with fractional seconds", withP({ timestamp: "2025-11-23T10:00:00.123Z" }), true],
  ["epoch milliseconds", withP({ timestamp: T_MS }), true],
  ["earliest allowed time, 2000-01-01", withP({ timestamp: "2000-01-01T00:00:00Z" }), true],
  ["numeric label coerced to a string", withOut({ label: 1, score: 0.8 }), true],
  ["boolean label coerced to a string", withOut({ label: false }), true],
  ["multiclass scores with a label", withOut({ label: "cat", scores: { cat: 0.7, dog: 0.2, bird: 0.1 } }), true],
  ["multiclass scores alone", withOut({ scores: { cat: 0.5, dog: 0.5 } }), true],
  ["regression value", withOut({ value: -3.25 }), true],
  ["regression value 0", withOut({ value: 0 }), true],
  ["score 0", withOut({ score: 0 }), true],
  ["score 1", withOut({ score: 1 }), true],
  ["explicit nulls beside one output", withOut({ label: null, score: 0.4, scores: null, value: null }), true],
  [
    "null, boolean, empty-string and large numeric features",
    withP({ features: { a: null, b: false, c: "", d: -0.5, e: 1e100, f: -1e100 } }),
    true,
  ],
  ["a regression value of ±1e100", withOut({ value: -1e100 }), true],
  ["missing stage defaults to production", without("stage"), true],
  ["missing features", without("features"), true],
  ["missing segments", without("segments"), true],
  ["model_id with every allowed punctuation", withP({ model_id: "team.fraud_model:v2-eu" }), true],
  ["exactly 1000 features", withP({ features: manyKeys(1000, (i) => i) }), true],
  ["string feature of exactly 4096 characters", withP({ features: { text: "x".repeat(4096) } }), true],
  ["exactly 32 segments", withP({ segments: manyKeys(32, () => "v") }), true],
  ["unknown and client-sent received_at fields are dropped", withP({ extra: 1, received_at: T_MS }), true],
  ["a request id shared by variants", withP({ request_id: "req-17" }), true],
  ["an explicit null request id", withP({ request_id: null }), true],
  // rejected: identity
  ["missing prediction_id", without("prediction_id"), false],
  ["missing model_id", without("model_id"), false],
  ["missing model_version", without("model_version"), false],
  ["empty prediction_id", withP({ prediction_id: "" }), false],
  ["empty request_id", withP({ request_id: "" }), false],
  ["request_id over 256 characters", withP({ request_id: "r".repeat(257) }), false],
  ["numeric request_id", withP({ request_id: 17 }), false],
  ["prediction_id over 256 characters", withP({ prediction_id: "p".repeat(257) }), false],
  ["numeric prediction_id", withP({ prediction_id: 123 }), false],
  ["empty model_version", withP({ model_version: "" }), false],
  ["empty stage", withP({ stage: "" }), false],
  ["null stage", withP({ stage: null }), false],
  ["model_id with a space", withP({ model_id: "fraud model" }), false],
  ["model_id with a slash", withP({ model_id: "team/fraud" }), false],
  ["model_id starting with '-'", withP({ model_id: "-fraud" }), false],
  ["model_id over 128 characters", withP({ model_id: "m".repeat(129) }), false],
  // rejected: time
  ["missing timestamp", without("timestamp"), false],
  ["timestamp in seconds", withP({ timestamp: 1763892000 }), false],
  ["fractional epoch milliseconds", withP({ timestamp: T_MS + 0.5 }), false],
  ["timestamp 1e309", withP({ timestamp: INF }), false],
  ["timestamp that is not a date", withP({ timestamp: "not a date" }), false],
  ["ISO timestamp with month 13", withP({ timestamp: "2025-13-45T00:00:00Z" }), false],
  ["ISO timestamp with hour 25", withP({ timestamp: "2025-11-23T25:00:00Z" }), false],
  ["ISO timestamp before 2000", withP({ timestamp: "1999-12-31T23:59:59Z" }), false],
  ["ISO timestamp after 2100", withP({ timestamp: "2100-01-01T00:00:00.001Z" }), false],
  ["timestamp in 2150, past ClickHouse's DateTime", withP({ timestamp: Date.UTC(2150, 0, 1) }), false],
  ["null timestamp", withP({ timestamp: null }), false],
  ["boolean timestamp", withP({ timestamp: true }), false],
  // rejected: outputs
  ["missing prediction", without("prediction"), false],
  ["prediction with no outputs", withOut({}), false],
  ["prediction with only null outputs", withOut({ label: null, score: null, scores: null, value: null }), false],
  ["score 1.5", withOut({ score: 1.5 }), false],
  ["a numeric feature beyond 1e100, whose squares could sum to infinity", withP({ features: { e: 1e308 } }), false],
  ["a regression value beyond 1e100", withOut({ value: 1.7e308 }), false],
  ["score -0.1", withOut({ score: -0.1 }), false],
  ["score as a string", withOut({ score: "0.5" }), false],
  ["score 1e309", withOut({ score: INF }), false],
  ["value 1e309", withOut({ value: INF }), false],
  ["value as a string", withOut({ value: "3" }), false],
  ["empty label", withOut({ label: "" }), false],
  ["label over 256 characters", withOut({ label: "l".repeat(257) }), false],
  ["array label", withOut({ label: ["a"] }), false],
  ["empty scores", withOut({ scores: {} }), false],
  ["class score above 1", withOut({ scores: { cat: 1.2 } }), false],
  ["class score as a string", withOut({ scores: { cat: "0.5" } }), false],
  ["empty class name", withOut({ scores: { "": 0.5 } }), false],
  // rejected: features and segments
  ["nested object feature", withP({ features: { geo: { lat: 1 } } }), false],
  ["array feature", withP({ features: { tags: ["a", "b"] } }), false],
  ["feature 1e309", withP({ features: { amount: INF } }), false],
  ["string feature over 4096 characters", withP({ features: { text: "x".repeat(4097) } }), false],
  ["1001 features", withP({ features: manyKeys(1001, (i) => i) }), false],
  ["empty feature name", withP({ features: { "": 1 } }), false],
  ["feature name over 256 characters", withP({ features: { ["f".repeat(257)]: 1 } }), false],
  ["null features", withP({ features: null }), false],
  ["features as an array", withP({ features: [1, 2] }), false],
  ["features as a string", withP({ features: "amount=1" }), false],
  ["numeric segment value", withP({ segments: { region: 1 } }), false],
  ["boolean segment value", withP({ segments: { vip: true } }), false],
  ["null segment value", withP({ segments: { region: null } }), false],
  ["33 segments", withP({ segments: manyKeys(33, () => "v") }), false],
  ["segment value over 256 characters", withP({ segments: { region: "r".repeat(257) } }), false],
  // rejected: not an object
  ["null event", null, false],
  ["array event", [P], false],
  ["string event", "pred-0001", false],
];

const L: Obj = {
  prediction_id: "pred-0001",
  model_id: "fraud-v2",
  label: "fraud",
  labeled_at: "2025-11-30T08:00:00Z",
  source: "chargebacks",
};
const withL = (o: Obj): Obj => ({ ...L, ...o });
const withoutL = (...keys: string[]): Obj => Object.fromEntries(Object.entries(L).filter(([k]) => !keys.includes(k)));

const labelCases: Array<[name: string, input: unknown, ok: boolean]> = [
  ["class label, ISO time with Z", L, true],
  ["ISO time with +02:00 offset", withL({ labeled_at: "2025-11-30T10:00:00+02:00" }), true],
  ["epoch milliseconds", withL({ labeled_at: T_MS }), true],
  ["numeric label 0 coerced to a string", withL({ label: 0 }), true],
  ["boolean label coerced to a string", withL({ label: true }), true],
  ["regression value instead of a label", { ...withoutL("label"), value: 12.5 }, true],
  ["regression value 0", { ...withoutL("label"), value: 0 }, true],
  ["regression value beyond 1e100", { ...withoutL("label"), value: -1e101 }, false],
  ["label with explicit null value", withL({ value: null }), true],
  ["missing labeled_at defaults to now", withoutL("labeled_at"), true],
  ["missing source defaults to unspecified", withoutL("source"), true],
  ["only ids and label", withoutL("labeled_at", "source"), true],
  ["a label for a whole request: empty prediction_id, a request_id", withL({ prediction_id: "", request_id: "req-17" }), true],
  ["a label naming both its prediction and its request", withL({ request_id: "req-17" }), true],
  ["missing prediction_id", withoutL("prediction_id"), false],
  ["missing model_id", withoutL("model_id"), false],
  ["empty prediction_id", withL({ prediction_id: "" }), false],
  ["empty prediction_id and empty request_id", withL({ prediction_id: "", request_id: "" }), false],
  ["bad model_id characters", withL({ model_id: "fraud v2!" }), false],
  ["both label and value", withL({ value: 1 }), false],
  ["neither label nor value", withoutL("label"), false],
  ["label and value both null", withL({ label: null, value: null }), false],
  ["empty label", withL({ label: "" }), false],
  ["object label", withL({ label: { name: "fraud" } }), false],
  ["value 1e309", { ...withoutL("label"), value: INF }, false],
  ["value as a string", { ...withoutL("label"), value: "1" }, false],
  ["labeled_at in seconds", withL({ labeled_at: 1763892000 }), false],
  ["labeled_at that is not a date", withL({ labeled_at: "yesterday" }), false],
  ["null labeled_at", withL({ labeled_at: null }), false],
  ["empty source", withL({ source: "" }), false],
  ["numeric source", withL({ source: 7 }), false],
  ["null event", null, false],
  ["array event", [L], false],
];

describe("prediction contract: HTTP schema vs Avro + wire schema", () => {
  it("has a corpus large enough to mean something", () => {
    expect(predictionCases.length).toBeGreaterThanOrEqual(40);
    expect(predictionCases.filter(([, , ok]) => ok).length).toBeGreaterThanOrEqual(15);
  });

  it.each(predictionCases)("%s", (_name, input, ok) => {
    const http = PredictionHttp.safeParse(input);
    const wire = structuralPrediction(input);
    expect(http.success).toBe(ok);
    expect(avroAndWireAccept("prediction", wire)).toBe(ok);
    if (!http.success) return;

    // The HTTP schema yields exactly the naive wire form (modulo dropped unknown fields).
    expect(http.data).toEqual(wire);
    expect(http.data.received_at).toBeNull();
    // And that form survives Avro byte-exact.
    const bytes = encode("prediction", http.data);
    const decoded = decode("prediction", bytes);
    expect(decoded).toEqual(withNullRequest(http.data));
    expect(encode("prediction", decoded).equals(bytes)).toBe(true);
  });

  it("turns the documented input forms into the expected wire values", () => {
    const parse = (x: unknown) => PredictionHttp.parse(x);
    expect(parse(withP({ timestamp: "2025-11-23T12:00:00+02:00" })).timestamp).toBe(T_MS);
    expect(parse(withP({ timestamp: "2025-11-23T10:00:00.123Z" })).timestamp).toBe(T_MS + 123);
    expect(parse(withOut({ label: 1, score: 0.8 })).prediction).toEqual({ label: "1", score: 0.8, scores: null, value: null });
    expect(parse(withOut({ label: false })).prediction.label).toBe("false");
    expect(parse(without("stage")).stage).toBe("production");
    expect(parse(without("features")).features).toEqual({});
    expect(parse(withP({ received_at: T_MS })).received_at).toBeNull();
  });

  // These inputs are HTTP-only syntax: the wire carries epoch ms and strings, so it cannot tell
  // "2025-11-23" or a label of Infinity from a legitimate value. The HTTP schema is deliberately
  // stricter than Date.parse / String(); we pin that it rejects what the naive mapping would let in.
  it.each<[string, unknown]>([
    ["date without time", withP({ timestamp: "2025-11-23" })],
    ["time without a zone (would be read as local time)", withP({ timestamp: "2025-11-23T10:00:00" })],
    ["space instead of T", withP({ timestamp: "2025-11-23 10:00:00Z" })],
    ["RFC 2822 date", withP({ timestamp: "Sun, 23 Nov 2025 10:00:00 GMT" })],
    ["30 February (Date.parse rolls it into March)", withP({ timestamp: "2025-02-30T00:00:00Z" })],
    ["offset without a colon", withP({ timestamp: "2025-11-23T10:00:00+0200" })],
    ["label 1e309 (would become the string 'Infinity')", withOut({ label: INF })],
  ])("HTTP-only rejection: %s", (_name, input) => {
    expect(PredictionHttp.safeParse(input).success).toBe(false);
    expect(avroAndWireAccept("prediction", structuralPrediction(input))).toBe(true);
  });

  // Known gap at the schema level: zod's record() skips a "__proto__" key (to avoid prototype
  // pollution) and avsc's decoder drops it too, so its value is never checked here. The gateway
  // never gets this far with such a key: its JSON and NDJSON parsers refuse bodies holding one
  // (services/gateway/batch-body.test.ts), so the gap is pinned here only to notice a change.
  it("known gap: a '__proto__' feature is dropped over HTTP, even when the Avro path would refuse it", () => {
    const input = JSON.parse(
      '{"prediction_id":"p","model_id":"m","model_version":"1","timestamp":1763892000000,"features":{"__proto__":{"x":1},"a":2},"prediction":{"score":0.5}}',
    ) as unknown;
    const http = PredictionHttp.safeParse(input);
    expect(http.success).toBe(true);
    expect(http.success && Object.keys(http.data.features)).toEqual(["a"]);
    expect(avroAndWireAccept("prediction", structuralPrediction(input))).toBe(false);
  });
});

describe("label contract: HTTP schema vs Avro + wire schema", () => {
  it("has a corpus large enough to mean something", () => {
    expect(labelCases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(labelCases)("%s", (_name, input, ok) => {
    const before = Date.now();
    const http = LabelHttp.safeParse(input);
    const after = Date.now();
    expect(http.success).toBe(ok);
    expect(avroAndWireAccept("label", structuralLabel(input, before))).toBe(ok);
    if (!http.success) return;

    const omittedTime = isObj(input) && input.labeled_at === undefined;
    if (omittedTime) {
      expect(http.data.labeled_at).toBeGreaterThanOrEqual(before);
      expect(http.data.labeled_at).toBeLessThanOrEqual(after);
    }
    expect(http.data).toEqual(structuralLabel(input, http.data.labeled_at));
    expect(http.data.received_at).toBeNull();
    const bytes = encode("label", http.data);
    const decoded = decode("label", bytes);
    expect(decoded).toEqual(withNullRequest(http.data));
    expect(encode("label", decoded).equals(bytes)).toBe(true);
  });

  it("turns the documented input forms into the expected wire values", () => {
    expect(LabelHttp.parse(withL({ labeled_at: "2025-11-23T12:00:00+02:00" })).labeled_at).toBe(T_MS);
    expect(LabelHttp.parse(withL({ label: 0 })).label).toBe("0");
    expect(LabelHttp.parse(withoutL("source")).source).toBe("unspecified");
    expect(LabelHttp.parse({ ...withoutL("label"), value: 12.5 })).toMatchObject({ label: null, value: 12.5 });
    // Over HTTP a request's label may leave prediction_id out altogether.
    expect(LabelHttp.parse({ ...withoutL("prediction_id"), request_id: "req-17" })).toMatchObject({
      prediction_id: "",
      request_id: "req-17",
    });
    expect(LabelHttp.safeParse(withoutL("prediction_id")).error?.issues[0]).toMatchObject({
      path: ["prediction_id"],
      message: "must not be empty (or give request_id)",
    });
  });

  it.each<[string, unknown]>([
    ["labeled_at as a date without time", withL({ labeled_at: "2025-11-30" })],
    ["label 1e309 (would become the string 'Infinity')", withL({ label: INF })],
  ])("HTTP-only rejection: %s", (_name, input) => {
    expect(LabelHttp.safeParse(input).success).toBe(false);
    expect(avroAndWireAccept("label", structuralLabel(input, Date.now()))).toBe(true);
  });
});

describe("Avro framing errors", () => {
  const prediction = PredictionHttp.parse(P);
  const label = LabelHttp.parse(L);
  const framed = () => encode("prediction", prediction);

  const expectDecodeError = (bytes: Buffer | null, message: RegExp) => {
    let caught: unknown;
    try {
      decode("prediction", bytes);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    expect((caught as Error).message).toMatch(message);
  };

  it("frames as 0x00, big-endian schema id, Avro body", () => {
    const bytes = framed();
    expect([...bytes.subarray(0, 5)]).toEqual([0, 0, 0, 0, 1]);
    expect([...encode("label", label).subarray(0, 5)]).toEqual([0, 0, 0, 0, 2]);
  });

  it("writes an event without a request id as the earlier version (ids 1, 2), one with it as v2 (ids 4, 5), and reads both", () => {
    expect(framed().readInt32BE(1)).toBe(1);
    const paired = encode("prediction", { ...prediction, request_id: "req-17" });
    expect(paired.readInt32BE(1)).toBe(4);
    expect(decode("prediction", paired)).toEqual({ ...prediction, request_id: "req-17" });
    // A reader of the earlier version still reads every event without a request id.
    expect(LEGACY_SCHEMAS.prediction.type.fromBuffer(framed().subarray(5))).toEqual(prediction);
    expect(encode("label", { ...label, request_id: "req-17" }).readInt32BE(1)).toBe(5);
  });

  it("rejects a wrong magic byte", () => {
    const bytes = framed();
    bytes[0] = 7;
    expectDecodeError(bytes, /magic byte 7/);
  });

  it("rejects an unknown schema id", () => {
    const bytes = framed();
    bytes.writeInt32BE(99, 1);
    expectDecodeError(bytes, /unknown schema id 99/);
  });

  it("rejects a label decoded as a prediction", () => {
    expectDecodeError(encode("label", label), /schema id 2 is label\.v1, expected prediction\.v2/);
    expectDecodeError(encode("label", { ...label, request_id: "r" }), /schema id 5 is label\.v2, expected prediction\.v2/);
  });

  it("rejects a truncated body", () => {
    const bytes = framed();
    expectDecodeError(bytes.subarray(0, bytes.length - 3), /truncated/);
  });

  it("rejects trailing bytes after the record", () => {
    expectDecodeError(Buffer.concat([framed(), Buffer.from([0])]), /trailing bytes/);
  });

  it("rejects a null value (a tombstone) and a value shorter than the header", () => {
    expectDecodeError(null, /too short/);
    expectDecodeError(Buffer.from([0, 0, 0]), /too short/);
  });
});
