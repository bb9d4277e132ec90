import { describe, expect, it } from "vitest";
import { createLogger } from "../common/observability/logger.js";
import type { PipelineProblem } from "../common/clickhouse/pipeline-failures.repository.js";
import { FailureLedger, GroupWatch } from "./pipeline-watch.js";

describe("GroupWatch", () => {
  const w = () => new GroupWatch({ stallMs: 60_000, maxLag: 1000 }, "g-metrics", 0);

  it("opens a stall when unread messages see no progress for stallMs, and resolves it on progress", () => {
    const watch = w();
    expect(watch.check({ committed: 10, lag: 5 }, 0)).toEqual([]);
    expect(watch.check({ committed: 10, lag: 50 }, 59_000)).toEqual([]);
    const [opened] = watch.check({ committed: 10, lag: 80 }, 61_000);
    expect(opened).toMatchObject({ kind: "stalled", failure_id: "stalled:g-metrics", resolved_ms: 0 });
    expect(opened!.reason).toMatch(/has not advanced for 61 s with 80 messages unread/);
    expect(watch.check({ committed: 10, lag: 90 }, 62_000)).toEqual([]);
    const [resolved] = watch.check({ committed: 11, lag: 89 }, 63_000);
    expect(resolved).toMatchObject({ kind: "stalled", resolved_ms: 63_000 });
  });

  it("an idle group (nothing unread) is never stalled; a backlog above the bound is lag", () => {
    const watch = w();
    expect(watch.check({ committed: 10, lag: 0 }, 0)).toEqual([]);
    expect(watch.check({ committed: 10, lag: 0 }, 3_600_000)).toEqual([]);
    expect(watch.check({ committed: 20, lag: 5000 }, 3_600_001).map((p) => p.kind)).toEqual(["metrics_lag"]);
    expect(watch.check({ committed: 5000, lag: 10 }, 3_600_002).map((p) => [p.kind, p.resolved_ms])).toEqual([["metrics_lag", 3_600_002]]);
  });

  it("resolves a problem left open by an earlier run", () => {
    const watch = w();
    watch.adopt([{ failure_id: "stalled:g-metrics", kind: "stalled" } as PipelineProblem]);
    expect(watch.check({ committed: 1, lag: 0 }, 5).map((p) => [p.kind, p.resolved_ms])).toEqual([["stalled", 5]]);
  });

  it("opens a window workers' stall when marked windows wait and none is cleared for stallMs, apart from the group's", () => {
    const watch = w();
    const at = (pending: number, lastCleared: number) => ({ committed: 10, lag: 0, windows: { pending, lastCleared } });
    expect(watch.check(at(3, 1_000), 0)).toEqual([]);
    // Live traffic marks windows all the time; clearing moves on, so it is no stall.
    expect(watch.check(at(3, 2_000), 59_000)).toEqual([]);
    expect(watch.check(at(3, 3_000), 119_000)).toEqual([]);
    expect(watch.check(at(3, 3_000), 178_000)).toEqual([]);
    const [opened] = watch.check(at(5, 3_000), 179_001);
    expect(opened).toMatchObject({ kind: "stalled", step: "window_worker", failure_id: "stalled:windows:g-metrics", resolved_ms: 0 });
    expect(opened!.reason).toMatch(/no marked window has been recomputed for 60 s with 5 waiting/);
    expect(watch.isOpen("stalled")).toBe(true);
    const [resolved] = watch.check(at(4, 4_000), 180_000);
    expect(resolved).toMatchObject({ failure_id: "stalled:windows:g-metrics", resolved_ms: 180_000 });
    // Nothing waiting is never a stall, however long since the last clear.
    expect(watch.check(at(0, 4_000), 10_000_000)).toEqual([]);
  });

  it("resolves a window workers' stall left open by an earlier run", () => {
    const watch = w();
    watch.adopt([{ failure_id: "stalled:windows:g-metrics", kind: "stalled" } as PipelineProblem]);
    const [resolved] = watch.check({ committed: 1, lag: 0, windows: { pending: 0, lastCleared: 0 } }, 5);
    expect(resolved).toMatchObject({ failure_id: "stalled:windows:g-metrics", resolved_ms: 5 });
  });
});

describe("FailureLedger", () => {
  it("writes a set-aside window once, keeps its first sighting, and resolves it when the window succeeds", async () => {
    const written: PipelineProblem[] = [];
    const gauge: number[] = [];
    let now = 1000;
    const ledger = new FailureLedger(
      { write: async (r) => void written.push(...r), openOfKind: async () => [] },
      { problems: (_k, n) => gauge.push(n), lag: () => undefined },
      createLogger("t", "silent"),
      () => now,
    );
    await ledger.start();
    await ledger.setAside("label_stats", "m", "", 300, new Error("Code: 62. DB::Exception: Syntax error\nmore"));
    now = 2000;
    await ledger.setAside("label_stats", "m", "", 300, new Error("Code: 62. DB::Exception: Syntax error"));
    expect(written.map((r) => [r.first_seen_ms, r.updated_ms, r.error_code, r.reason])).toEqual([
      [1000, 1000, "62", "Code: 62. DB::Exception: Syntax error"],
      [1000, 2000, "62", "Code: 62. DB::Exception: Syntax error"],
    ]);
    await ledger.succeeded("label_stats", "m", "", [0, 600]);
    expect(written).toHaveLength(2);
    now = 3000;
    await ledger.succeeded("label_stats", "m", "", [300]);
    expect(written.at(-1)).toMatchObject({ resolved_ms: 3000, window_start: 300 });
    expect(gauge).toEqual([0, 1, 1, 0]);
  });
});
