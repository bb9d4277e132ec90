/**
 * The window worker against an in-memory mark table that keeps ClickHouse's rule (the latest time
 * wins per window): it recomputes what is marked by kind, model and version, clears it as of the
 * cycle's start so a window marked again meanwhile stays pending, takes live and old windows in
 * every cycle, and keeps going after a failed cycle.
 */
import { describe, expect, it } from "vitest";
import { createLogger } from "../common/observability/logger.js";
import type { DirtyKind, DirtyWindow } from "../common/clickhouse/dirty-windows.repository.js";
import { groupWindows, rowChunks, WindowWorker, type WindowsRepo } from "./window-worker.js";

const logger = createLogger("window-worker-test", "silent");
const key = (w: DirtyWindow) => JSON.stringify([w.kind, w.model_id, w.model_version, w.window_start]);

/** The marks table: per window the row with the highest time; `clock` stands for ClickHouse's. */
function fakeMarks() {
  const rows = new Map<string, { w: DirtyWindow; at: number; dirty: boolean }>();
  const clock = { now: 1_000 };
  const put = (w: DirtyWindow, at: number, dirty: boolean) => {
    const old = rows.get(key(w));
    // Equal times: the later insert wins, as in a ReplacingMergeTree.
    if (!old || old.at <= at) rows.set(key(w), { w, at, dirty });
  };
  const failNext = { pending: 0 };
  /** window_rows: "kind/model/version/start" → rows marked. */
  const rowCounts = new Map<string, number>();
  const repo: WindowsRepo = {
    now: async () => clock.now,
    pending: async (perKind, end, kinds, skipNewest = 0) => {
      if (failNext.pending > 0) {
        failNext.pending--;
        throw new Error("connect ECONNREFUSED");
      }
      const newestFirst = [...rows.values()]
        .filter((r) => r.dirty && kinds.includes(r.w.kind))
        .map((r) => r.w)
        .sort((a, b) => b.window_start - a.window_start);
      // The n-th window of its kind, in this order.
      const rank = (list: DirtyWindow[], i: number) => list.slice(0, i).filter((x) => x.kind === list[i]!.kind).length;
      if (end === "newest") return newestFirst.filter((_, i) => rank(newestFirst, i) < perKind);
      // Each kind's newest `skipNewest` are left to the newest workers.
      const oldestFirst = newestFirst.filter((_, i) => rank(newestFirst, i) >= skipNewest).reverse();
      return oldestFirst.filter((_, i) => rank(oldestFirst, i) < perKind);
    },
    clear: async (windows, startedAtMs) => {
      for (const w of windows) put(w, startedAtMs - 1, false);
    },
    rowsIn: async (kind, model, version, fromS, toS) =>
      new Map(
        [...rowCounts]
          .filter(([k]) => k.startsWith(`${kind}/${model}/${version}/`))
          .map(([k, n]) => [Number(k.split("/")[3]), n] as const)
          .filter(([x]) => x >= fromS && x <= toS),
      ),
  };
  const mark = (w: DirtyWindow) => put(w, clock.now++, true);
  const pendingKeys = () => [...rows.values()].filter((r) => r.dirty).map((r) => key(r.w));
  return { repo, mark, clock, pendingKeys, failNext, rowCounts };
}

const w = (kind: DirtyKind, model: string, start: number, version = ""): DirtyWindow => ({
  kind,
  model_id: model,
  model_version: version,
  window_start: start,
});

/** Marks of a model's labels at these starts, each with the rows its batch stored. */
function backlogOf(model: string, starts: number[], rows: number) {
  const marks = fakeMarks();
  for (const start of starts) {
    marks.mark(w("labels", model, start));
    marks.rowCounts.set(`labels/${model}//${start}`, rows);
  }
  return marks;
}

function recorder() {
  const calls: Array<[DirtyKind, string, string, number[]]> = [];
  const step = (kind: DirtyKind) => async (modelId: string, version: string, windows: number[]) => {
    calls.push([kind, modelId, version, windows]);
  };
  return { calls, steps: { volume: step("volume"), labels: step("labels"), drift: step("drift") } };
}

