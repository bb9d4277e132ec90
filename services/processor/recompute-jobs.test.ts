/**
 * Durable recompute jobs against an in-memory job table and raw event times: a job covers its
 * span in bounded ranges, skips empty stretches, resumes from its cursor in a new instance, is
 * written once per basis, gives way to a newer basis, and stays gone when its model is deleted.
 */
import { describe, expect, it } from "vitest";
import { createLogger } from "../common/observability/logger.js";
import type { RecomputeJob } from "../common/clickhouse/recompute-jobs.repository.js";
import { jobProgress } from "../common/clickhouse/recompute-jobs.repository.js";
import { nextRange, RecomputeJobs, type JobsRepo } from "./recompute-jobs.js";

const BASE = 300;
const DAY = 86_400;

function fakeRepo(eventTimesS: number[]) {
  const jobs = new Map<string, RecomputeJob>();
  const sorted = [...eventTimesS].sort((a, b) => a - b);
  const queries = { nextEventAt: 0 };
  const repo: JobsRepo = {
    write: async (job) => {
      if ((jobs.get(job.job_id)?.updated_at_ms ?? -1) <= job.updated_at_ms) jobs.set(job.job_id, { ...job });
    },
    // As in ClickHouse: a step's update lands only while the job is stored.
    update: async (job) => {
      if (jobs.has(job.job_id)) await repo.write(job);
    },
    latest: async (kind, modelId, version) =>
      [...jobs.values()]
        .filter((j) => j.kind === kind && j.model_id === modelId && j.model_version === version)
        .sort((a, b) => b.created_at_ms - a.created_at_ms)[0],
    running: async () => [...jobs.values()].filter((j) => j.state === "running").sort((a, b) => a.created_at_ms - b.created_at_ms),
    nextEventAt: async (_k, _m, _v, fromS) => {
      queries.nextEventAt++;
      return sorted.find((t) => t >= fromS) ?? null;
    },
    lastEventAt: async () => sorted.at(-1) ?? null,
  };
  return { repo, jobs, queries };
}

function instance(repo: JobsRepo, basis: { current: string }, recomputed: number[][], clock: { now: number }) {
  const step = {
    basis: async () => basis.current,
    recompute: async (_job: RecomputeJob, windows: number[]) => {
      recomputed.push(windows);
    },
  };
  return new RecomputeJobs(
    repo,
    { metrics: step, drift: step },
    { baseSeconds: BASE, maxWindows: 4, owns: () => true, logger: createLogger("jobs-test", "silent"), clock: () => clock.now++ },
  );
}

describe("nextRange", () => {
  it("starts at the base window of the next event and stops at the span's end or the size", () => {
    expect(nextRange(1000, 10_000, BASE, 4)).toEqual([900, 1200, 1500, 1800]);
    expect(nextRange(1000, 1300, BASE, 4)).toEqual([900, 1200]);
    expect(nextRange(5000, 1300, BASE, 4)).toEqual([]);
  });
});

