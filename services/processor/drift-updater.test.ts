/**
 * The drift updater's handling of a version without a reference, against an in-memory repository:
 * windows wait for it while the version has too few predictions, workers running side by side
 * share one automatic reference, and the reference releases what waited instead of asking for a
 * recomputation of the whole history.
 */
import { describe, expect, it } from "vitest";
import type { DriftRepository, ReferenceMeta } from "../common/clickhouse/drift.repository.js";
import { createLogger } from "../common/observability/logger.js";
import { DriftUpdater, spans } from "./drift-updater.js";
import type { SetAsideSink } from "./pipeline-watch.js";

function fakeRepo(stored: { rows: number }) {
  const calls = { firstRows: 0, buildProfiles: 0, recomputed: [] as number[][] };
  let active: ReferenceMeta | undefined;
  const repo = {
    loadRules: async () => new Map(),
    activeReference: async () => active,
    loadProfiles: async () => [],
    firstRows: async (_m: string, _v: string, rows: number) => {
      calls.firstRows++;
      // Slow enough that a second worker asks while the first is still building.
      await new Promise((r) => setTimeout(r, 20));
      // Each build would see the first rows stored so far: a later one, another reference.
      return stored.rows < rows ? undefined : { fromMs: 0, toMs: stored.rows * 1000 };
    },
    buildProfiles: async () => {
      calls.buildProfiles++;
      return { rows: stored.rows, profiles: [] };
    },
    saveReference: async (meta: ReferenceMeta) => {
      active = meta;
    },
    recomputeSummaries: async (_m: string, _v: string, _r: string, _p: unknown, _b: number, windows: number[]) => {
      calls.recomputed.push(windows);
    },
    readSummaries: async () => new Map(),
    writeDrift: async () => undefined,
    writeQuality: async () => undefined,
  };
  return { repo: repo as unknown as DriftRepository, calls };
}

/** Set-aside problems by step, model, version and window, kept across updaters (a restart). */
function fakeFailures() {
  const open = new Set<string>();
  const id = (step: string, m: string, v: string, w: number) => [step, m, v, w].join("/");
  const sink: SetAsideSink = {
    setAside: async (step, m, v, w) => void open.add(id(step, m, v, w)),
    succeeded: async (step, m, v, windows) => windows.filter((w) => open.delete(id(step, m, v, w))).length,
  };
  return { open, sink };
}

function updater(repo: DriftRepository, failures?: SetAsideSink) {
  const waiting = new Map<string, number[]>();
  const jobs: Array<{ basis: string; mode: string }> = [];
  const drift = new DriftUpdater(repo, {
    windowSizes: [300],
    autoReferenceRows: 100,
    logger: createLogger("drift-test", "silent"),
    failures,
    requestJob: async (_m, _v, basis, _reason, mode) => {
      jobs.push({ basis, mode });
    },
    awaiting: {
      add: async (m, v, windows) => {
        waiting.set(`${m}/${v}`, [...(waiting.get(`${m}/${v}`) ?? []), ...windows]);
      },
      release: async (m, v) => {
        const n = waiting.get(`${m}/${v}`)?.length ?? 0;
        waiting.delete(`${m}/${v}`);
        return n;
      },
    },
  });
  return { drift, waiting, jobs };
}

describe("drift of a version without a reference", () => {
  it("keeps its windows waiting while it has too few predictions, and releases them with the reference, adopted without a job", async () => {
    const stored = { rows: 40 };
    const { repo, calls } = fakeRepo(stored);
    const { drift, waiting, jobs } = updater(repo);
    await drift.recomputeWindows("fraud", "v3", [300, 600]);
    expect(waiting.get("fraud/v3")).toEqual([300, 600]);
    expect(calls.recomputed).toEqual([]);

    stored.rows = 150;
    await drift.recomputeWindows("fraud", "v3", [900]);
    expect(calls.buildProfiles).toBe(1);
    expect(waiting.has("fraud/v3")).toBe(false); // released to the workers
    expect(calls.recomputed).toEqual([[900]]);
    expect(jobs.map((j) => j.mode)).toEqual(["adopt"]);
  });

  it("builds one reference for workers asking side by side, not one each", async () => {
    const stored = { rows: 150 };
    const { repo, calls } = fakeRepo(stored);
    const { drift, jobs } = updater(repo);
    const first = drift.recomputeWindows("fraud", "v3", [300]);
    // The backfill goes on storing rows while the first build runs.
    stored.rows = 400;
    const second = drift.recomputeWindows("fraud", "v3", [3_000_000]);
    await Promise.all([first, second]);
    expect(calls.firstRows).toBe(1);
    expect(calls.buildProfiles).toBe(1);
    expect(new Set(jobs.map((j) => j.basis)).size).toBe(1);
    expect(calls.recomputed.flat().sort((a, b) => a - b)).toEqual([300, 3_000_000]);
  });

  it("clears rather than keeps waiting the windows of a version whose reference fails to build, so they never pile up; once built, a job recomputes them", async () => {
    const stored = { rows: 150 };
    const { repo, calls } = fakeRepo(stored);
    const broken = repo as unknown as { buildProfiles: () => Promise<unknown> };
    const build = broken.buildProfiles;
    let attempts = 0;
    broken.buildProfiles = async () => {
      attempts++;
      throw new Error("Code: 62. DB::Exception: Syntax error");
    };
    const failures = fakeFailures();
    const { drift, waiting, jobs } = updater(repo, failures.sink);
    await drift.recomputeWindows("fraud", "v3", [300, 600]);
    expect(waiting.has("fraud/v3")).toBe(false);
    expect([...failures.open]).toEqual(["drift_reference/fraud/v3/0"]);
    expect(jobs).toEqual([]);
    // Set aside, not tried again on the next cycle: the windows of that cycle are cleared too.
    await drift.recomputeWindows("fraud", "v3", [900]);
    expect(attempts).toBe(1);
    expect(waiting.has("fraud/v3")).toBe(false);

    // The cause is gone, and the processor restarted meanwhile: the build is no longer set aside,
    // and the windows cleared without a score are recomputed by a job, not adopted unscored.
    broken.buildProfiles = build;
    const restarted = updater(repo, failures.sink);
    await restarted.drift.recomputeWindows("fraud", "v3", [900]);
    expect(failures.open.size).toBe(0);
    expect(restarted.jobs.map((j) => j.mode)).toEqual(["recompute"]);
    expect(calls.recomputed).toEqual([[900]]);
  });
});

