import { describe, expect, it } from "vitest";
import type { Episode } from "./episodes.js";
import { alertId, fingerprint, notificationId, owedNotifications, reconcile, type AlertSpan, type SeriesKey } from "./lifecycle.js";
import type { Judgement } from "./predicates.js";

const W = 300_000;
const HOLD = 15 * 60_000; // three windows
const HEX16 = /^[0-9a-f]{16}$/;

const key: SeriesKey = { ruleId: "acc-low", modelId: "fraud", modelVersion: "3", slice: "country=BR", metric: "accuracy", feature: "" };

const judgement = (i: number): Judgement => ({
  start: i * W,
  end: (i + 1) * W,
  state: "breach",
  value: 0.8,
  threshold: 0.9,
  deviation: 0.11,
  n: 100,
  reason: "",
});
/** An episode from window `from` to the end of window `to`, resolved at `resolvedAt` (a window index) or open. */
const episode = (from: number, to: number, resolvedAt: number | null = null): Episode => ({
  start: from * W,
  firedAt: (from + 1) * W,
  lastBreach: (to + 1) * W,
  resolvedAt: resolvedAt === null ? null : resolvedAt * W,
  worst: judgement(from),
  latest: judgement(to),
});
const span = (id: string, from: number, to: number, resolvedAt: number | null = null): AlertSpan => ({
  id,
  start: from * W,
  lastBreach: (to + 1) * W,
  resolvedAt: resolvedAt === null ? null : resolvedAt * W,
});

describe("fingerprint and ids", () => {
  it("a fingerprint is 16 hex digits and stable", () => {
    const fp = fingerprint(key);
    expect(fp).toMatch(HEX16);
    expect(fingerprint({ ...key })).toBe(fp);
    // Key order of the object does not matter.
    expect(
      fingerprint({ feature: "", metric: "accuracy", slice: "country=BR", modelVersion: "3", modelId: "fraud", ruleId: "acc-low" }),
    ).toBe(fp);
  });

  it.each(["ruleId", "modelId", "modelVersion", "slice", "metric", "feature"] as const)("differs when %s differs", (field) => {
    expect(fingerprint({ ...key, [field]: `${key[field]}x` })).not.toBe(fingerprint(key));
  });

  it("fields do not run into each other", () => {
    expect(fingerprint({ ...key, modelId: "ab", modelVersion: "c" })).not.toBe(fingerprint({ ...key, modelId: "a", modelVersion: "bc" }));
    expect(fingerprint({ ...key, slice: "", metric: "drift.amount", feature: "age" })).not.toBe(
      fingerprint({ ...key, slice: "drift.amount", metric: "", feature: "age" }),
    );
  });

  it("every fingerprint of a set of distinct keys is distinct", () => {
    const keys: SeriesKey[] = [];
    for (const ruleId of ["a", "b"])
      for (const modelVersion of ["1", "2"])
        for (const slice of ["", "country=BR"])
          for (const feature of ["", "age"]) keys.push({ ...key, ruleId, modelVersion, slice, feature });
    expect(new Set(keys.map(fingerprint)).size).toBe(keys.length);
  });

  it("an alert id depends on the fingerprint and the episode's start only", () => {
    const fp = fingerprint(key);
    const id = alertId(fp, 1000);
    expect(id).toMatch(HEX16);
    expect(alertId(fp, 1000)).toBe(id);
    expect(alertId(fp, 1001)).not.toBe(id);
    expect(alertId(fingerprint({ ...key, slice: "" }), 1000)).not.toBe(id);
    expect(id).not.toBe(fp);
  });

  it("a notification id differs per alert, kind and receiver", () => {
    const id = notificationId("a1", "firing", "slack");
    expect(id).toMatch(HEX16);
    expect(notificationId("a1", "firing", "slack")).toBe(id);
    expect(
      new Set([
        id,
        notificationId("a2", "firing", "slack"),
        notificationId("a1", "resolved", "slack"),
        notificationId("a1", "firing", "hook"),
      ]).size,
    ).toBe(4);
  });
});