describe("groupWindows", () => {
  it("groups by kind, model and version, each group's windows in order", () => {
    const groups = groupWindows([w("labels", "a", 600), w("drift", "a", 300, "v1"), w("labels", "a", 0), w("labels", "b", 300)], 3_000);
    expect(groups).toEqual([
      { kind: "labels", modelId: "a", version: "", windows: [0, 600] },
      { kind: "drift", modelId: "a", version: "v1", windows: [300] },
      { kind: "labels", modelId: "b", version: "", windows: [300] },
    ]);
  });

  it("cuts a group where its windows lie the span or more after the run's first, so no run reads a history", () => {
    const newestAndOldest = [0, 300, 600, 86_400 * 180, 86_400 * 180 + 300].map((s) => w("labels", "a", s));
    expect(groupWindows(newestAndOldest, 1_200).map((g) => g.windows)).toEqual([
      [0, 300, 600],
      [86_400 * 180, 86_400 * 180 + 300],
    ]);
    // Contiguous windows: runs of span below 1,200 s, i.e. at most four 300-s windows.
    const day = Array.from({ length: 10 }, (_, i) => w("volume", "a", i * 300));
    expect(groupWindows(day, 1_200).map((g) => g.windows.length)).toEqual([4, 4, 2]);
  });
});

