import { describe, expect, it } from "vitest";
import { HistoryFileError, parseHistory, readHistoryFile } from "./history-file.js";

const line = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    time: 1_700_000_000_000,
    rule_kind: "threshold",
    metric: "accuracy",
    severity: "warning",
    scope: "global",
    model: "m",
    slice: "",
    deviation: 0.2,
    sample_size: 500,
    action: "acted",
    ...over,
  });

describe("history file", () => {
  it("parses lines, skips blank ones, accepts ISO times and defaults the slice", () => {
    const text = `${line()}\n\n${line({ time: "2026-01-05T10:00:00Z", action: null, slice: undefined })}\n`;
    const records = parseHistory(text, "h.jsonl");
    expect(records).toHaveLength(2);
    expect(records[1]).toMatchObject({ time: Date.UTC(2026, 0, 5, 10), action: null, slice: "" });
  });

  it("names the line and field of every error", () => {
    const text = [line(), line({ severity: "urgent" }), "{oops", line({ deviation: -1 }), line({ extra: 1 })].join("\n");
    let error: Error | undefined;
    try {
      parseHistory(text, "h.jsonl");
    } catch (err) {
      error = err as Error;
    }
    expect(error).toBeInstanceOf(HistoryFileError);
    expect(error!.message).toMatch(/^4 invalid lines in h\.jsonl/);
    expect(error!.message).toMatch(/h\.jsonl:2: field 'severity'/);
    expect(error!.message).toMatch(/h\.jsonl:3: not valid JSON/);
    expect(error!.message).toMatch(/h\.jsonl:4: field 'deviation'/);
    expect(error!.message).toMatch(/h\.jsonl:5: .*extra/);
  });

  it("takes an explored alert's chance of surfacing, and refuses one outside (0, 1]", () => {
    expect(parseHistory(line({ surface_probability: 0.05 }))[0]).toMatchObject({ surface_probability: 0.05 });
    expect(() => parseHistory([line({ surface_probability: 0 }), line({ surface_probability: 1.5 })].join("\n"), "p.jsonl")).toThrow(
      /2 invalid lines in p\.jsonl:\np\.jsonl:1: field 'surface_probability': must be above 0[^\n]*\np\.jsonl:2: field 'surface_probability'/,
    );
  });

  it("refuses an empty file and a missing one", async () => {
    expect(() => parseHistory("\n\n", "e.jsonl")).toThrow(/e\.jsonl holds no alerts/);
    await expect(readHistoryFile("no-such-history.jsonl")).rejects.toThrow(/cannot read no-such-history\.jsonl: ENOENT/);
  });
});
