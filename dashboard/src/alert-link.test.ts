import { describe, expect, it } from "vitest";
import { alertLink, windowSeconds } from "./alert-link.js";

const base = {
  model_id: "fraud",
  model_version: "v3",
  metric: "accuracy",
  feature: null,
  slice: "",
  window: "5m",
  started_at: "2026-12-01T10:00:00.000Z",
  last_seen_at: "2026-12-01T10:40:00.000Z",
  resolved_at: "2026-12-01T11:00:00.000Z",
};
const START = Date.UTC(2026, 11, 1, 10);
const END = Date.UTC(2026, 11, 1, 11);
const params = (link: string) => Object.fromEntries(new URLSearchParams(link.split("?")[1]));

describe("an alert's link to the chart and window that raised it", () => {
  it("reads window labels", () => {
    expect([windowSeconds("5m"), windowSeconds("1h"), windowSeconds("1d"), windowSeconds("30s")]).toEqual([300, 3600, 86_400, 30]);
    expect(windowSeconds("soon")).toBeNaN();
  });

  it("opens a model's metric on its metrics page at the alert's window size, the episode and twelve windows either side", () => {
    const link = alertLink(base)!;
    expect(link.startsWith("#/models/fraud?")).toBe(true);
    expect(params(link)).toEqual({ window: "300", from: String(START - 12 * 300_000), to: String(END + 12 * 300_000) });
  });

  it("opens a slice's trend, a drifted feature's window with its distribution, and a data check's page", () => {
    expect(alertLink({ ...base, slice: "country=BR" })).toMatch(/^#\/models\/fraud\/slices\?/);
    expect(params(alertLink({ ...base, slice: "country=BR" })!).slice).toBe("country=BR");
    const drift = alertLink({ ...base, metric: "drift.amount", feature: "amount", window: "1h" })!;
    expect(drift).toMatch(/^#\/models\/fraud\/drift\?/);
    expect(params(drift)).toMatchObject({ window: "3600", version: "v3", feature: "amount", at: String(START) });
    expect(alertLink({ ...base, metric: "quality.null_fraction", feature: "age" })).toMatch(
      /^#\/models\/fraud\/drift\?window=300&version=v3&from=/,
    );
  });

  it("reaches one window past the last breach while the alert is open, and has no link without a model", () => {
    const open = alertLink({ ...base, resolved_at: null })!;
    expect(params(open).to).toBe(String(Date.UTC(2026, 11, 1, 10, 45) + 12 * 300_000));
    expect(alertLink({ ...base, model_id: "" })).toBeNull();
    expect(alertLink({ ...base, model_id: "a b/c" })).toMatch(/^#\/models\/a%20b%2Fc\?/);
  });
});
