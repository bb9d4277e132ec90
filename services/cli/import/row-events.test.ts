import { describe, expect, it } from "vitest";
import { resolveMapping } from "./mapping.js";
import { featureCell, numberCell, rowEvents, textCell, timeCell } from "./row-events.js";

// 10^9 seconds after the epoch is 2001-09-09T01:46:40Z (the "billennium"), so 10^12 ms.
const BILLENNIUM_MS = 1_000_000_000_000;
const NOW = Date.UTC(2027, 0, 1);
const csv = { line: 7, textual: true, nowMs: NOW, idPrefix: "loans.csv" };
const typed = { ...csv, textual: false };

const value = <T>(c: { ok: true; value: T } | { ok: false; error: string }) => (c.ok ? c.value : `error: ${c.error}`);

describe("cells", () => {
  it("reads timestamps in every form a file stores them", () => {
    for (const v of [
      "2001-09-09T01:46:40Z",
      "2001-09-09T03:46:40+02:00",
      "2001-09-09T01:46:40.000Z",
      "2001-09-09 01:46:40", // no zone: UTC
      "2001-09-09T01:46:40",
      1_000_000_000, // seconds
      "1000000000",
      1_000_000_000.0004, // fractional seconds, rounded to the millisecond
      BILLENNIUM_MS, // milliseconds
      1_000_000_000_000_000, // microseconds
      1_000_000_000_000_000_000n, // nanoseconds (Parquet INT64)
      new Date(BILLENNIUM_MS), // Parquet TIMESTAMP
    ])
      expect(value(timeCell(v)), String(v)).toBe(BILLENNIUM_MS);
    // Midnight UTC: 1h 46m 40s = 6,400 s before the billennium.
    expect(value(timeCell("2001-09-09"))).toBe(BILLENNIUM_MS - 6_400_000);
    for (const v of ["yesterday", "09/09/2001", "", -5, true, {}]) expect(timeCell(v).ok, String(v)).toBe(false);
  });

  it("casts CSV text to numbers where a feature is numeric, keeps typed files' strings as strings", () => {
    expect(value(featureCell("12.5", true))).toBe(12.5);
    expect(value(featureCell("-3e2", true))).toBe(-300);
    expect(value(featureCell("DE", true))).toBe("DE");
    expect(value(featureCell("", true))).toBe(null);
    expect(value(featureCell("12.5", false))).toBe("12.5");
    expect(value(featureCell("", false))).toBe("");
    expect(value(featureCell(Number.NaN, false))).toBe(null); // pandas' missing value in Parquet
    expect(value(featureCell(7n, false))).toBe(7);
    expect(value(featureCell(true, false))).toBe(true);
    expect(value(featureCell(new Date(BILLENNIUM_MS), false))).toBe(BILLENNIUM_MS);
    expect(featureCell(Number.POSITIVE_INFINITY, false).ok).toBe(false);
    expect(value(featureCell({ a: 1 }, false))).toMatch(/nested values are not supported/);
  });

  it("reads ids, classes and segments as text, scores as numbers", () => {
    expect(value(textCell(1))).toBe("1");
    expect(value(textCell(12345678901234567890n))).toBe("12345678901234567890");
    expect(value(textCell(false))).toBe("false");
    expect(textCell({}).ok).toBe(false);
    expect(value(numberCell(" 0.25 "))).toBe(0.25);
    expect(value(numberCell("abc"))).toMatch(/"abc" is not a number/);
  });
});