describe("window worker", () => {
  it("recomputes what is marked, once, and clears it", async () => {
    const marks = fakeMarks();
    const { calls, steps } = recorder();
    marks.mark(w("volume", "m", 300));
    marks.mark(w("labels", "m", 300));
    marks.mark(w("labels", "m", 0));
    marks.mark(w("drift", "m", 300, "v2"));
    const worker = new WindowWorker(marks.repo, steps, { baseSeconds: 300, end: "newest", owns: () => true, logger });
    expect(await worker.cycle()).toBe(4);
    expect([...calls].sort((a, b) => a[0].localeCompare(b[0]))).toEqual([
      ["drift", "m", "v2", [300]],
      ["labels", "m", "", [0, 300]],
      ["volume", "m", "", [300]],
    ]);
    expect(marks.pendingKeys()).toEqual([]);
    expect(await worker.cycle()).toBe(0);
    expect(calls).toHaveLength(3);
  });

  it("keeps a window marked again while it was being recomputed", async () => {
    const marks = fakeMarks();
    const again = w("labels", "m", 300);
    marks.mark(again);
    const steps = {
      ...recorder().steps,
      // New labels for the window arrive while its recomputation reads.
      labels: async () => marks.mark(again),
    };
    const worker = new WindowWorker(marks.repo, steps, { baseSeconds: 300, end: "newest", owns: () => true, logger });
    expect(await worker.cycle()).toBe(1);
    expect(marks.pendingKeys()).toEqual([key(again)]);
  });

  it("splits the work between a live worker for a kind's newest windows and a backlog worker for the oldest beyond them, in runs of bounded span", async () => {
    const marks = fakeMarks();
    const { calls, steps } = recorder();
    for (let i = 0; i < 100; i++) marks.mark(w("labels", "backfill", i * 300));
    marks.mark(w("labels", "live", 1_000_000 * 300));
    // Eight windows per recomputation: the live worker takes a quarter of that (2), the backlog 8 per kind.
    const options = { baseSeconds: 300, owns: () => true, logger, maxWindows: 8 };
    const live = new WindowWorker(marks.repo, { labels: steps.labels }, { ...options, end: "newest" });
    const backlog = new WindowWorker(marks.repo, steps, { ...options, end: "oldest" });
    expect(await live.cycle()).toBe(2);
    expect(calls.map(([, m, , ws]) => `${m} ${ws}`)).toEqual([`live ${1_000_000 * 300}`, `backfill ${99 * 300}`]);
    const before = calls.length;
    expect(await backlog.cycle()).toBe(8);
    expect(calls.slice(before).flatMap(([, , , ws]) => ws)).toEqual(Array.from({ length: 8 }, (_, i) => i * 300));
    // The backlog worker leaves the live worker's share alone, so no window is taken twice.
    while ((await backlog.cycle()) + (await live.cycle()) > 0);
    expect(marks.pendingKeys()).toEqual([]);
    const recomputed = calls.flatMap(([, m, , ws]) => ws.map((x) => `${m}/${x}`));
    expect(recomputed).toHaveLength(101);
    expect(new Set(recomputed).size).toBe(101);
    for (const [, , , ws] of calls) expect(ws.at(-1)! - ws[0]!).toBeLessThan(8 * 300);
  });

  it("cuts the backlog's statements by the rows they read: thousands of sparse windows at once, dense ones alone", () => {
    const o = { baseSeconds: 300, maxWindows: 8, maxRows: 800, maxSpan: 80 };
    const starts = (n: number, from = 0) => Array.from({ length: n }, (_, i) => (from + i) * 300);
    // Rows unknown: 800 / 8 = 100 each, so eight windows a statement, as without any counts.
    expect(rowChunks(starts(20), new Map(), o).map((c) => c.length)).toEqual([8, 8, 4]);
    // One row each: all twenty at once.
    expect(rowChunks(starts(20), new Map(starts(20).map((w) => [w, 1])), o)).toEqual([starts(20)]);
    // 500 rows each: 1,000 would pass 800, so one a statement.
    expect(rowChunks(starts(3), new Map(starts(3).map((w) => [w, 500])), o)).toEqual([[0], [300], [600]]);
    // A window in between that is not pending is read too: 50 + 700 + 50 fits, 50 + 701 + 50 does not.
    expect(
      rowChunks(
        [0, 3000],
        new Map([
          [0, 50],
          [1500, 700],
          [3000, 50],
        ]),
        o,
      ),
    ).toEqual([[0, 3000]]);
    expect(
      rowChunks(
        [0, 3000],
        new Map([
          [0, 50],
          [1500, 701],
          [3000, 50],
        ]),
        o,
      ),
    ).toEqual([[0], [3000]]);
    // At most 80 base windows of event time, however few the rows; duplicates and order do not matter.
    expect(
      rowChunks(
        [80 * 300, 0, 0, 79 * 300],
        new Map([
          [0, 1],
          [79 * 300, 1],
          [80 * 300, 1],
        ]),
        o,
      ),
    ).toEqual([[0, 79 * 300], [80 * 300]]);
  });

  it("takes a sparse backlog in one statement of up to ten times maxWindows, a dense one a window at a time", async () => {
    const marks = backlogOf(
      "sparse",
      Array.from({ length: 100 }, (_, i) => i * 300),
      1,
    );
    const { calls, steps } = recorder();
    const options = { baseSeconds: 300, owns: () => true, logger, maxWindows: 8, maxRows: 1_000 };
    const backlog = new WindowWorker(marks.repo, steps, { ...options, end: "oldest" });
    // Beyond the live share (2): the oldest 80 in one statement, then the 18 left.
    expect(await backlog.cycle()).toBe(80);
    expect(calls.map(([, , , ws]) => ws.length)).toEqual([80]);
    expect(await backlog.cycle()).toBe(18);
    expect(await backlog.cycle()).toBe(0);

    const dense = backlogOf(
      "dense",
      Array.from({ length: 10 }, (_, i) => i * 300),
      600,
    );
    const d = recorder();
    const denseBacklog = new WindowWorker(dense.repo, d.steps, { ...options, end: "oldest" });
    expect(await denseBacklog.cycle()).toBe(1);
    expect(d.calls.map(([, , , ws]) => ws)).toEqual([[0]]);
    // What a cycle did not take stays pending.
    expect(dense.pendingKeys()).toHaveLength(9);
  });

  it("takes a dense backlog marked by cell as many base windows a cycle as one marked by window", async () => {
    // Ten base windows of 300 s, each with its thirty cells of 10 s marked, a few rows each.
    const cells = Array.from({ length: 300 }, (_, i) => i * 10);
    const marks = backlogOf("cells", cells, 2);
    const { calls, steps } = recorder();
    const options = { baseSeconds: 300, owns: () => true, logger, maxWindows: 8, maxRows: 1_000, end: "oldest" as const };
    // Beyond the live share (2 cells): every other cell in one statement, as ten windows would go.
    expect(await new WindowWorker(marks.repo, steps, { ...options, marksPerWindow: { labels: 30 } }).cycle()).toBe(298);
    expect(calls.map(([, , , ws]) => ws.length)).toEqual([298]);

    // Taking only as many marks as windows, a cycle would cover 80 cells: under three windows.
    expect(await new WindowWorker(backlogOf("cells", cells, 2).repo, recorder().steps, options).cycle()).toBe(80);
  });

  it("does nothing on an instance that does not own the work", async () => {
    const marks = fakeMarks();
    const { calls, steps } = recorder();
    marks.mark(w("labels", "m", 300));
    const worker = new WindowWorker(marks.repo, steps, { baseSeconds: 300, end: "newest", owns: () => false, logger });
    expect(await worker.cycle()).toBe(0);
    expect(calls).toEqual([]);
    expect(marks.pendingKeys()).toHaveLength(1);
  });

  it("leaves the windows marked when a step throws, and tries again after a pause", async () => {
    const marks = fakeMarks();
    marks.mark(w("labels", "m", 300));
    let failures = 1;
    const done: number[][] = [];
    const steps = {
      ...recorder().steps,
      labels: async (_m: string, _v: string, windows: number[]) => {
        if (failures-- > 0) throw new Error("connect ECONNREFUSED");
        done.push(windows);
      },
    };
    marks.failNext.pending = 1;
    const pauses: number[] = [];
    const worker = new WindowWorker(marks.repo, steps, {
      baseSeconds: 300,
      end: "newest",
      owns: () => true,
      logger,
      sleep: async (ms) => {
        pauses.push(ms);
        await new Promise((r) => setTimeout(r, 1));
      },
    });
    worker.start();
    for (let i = 0; i < 100 && done.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await worker.stop();
    expect(done).toEqual([[300]]);
    expect(marks.pendingKeys()).toEqual([]);
    // Two failed cycles (reading the marks, then the step) backed off before the one that worked.
    expect(pauses.slice(0, 2)).toEqual([200, 400]);
  });

  it("paces busy cycles by their own length and wakes an idle one when nudged", async () => {
    const marks = fakeMarks();
    const { steps } = recorder();
    const t = { now: 0 };
    const waits: Array<{ ms: number; woken: boolean }> = [];
    const worker: WindowWorker = new WindowWorker(
      marks.repo,
      { ...steps, labels: async () => void (t.now += 700) },
      {
        baseSeconds: 300,
        end: "newest",
        owns: () => true,
        logger,
        minPauseMs: 100,
        pollMs: 60_000,
        clock: () => t.now,
        sleep: async (ms, wake) => {
          // The first busy pause is nudged (marks stored meanwhile); the idle wait is nudged too.
          if (waits.length === 0) marks.mark(w("labels", "m", 600));
          if (waits.length !== 1) worker.nudge();
          const woken = await Promise.race([wake.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20))]);
          waits.push({ ms, woken });
          if (waits.length === 3) void worker.stop();
        },
      },
    );
    marks.mark(w("labels", "m", 300));
    worker.start();
    await new Promise((r) => setTimeout(r, 200));
    await worker.stop();
    // Busy cycle of 700 ms: a 700 ms pause (not the 100 ms minimum), not cut short by the nudge.
    expect(waits[0]).toEqual({ ms: 700, woken: false });
    expect(waits[1]).toEqual({ ms: 700, woken: false });
    // Then idle: the long poll, ended by the nudge.
    expect(waits[2]).toEqual({ ms: 60_000, woken: true });
  });
});