describe("reconcile", () => {
  const fp = fingerprint(key);

  it("creates an alert with a deterministic id for an episode nothing matches", () => {
    const e = episode(4, 6);
    expect(reconcile(fp, [], [e], HOLD, 0)).toEqual([{ kind: "create", id: alertId(fp, 4 * W), episode: e }]);
  });

  it("gives the same ids for the same input twice", () => {
    const eps = [episode(0, 2, 5), episode(20, 22)];
    const first = reconcile(fp, [], eps, HOLD, 0);
    const second = reconcile(fp, [], eps, HOLD, 0);
    expect(second).toEqual(first);
    expect(first.map((c) => c.kind)).toEqual(["create", "create"]);
    expect(new Set(first.map((c) => c.id)).size).toBe(2);
  });

  it("updates the stored alert that an episode overlaps", () => {
    const e = episode(10, 14);
    expect(reconcile(fp, [span("s1", 10, 12)], [e], HOLD, 0)).toEqual([{ kind: "update", id: "s1", episode: e }]);
  });

  it("matches an episode whose start moved earlier after revised data", () => {
    // Stored alert began at window 10; late labels now show the breach began at window 7.
    const e = episode(7, 12);
    const changes = reconcile(fp, [span("s1", 10, 12)], [e], HOLD, 0);
    expect(changes).toEqual([{ kind: "update", id: "s1", episode: e }]);
    expect(changes.some((c) => c.kind === "create")).toBe(false);
  });

  it("matches a stored alert that resolved within the hold before the episode began", () => {
    // Resolved at window 4; hold three windows → matches episodes starting up to window 7.
    expect(reconcile(fp, [span("s1", 0, 3, 4)], [episode(7, 8)], HOLD, 0)[0]).toMatchObject({ kind: "update", id: "s1" });
    expect(reconcile(fp, [span("s1", 0, 3, 4)], [episode(8, 9)], HOLD, 0)[0]).toMatchObject({ kind: "create", id: alertId(fp, 8 * W) });
  });

  it("matches a stored alert that began within the hold after a resolved episode", () => {
    // The episode resolved at window 5; a stored alert starting up to window 8 is the same one.
    expect(reconcile(fp, [span("s1", 8, 9)], [episode(2, 4, 5)], HOLD, 0)[0]).toMatchObject({ kind: "update", id: "s1" });
    expect(reconcile(fp, [span("s1", 9, 9)], [episode(2, 4, 5)], HOLD, 0).map((c) => c.kind)).toEqual(["create", "vanish"]);
  });

  it("with hold 0 needs a real overlap", () => {
    expect(reconcile(fp, [span("s1", 0, 3, 4)], [episode(4, 5)], 0, 0)[0]).toMatchObject({ kind: "update", id: "s1" });
    expect(reconcile(fp, [span("s1", 0, 3, 4)], [episode(5, 6)], 0, 0)[0]).toMatchObject({ kind: "create" });
  });

  it("matches each stored alert to at most one episode, earliest first", () => {
    const stored = [span("late", 30, 32), span("early", 0, 2, 4)];
    const eps = [episode(0, 2, 4), episode(30, 33), episode(60, 61)];
    expect(reconcile(fp, stored, eps, HOLD, 0)).toEqual([
      { kind: "update", id: "early", episode: eps[0] },
      { kind: "update", id: "late", episode: eps[1] },
      { kind: "create", id: alertId(fp, 60 * W), episode: eps[2] },
    ]);
  });

  it("two episodes overlapping one stored alert: the first updates it, the second is new", () => {
    const eps = [episode(0, 1, 2), episode(3, 4)];
    const changes = reconcile(fp, [span("s1", 0, 4)], eps, 0, 0);
    expect(changes).toEqual([
      { kind: "update", id: "s1", episode: eps[0] },
      { kind: "create", id: alertId(fp, 3 * W), episode: eps[1] },
    ]);
  });

  it("a stored open alert with no episode that was judged vanishes", () => {
    const changes = reconcile(fp, [span("gone", 10, 11)], [], HOLD, 10 * W);
    expect(changes).toEqual([{ kind: "vanish", id: "gone" }]);
  });

  it("an open alert from before the judged range is continued by an episode at its start", () => {
    // The evaluator looks back from window 10 only; the alert opened at window 2 is still going.
    const e = episode(10, 12);
    expect(reconcile(fp, [span("long", 2, 9)], [e], HOLD, 10 * W)).toEqual([{ kind: "update", id: "long", episode: e }]);
  });

  it("stored alerts older than the judged range, or already resolved, are left alone", () => {
    expect(reconcile(fp, [span("old", 5, 6)], [], HOLD, 10 * W)).toEqual([]);
    expect(reconcile(fp, [span("done", 12, 13, 14)], [], HOLD, 10 * W)).toEqual([]);
  });

  it("updates, creates and vanishings together", () => {
    // An open stored alert overlaps every later episode, so the one that vanishes starts after them all.
    const stored = [span("kept", 10, 12), span("gone", 90, 91), span("old", 0, 1, 2)];
    const eps = [episode(9, 13, 20), episode(70, 72, 74)];
    expect(reconcile(fp, stored, eps, HOLD, 5 * W)).toEqual([
      { kind: "update", id: "kept", episode: eps[0] },
      { kind: "create", id: alertId(fp, 70 * W), episode: eps[1] },
      { kind: "vanish", id: "gone" },
    ]);
  });
});

describe("owedNotifications", () => {
  const H = 3_600_000;
  const alert = (over: Partial<{ disposition: "surfaced" | "suppressed" | "held"; resolvedAt: number | null }> = {}) => ({
    id: "a1",
    disposition: "surfaced" as const,
    resolvedAt: null,
    firstSeenMs: 10 * H,
    ...over,
  });

  it("a firing alert is owed its firing notification", () => {
    expect(owedNotifications(alert(), 10 * H, 4 * H)).toEqual(["firing"]);
    expect(owedNotifications(alert(), 14 * H - 1, 4 * H)).toEqual(["firing"]);
  });

  it("repeats once per repeat interval, numbered", () => {
    expect(owedNotifications(alert(), 14 * H, 4 * H)).toEqual(["firing", "repeat-1"]);
    expect(owedNotifications(alert(), 17 * H, 4 * H)).toEqual(["firing", "repeat-1"]);
    expect(owedNotifications(alert(), 18 * H, 4 * H)).toEqual(["firing", "repeat-2"]);
    expect(owedNotifications(alert(), 50 * H, 4 * H)).toEqual(["firing", "repeat-10"]);
  });

  it("a repeat interval of 0 never repeats", () => {
    expect(owedNotifications(alert(), 100 * H, 0)).toEqual(["firing"]);
  });

  it("a resolved alert is owed firing and resolved, and no more repeats", () => {
    expect(owedNotifications(alert({ resolvedAt: 11 * H }), 30 * H, 4 * H)).toEqual(["firing", "resolved"]);
  });

  it.each(["suppressed", "held"] as const)("a %s alert is owed nothing, open or resolved", (disposition) => {
    expect(owedNotifications(alert({ disposition }), 30 * H, 4 * H)).toEqual([]);
    expect(owedNotifications(alert({ disposition, resolvedAt: 11 * H }), 30 * H, 4 * H)).toEqual([]);
  });
});