describe("recompute jobs", () => {
  // Two bursts of events half a year apart: 10 base windows each.
  const events = [
    ...Array.from({ length: 10 }, (_, i) => 1_800_000_000 + i * BASE),
    ...Array.from({ length: 10 }, (_, i) => 1_800_000_000 + 180 * DAY + i * BASE),
  ];

  it("covers every window holding events in ranges of at most the size, without walking the empty half year", async () => {
    const { repo, jobs, queries } = fakeRepo(events);
    const recomputed: number[][] = [];
    const jobsRunner = instance(repo, { current: "spec-2" }, recomputed, { now: 1 });
    await jobsRunner.request("metrics", "fraud", "", "spec-2", "model specification changed", "recompute");
    while (await jobsRunner.runOnce()) {}
    expect(recomputed.every((r) => r.length <= 4)).toBe(true);
    // Every window holding events; only the first burst's last range runs on past it (the span ends at the last event).
    const covered = recomputed.flat();
    expect(events.filter((e) => !covered.includes(e))).toEqual([]);
    expect(covered.length).toBe(22);
    // Ranges and one lookup each, not one per empty window of the half year (about 52,000).
    expect(queries.nextEventAt).toBeLessThan(20);
    const [job] = [...jobs.values()];
    expect({ state: job!.state, done: job!.windows_done, progress: jobProgress(job!) }).toEqual({ state: "done", done: 22, progress: 1 });
  });

  it("resumes from its cursor after a restart, redoing at most the range in flight", async () => {
    const { repo } = fakeRepo(events);
    const first: number[][] = [];
    const a = instance(repo, { current: "spec-2" }, first, { now: 1 });
    await a.request("metrics", "fraud", "", "spec-2", "model specification changed", "recompute");
    await a.runOnce();
    await a.runOnce();
    // A new instance after the restart: the same request writes nothing new, and the job goes on.
    const second: number[][] = [];
    const b = instance(repo, { current: "spec-2" }, second, { now: 100 });
    await b.request("metrics", "fraud", "", "spec-2", "model specification changed", "recompute");
    while (await b.runOnce()) {}
    expect(first.flat()).toEqual(events.slice(0, 8));
    expect(events.slice(8).filter((e) => !second.flat().includes(e))).toEqual([]);
    expect(second.flat().filter((w) => first.flat().includes(w))).toEqual([]);
  });

  it("writes one job per basis, a new one when the basis changes back, and supersedes a running job whose basis is gone", async () => {
    const { repo, jobs } = fakeRepo(events);
    const recomputed: number[][] = [];
    const basis = { current: "spec-2" };
    const runner = instance(repo, basis, recomputed, { now: 1 });
    await runner.request("metrics", "fraud", "", "spec-2", "changed", "recompute");
    await runner.request("metrics", "fraud", "", "spec-2", "changed", "recompute");
    expect(jobs.size).toBe(1);
    await runner.runOnce();
    basis.current = "spec-3";
    await runner.request("metrics", "fraud", "", "spec-3", "changed", "recompute");
    expect(jobs.size).toBe(2);
    await runner.runOnce();
    expect([...jobs.values()].map((j) => [j.basis, j.state])).toEqual([
      ["spec-2", "superseded"],
      ["spec-3", "running"],
    ]);
    while (await runner.runOnce()) {}
    // Back to the first spec: its old job is done, yet the windows hold spec-3's results.
    basis.current = "spec-2";
    await runner.request("metrics", "fraud", "", "spec-2", "changed", "recompute");
    expect([...jobs.values()].filter((j) => j.state === "running").map((j) => j.basis)).toEqual(["spec-2"]);
  });

  it("does not write back a job deleted (with its model) while one of its ranges was recomputed", async () => {
    const { repo, jobs } = fakeRepo(events);
    const runner = new RecomputeJobs(
      repo,
      {
        metrics: {
          basis: async () => "b",
          recompute: async () => {
            jobs.clear();
          },
        },
        drift: { basis: async () => "b", recompute: async () => expect.unreachable() },
      },
      { baseSeconds: BASE, owns: () => true, logger: createLogger("jobs-test", "silent") },
    );
    await runner.request("metrics", "fraud", "", "b", "model specification changed", "recompute");
    expect(await runner.runOnce()).toBe(true);
    expect(jobs.size).toBe(0);
    expect(await runner.runOnce()).toBe(false);
  });

  it("adopts a first basis without recomputing, but recomputes when the latest job had another", async () => {
    const { repo, jobs } = fakeRepo(events);
    const recomputed: number[][] = [];
    const runner = instance(repo, { current: "spec-1" }, recomputed, { now: 1 });
    await runner.request("metrics", "fraud", "", "spec-1", "model specification inferred", "adopt");
    expect([...jobs.values()].map((j) => j.state)).toEqual(["done"]);
    // A new instance after the spec changed while none ran: adopting is not enough.
    const next = instance(repo, { current: "spec-2" }, recomputed, { now: 100 });
    await next.request("metrics", "fraud", "", "spec-2", "model specification changed", "adopt");
    while (await next.runOnce()) {}
    expect(recomputed.flat().length).toBe(22);
  });

  it("ends a job whose step fails deterministically, visibly, instead of retrying it forever; an outage is retried", async () => {
    const { repo, jobs } = fakeRepo(events);
    const failures = [new Error("Code: 1000. connect ECONNRESET"), new Error("Code: 62. DB::Exception: Syntax error")];
    const runner = new RecomputeJobs(
      repo,
      {
        metrics: {
          basis: async () => "b",
          recompute: async () => {
            throw failures.shift() ?? new Error("not again");
          },
        },
        drift: { basis: async () => "b", recompute: async () => expect.unreachable() },
      },
      { baseSeconds: BASE, owns: () => true, logger: createLogger("jobs-test", "silent") },
    );
    await runner.request("metrics", "fraud", "", "b", "model specification changed", "recompute");
    await expect(runner.runOnce()).rejects.toThrow(/ECONNRESET/);
    expect(await runner.runOnce()).toBe(true);
    const [job] = [...jobs.values()];
    expect(job!.state).toBe("failed");
    expect(job!.reason).toContain("Syntax error");
    expect(await runner.runOnce()).toBe(false);
  });

  it("does nothing on an instance that does not own the jobs, and marks a job over no events done at once", async () => {
    const { repo, jobs } = fakeRepo([]);
    const runner = new RecomputeJobs(
      repo,
      {
        metrics: { basis: async () => "b", recompute: async () => expect.unreachable() },
        drift: { basis: async () => "b", recompute: async () => expect.unreachable() },
      },
      { baseSeconds: BASE, owns: () => false, logger: createLogger("jobs-test", "silent") },
    );
    await runner.request("drift", "fraud", "v3", "b", "automatic drift reference built", "recompute");
    expect([...jobs.values()].map((j) => j.state)).toEqual(["done"]);
    expect(await runner.runOnce()).toBe(false);
  });
});