describe("a row's events", () => {
  const both = resolveMapping(
    {
      model: "credit",
      version: "v2",
      id: "loan_id",
      time: "applied_at",
      prediction: "predicted",
      score: "p_default",
      label: "defaulted",
      labeled_at: "resolved_at",
      segments: ["region"],
      exclude: ["notes"],
    },
    {},
    { reference: false },
  );
  const row = {
    loan_id: "L-0017",
    applied_at: "2001-09-09T01:46:40Z",
    predicted: "1",
    p_default: "0.82",
    defaulted: "0",
    resolved_at: "2001-09-19T01:46:40Z",
    region: "north",
    notes: "call back",
    age: "41",
    income: "52000.5",
    employment: "salaried",
    debt_ratio: "",
  };

  it("makes a prediction and its label in the gateway's form", () => {
    expect(rowEvents(row, both, csv)).toEqual({
      ok: true,
      prediction: {
        prediction_id: "L-0017",
        model_id: "credit",
        model_version: "v2",
        stage: "production",
        timestamp: BILLENNIUM_MS,
        features: { age: 41, income: 52000.5, employment: "salaried", debt_ratio: null },
        prediction: { label: "1", score: 0.82 },
        segments: { region: "north" },
      },
      label: {
        prediction_id: "L-0017",
        model_id: "credit",
        label: "0",
        labeled_at: BILLENNIUM_MS + 10 * 86_400_000,
        source: "import",
      },
    });
  });

  it("stamps a label with the prediction's time when the file has no label time, so a backfill stays within the label horizon", () => {
    const { resolved_at: _, ...noLabelTime } = row;
    const m = { ...both, labeledAt: undefined };
    const r = rowEvents(noLabelTime, m, csv);
    expect(r.ok && r.label?.labeled_at).toBe(BILLENNIUM_MS);
    // An empty label time falls back the same way.
    const r2 = rowEvents({ ...row, resolved_at: "" }, both, csv);
    expect(r2.ok && r2.label?.labeled_at).toBe(BILLENNIUM_MS);
  });

  it("sends no label for an empty label cell: that truth is not known yet", () => {
    const r = rowEvents({ ...row, defaulted: "" }, both, csv);
    expect(r.ok && r.prediction !== undefined && r.label === undefined).toBe(true);
  });

  it("reports every problem of a row, each with its column", () => {
    const r = rowEvents({ ...row, applied_at: "last tuesday", p_default: "high", predicted: "", loan_id: "" }, both, csv);
    expect(r).toEqual({
      ok: false,
      errors: [
        'p_default: "high" is not a number',
        'applied_at: "last tuesday" is not a timestamp (ISO-8601 or epoch seconds/milliseconds)',
        "loan_id: is empty",
      ],
    });
    const { applied_at: _, ...noTime } = row;
    expect(rowEvents(noTime, both, csv)).toEqual({ ok: false, errors: ["applied_at: no such column"] });
    expect(rowEvents({ ...row, predicted: "", p_default: "" }, both, csv)).toEqual({
      ok: false,
      errors: ["predicted, p_default: no prediction (empty)"],
    });
  });

  it("gives a row without an id column an id from its line, the same on every run", () => {
    const m = resolveMapping({ model: "credit", version: "v2", score: "p", label: "y" }, {}, { reference: false });
    const r = rowEvents({ p: 0.4, y: 1, x: 3 }, m, typed);
    expect(r.ok && [r.prediction?.prediction_id, r.label?.prediction_id]).toEqual(["loans.csv:7", "loans.csv:7"]);
    // No time column: now, and the label carries no time (the gateway's receipt time).
    expect(r.ok && r.prediction?.timestamp).toBe(NOW);
    expect(r.ok && r.label && "labeled_at" in r.label).toBe(false);
    expect(r.ok && r.label?.label).toBe("1");
  });

  it("takes model and version from columns when mapped so", () => {
    const m = resolveMapping({ model_column: "m", version_column: "ver", score: "p" }, {}, { reference: false });
    const r = rowEvents({ m: "fraud", ver: 3, p: 0.1, amount: 5 }, m, typed);
    expect(r.ok && r.prediction).toMatchObject({ model_id: "fraud", model_version: "3", features: { amount: 5 } });
  });

  it("reads a regression model's prediction and target as numbers", () => {
    const m = resolveMapping(
      { model: "eta", version: "v1", id: "trip", prediction: "yhat", label: "y", regression: true },
      {},
      { reference: false },
    );
    const r = rowEvents({ trip: "t1", yhat: "12.5", y: "14", distance: "3.2" }, m, csv);
    expect(r.ok && r.prediction?.prediction).toEqual({ value: 12.5 });
    expect(r.ok && r.label).toEqual({ prediction_id: "t1", model_id: "eta", value: 14, source: "import" });
    expect(rowEvents({ trip: "t1", yhat: "fast", y: "14" }, m, csv)).toEqual({ ok: false, errors: ['yhat: "fast" is not a number'] });
  });

  it("loads labels alone by id", () => {
    const m = resolveMapping({ model: "credit", id: "loan_id", label: "defaulted", labeled_at: "at" }, {}, { reference: false });
    expect(rowEvents({ loan_id: 17, defaulted: true, at: 1_000_000_000 }, m, typed)).toEqual({
      ok: true,
      label: { prediction_id: "17", model_id: "credit", label: "true", labeled_at: BILLENNIUM_MS, source: "import" },
    });
  });

  it("makes a reference sample row of features and output", () => {
    const m = resolveMapping({ model: "credit", version: "v2", score: "p", features: ["age", "region"] }, {}, { reference: true });
    expect(rowEvents({ age: "41", region: "north", p: "0.3", other: "x" }, m, csv, true)).toEqual({
      ok: true,
      sample: { features: { age: 41, region: "north" }, prediction: { score: 0.3 } },
    });
    expect(rowEvents({ region: "north", p: "0.3" }, m, csv, true)).toEqual({ ok: false, errors: ["age: no such column"] });
  });
});
