import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DESIGN_FAMILIES, FAMILIES } from "./families.js";
import type { FamilyHistory } from "./generator.js";

// Each family's acted share as its design states it, for the fourteen last-added families: seven
// held out, then (2026-12-07) three design families and four more held out.
const ACTED_SHARE: Record<string, [number, number]> = {
  rotation: [0.15, 0.2],
  fatigue: [0.08, 0.12],
  "sample-gated": [0.25, 0.3],
  "sparse-many-models": [0.03, 0.06],
  "severity-mix": [0.2, 0.25],
  "seasonal-retrain": [0.1, 0.15],
  "slice-owners": [0.08, 0.12],
  "steady-small": [0.15, 0.2],
  "steady-slices": [0.08, 0.12],
  "steady-mixed-noise": [0.17, 0.23],
  "follow-the-sun": [0.13, 0.19],
  cascades: [0.09, 0.14],
  "retuned-thresholds": [0.25, 0.32],
  "promo-calendar": [0.08, 0.12],
};
const NEW_DESIGN = ["steady-small", "steady-slices", "steady-mixed-noise"];

// Acted alerts needed in the last fifth of a history to judge it late on; a small team's ~1,700
// alerts at 15–20 % acted leave about 60 there.
const LATE_ACTED: Record<string, number> = { "steady-small": 45 };

// The nineteen older histories: the first sixteen as they were before the generator learned slice
// weights, severities per rule and unanswered shares per context, the last three as they were before
// it learned incident hours and breach scales: what they hash to must not change.
const OLDER_HASHES: Record<string, string> = {
  classic: "8542cedb7f158f57",
  "per-model": "c58cbe91015061e4",
  "many-types": "bb5f79f387299739",
  "slice-hours": "0e7704a142044d96",
  "bursty-noisy": "041dc2ee3fbe1b7a",
  drifting: "a300fbbf29596477",
  "rare-acted": "82856abd2f6f93e5",
  "weekday-models": "4b72b9a5ab6e2844",
  "slow-drift": "96367149f5d41e98",
  "mixed-owners": "091c4a2a1d4d103f",
  launches: "87cabb861eec63af",
  "maintenance-rare": "ff42410ba7d4528b",
  rotation: "b900542cd075c170",
  fatigue: "2755fbc62beb5d8f",
  "sample-gated": "e4d6dfa080c24049",
  "sparse-many-models": "8fe7236b2b4530bd",
  "severity-mix": "ca46202b8f851083",
  "seasonal-retrain": "e7f0ca9317577af9",
  "slice-owners": "81b35162a28472c1",
};

// Generating every family is the slow part (a few seconds for all of them): do it once.
const histories = new Map<string, FamilyHistory>(FAMILIES.map((family) => [family.name, family.generate()]));
const historyOf = (name: string) => histories.get(name)!;
const actedShare = (alerts: FamilyHistory["alerts"]) => alerts.filter((a) => a.action === "acted").length / alerts.length;

describe("alert-history families", () => {
  it("lists twenty-six families under distinct names", () => {
    expect(FAMILIES).toHaveLength(26);
    expect(new Set(FAMILIES.map((f) => f.name)).size).toBe(26);
  });

  it.each(Object.entries(OLDER_HASHES))("%s is byte-identical to its history before the newer families", (name, hash) => {
    expect(
      createHash("sha256")
        .update(JSON.stringify(historyOf(name)))
        .digest("hex")
        .slice(0, 16),
    ).toBe(hash);
  });

  it.each(FAMILIES.map((f) => [f.name, f] as const))("%s is deterministic", (name, family) => {
    expect(JSON.stringify(family.generate())).toBe(JSON.stringify(historyOf(name)));
  });

  it.each(FAMILIES.map((f) => f.name))("%s is sorted by time with unique ids and a chance in [0, 1] per alert", (name) => {
    const { alerts, chances } = historyOf(name);
    expect(alerts.length).toBeGreaterThan(0);
    expect(chances).toHaveLength(alerts.length);
    expect(alerts.every((a, i) => i === 0 || alerts[i - 1]!.time <= a.time)).toBe(true);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(alerts.length);
    expect(chances.every((p) => Number.isFinite(p) && p >= 0 && p <= 1)).toBe(true);
  });

  it.each(Object.entries(ACTED_SHARE))("%s has its stated acted share and enough acted alerts to judge late on", (name, [low, high]) => {
    const { alerts } = historyOf(name);
    const share = actedShare(alerts);
    expect(share).toBeGreaterThanOrEqual(low);
    expect(share).toBeLessThanOrEqual(high);
    const last = alerts.slice(Math.floor(0.8 * alerts.length));
    expect(last.filter((a) => a.action === "acted").length).toBeGreaterThanOrEqual(LATE_ACTED[name] ?? 80);
  });

  it("holds out the new families and keeps the design families as written", () => {
    expect([...DESIGN_FAMILIES]).toEqual([
      "classic",
      "per-model",
      "many-types",
      "slice-hours",
      "bursty-noisy",
      "drifting",
      "rare-acted",
      ...NEW_DESIGN,
    ]);
    for (const name of Object.keys(ACTED_SHARE)) expect(FAMILIES.find((f) => f.name === name)?.heldOut).toBe(!NEW_DESIGN.includes(name));
    for (const family of FAMILIES) expect(family.heldOut).toBe(!(DESIGN_FAMILIES as readonly string[]).includes(family.name));
  });
});