describe("spans", () => {
  it("reads windows of a size together over at most the span, and always at least one", () => {
    const H = 3600;
    expect(spans([0, H, 2 * H, 5 * H], H, 3 * H)).toEqual([[0, H, 2 * H], [5 * H]]);
    // A window longer than the span is read alone.
    expect(spans([0, 86_400], 86_400, 3 * H)).toEqual([[0], [86_400]]);
    expect(spans([], H, H)).toEqual([]);
  });
});

describe("drift per slice", () => {
  /** A version with a reference already, and a slices repository that records what it is asked. */
  function sliced(keys: Map<string, string[]>) {
    const { repo } = fakeRepo({ rows: 1000 });
    const meta: ReferenceMeta = {
      reference_id: "ref-1",
      model_id: "m",
      model_version: "v1",
      source: "upload",
      from_ms: 0,
      to_ms: 0,
      rows: 1000,
      created_at_ms: 1,
    };
    (repo as unknown as { activeReference: () => Promise<ReferenceMeta> }).activeReference = async () => meta;
    const calls = {
      recomputed: [] as Array<{ windows: number[]; sliceKeys: string[]; perKey: number }>,
      read: [] as number[][],
      written: [] as number[][],
    };
    const slices = {
      loadSliceKeys: async () => keys,
      recomputeSummaries: async (
        _m: string,
        _v: string,
        _r: string,
        _p: unknown,
        o: { windows: number[]; sliceKeys: string[]; perKey: number },
      ) => {
        calls.recomputed.push({ windows: o.windows, sliceKeys: o.sliceKeys, perKey: o.perKey });
      },
      readSummaries: async (_m: string, _v: string, _r: string, _p: unknown, fromS: number, toS: number) => {
        calls.read.push([fromS, toS]);
        return new Map();
      },
      writeScores: async (_m: string, _v: string, _r: string, windows: Array<{ startS: number; seconds: number }>) => {
        calls.written.push(windows.map((w) => w.seconds));
      },
    };
    const jobs: string[] = [];
    const drift = new DriftUpdater(repo, {
      windowSizes: [300, 3600],
      autoReferenceRows: 100,
      logger: createLogger("drift-test", "silent"),
      slices: { repo: slices as never, perKey: 7 },
      requestJob: async (_m, _v, basis) => void jobs.push(basis),
    });
    return { drift, calls, jobs };
  }

  it("summarises a sliced model's windows per single key (not its intersections) and scores every window size containing them", async () => {
    const { drift, calls, jobs } = sliced(new Map([["m", ["country", "country × device"]]]));
    await drift.recomputeWindows("m", "v1", [3600, 3900]);
    expect(calls.recomputed).toEqual([{ windows: [3600, 3900], sliceKeys: ["country"], perKey: 7 }]);
    // One read per window size over the windows' range; one write of the 300 s windows and the hour.
    expect(calls.read).toEqual([
      [3600, 4200],
      [3600, 7200],
    ]);
    expect(calls.written).toEqual([[300, 300, 3600]]);
    // The keys are part of what the version is computed with, so changing them asks for a job.
    expect(jobs.at(-1)).toContain('["country"]');
  });

  it("does nothing per slice for a model without declared slice keys, and keeps its basis", async () => {
    const { drift, calls, jobs } = sliced(new Map([["other", ["country"]]]));
    await drift.recomputeWindows("m", "v1", [3600]);
    expect(calls).toEqual({ recomputed: [], read: [], written: [] });
    expect(jobs.at(-1)).toBe("ref-1\u0001");
  });
});
