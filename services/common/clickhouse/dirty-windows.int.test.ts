/**
 * The marks of windows to recompute, against real ClickHouse: a mark takes the server's clock, a
 * clear as of a cycle's start removes only what was marked before it, a window marked again after
 * that start stays pending (also after the table's parts are merged), the pending list is
 * bounded and takes both ends of time, and drift windows wait for their version's reference
 * outside the pending count until it releases them.
 */
import { describe, expect, it } from "vitest";
import { useTestStack } from "../../../test/helpers/harness.js";
import { DIRTY_KINDS, dirtyWindowsRepository, type DirtyWindow } from "./dirty-windows.repository.js";
import { ident, sql } from "./sql.js";

describe("dirty windows", () => {
  const stack = useTestStack();

  const w = (model: string, start: number, kind: DirtyWindow["kind"] = "labels", version = ""): DirtyWindow => ({
    kind,
    model_id: model,
    model_version: version,
    window_start: start,
  });
  const sorted = (ws: DirtyWindow[]) => ws.map((x) => `${x.kind}/${x.model_id}/${x.model_version}/${x.window_start}`).sort();

  it("clears what a cycle read and keeps what was marked after it began", async () => {
    const repo = dirtyWindowsRepository(stack.clickhouse);
    await repo.mark([w("a", 300), w("a", 600), w("a", 600, "drift", "v1")]);
    const started = await repo.now();
    const taken = await repo.pending(10, "newest", DIRTY_KINDS);
    expect(sorted(taken)).toEqual(["drift/a/v1/600", "labels/a//300", "labels/a//600"]);
    // New rows for window 600 arrive while the cycle recomputes.
    await new Promise((r) => setTimeout(r, 5));
    await repo.mark([w("a", 600)]);
    await repo.clear(taken, started);
    expect(sorted(await repo.pending(10, "newest", DIRTY_KINDS))).toEqual(["labels/a//600"]);
    expect(await repo.pendingCount()).toBe(1);
    await stack.clickhouse.command(sql`OPTIMIZE TABLE ${ident(`${stack.config.clickhouse.database}.dirty_windows`)} FINAL`);
    expect(sorted(await repo.pending(10, "newest", DIRTY_KINDS))).toEqual(["labels/a//600"]);
    const again = await repo.now();
    await repo.clear(await repo.pending(10, "newest", DIRTY_KINDS), again);
    expect(await repo.pendingCount()).toBe(0);
  });

  it("lists at most the limit per kind from either end: the newest, or the oldest beyond the newest share", async () => {
    const repo = dirtyWindowsRepository(stack.clickhouse);
    const history = Array.from({ length: 2_000 }, (_, i) => w("backfill", i * 300));
    await repo.mark([...history, w("live", 2_000_000_000)]);
    expect(sorted(await repo.pending(3, "newest", DIRTY_KINDS))).toEqual(
      sorted([w("live", 2_000_000_000), w("backfill", 1999 * 300), w("backfill", 1998 * 300)]),
    );
    expect(sorted(await repo.pending(3, "oldest", DIRTY_KINDS, 3))).toEqual(
      sorted([w("backfill", 0), w("backfill", 300), w("backfill", 600)]),
    );
    // Nothing beyond the newest share: the oldest worker leaves it to the newest.
    expect(await repo.pending(3, "oldest", DIRTY_KINDS, 2_001)).toEqual([]);
    await repo.clear(await repo.pending(10_000, "newest", DIRTY_KINDS), await repo.now());
    expect(await repo.pendingCount()).toBe(0);
  });

  it("takes the oldest from one model (and version) per kind: the one whose pending window is the oldest", async () => {
    const repo = dirtyWindowsRepository(stack.clickhouse);
    await repo.clear(await repo.pending(10_000, "newest", DIRTY_KINDS), await repo.now());
    await repo.mark([w("a", 300), w("a", 900), w("b", 0), w("b", 600), w("b", 1200)]);
    await repo.mark([w("m", 600, "drift", "v1"), w("m", 300, "drift", "v2"), w("m", 900, "drift", "v2")]);
    expect(sorted(await repo.pending(10, "oldest", DIRTY_KINDS))).toEqual([
      "drift/m/v2/300",
      "drift/m/v2/900",
      "labels/b//0",
      "labels/b//1200",
      "labels/b//600",
    ]);
    // The limit, and the newest share left to the other workers (b's 1200, drift v2's 900).
    expect(sorted(await repo.pending(1, "oldest", ["labels"]))).toEqual(["labels/b//0"]);
    expect(sorted(await repo.pending(10, "oldest", DIRTY_KINDS, 1))).toEqual(["drift/m/v2/300", "labels/b//0", "labels/b//600"]);
    // Once b is done, a's turn.
    await repo.clear([w("b", 0), w("b", 600), w("b", 1200)], await repo.now());
    expect(sorted(await repo.pending(10, "oldest", ["labels"]))).toEqual(["labels/a//300", "labels/a//900"]);
    await repo.clear(await repo.pending(10_000, "newest", DIRTY_KINDS), await repo.now());
  });

  it("sums the rows each mark counted per window, for sizing the backlog's statements; clears and releases count none", async () => {
    const repo = dirtyWindowsRepository(stack.clickhouse);
    await repo.mark([
      { ...w("rows", 0), rows: 3 },
      { ...w("rows", 300), rows: 1 },
      { ...w("rows", 0, "drift", "v1"), rows: 7 },
    ]);
    await repo.mark([{ ...w("rows", 0), rows: 2 }, w("rows", 900)]);
    await repo.clear([w("rows", 0), w("rows", 300)], await repo.now());
    await repo.awaitReference("rows", "v2", [0]);
    await repo.releaseAwaiting("rows", "v2");
    expect([...(await repo.rowsIn("labels", "rows", "", 0, 900))].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 5],
      [300, 1],
      [900, 1],
    ]);
    expect([...(await repo.rowsIn("labels", "rows", "", 300, 600))]).toEqual([[300, 1]]);
    expect([...(await repo.rowsIn("drift", "rows", "v1", 0, 900))]).toEqual([[0, 7]]);
    expect([...(await repo.rowsIn("drift", "rows", "v2", 0, 900))]).toEqual([]);
    await repo.clear(await repo.pending(10_000, "newest", DIRTY_KINDS), await repo.now());
  });

  it("takes only the kinds asked for, and leaves each kind's own newest share to its worker", async () => {
    const repo = dirtyWindowsRepository(stack.clickhouse);
    await repo.mark([w("m", 0), w("m", 300), w("m", 600), w("m", 0, "drift", "v1"), w("m", 300, "drift", "v1")]);
    expect(sorted(await repo.pending(10, "newest", ["drift"]))).toEqual(["drift/m/v1/0", "drift/m/v1/300"]);
    // The limit is per kind.
    expect(sorted(await repo.pending(1, "newest", DIRTY_KINDS))).toEqual(["drift/m/v1/300", "labels/m//600"]);
    // Each kind's newest one is another worker's: labels 600 and drift 300.
    expect(sorted(await repo.pending(10, "oldest", DIRTY_KINDS, 1))).toEqual(["drift/m/v1/0", "labels/m//0", "labels/m//300"]);
    await repo.clear(await repo.pending(10_000, "newest", DIRTY_KINDS), await repo.now());
  });

  it("keeps a version's drift windows aside until its reference releases them, and counts them apart", async () => {
    const repo = dirtyWindowsRepository(stack.clickhouse);
    await repo.clear(await repo.pending(1000, "newest", DIRTY_KINDS), await repo.now());
    await repo.awaitReference("young", "v1", [300, 600, 900]);
    await repo.awaitReference("young", "v1", [600]);
    await repo.awaitReference("other", "v1", [300]);
    // Neither pending nor taken, so neither the workers nor the stall watch nor the tests wait for them.
    expect(await repo.pendingCount()).toBe(0);
    expect((await repo.progress()).pending).toBe(0);
    expect(await repo.pending(1000, "newest", DIRTY_KINDS)).toEqual([]);
    expect(await repo.awaitingCount()).toBe(4);

    expect(await repo.releaseAwaiting("young", "v1")).toBe(3);
    expect(sorted(await repo.pending(1000, "newest", DIRTY_KINDS))).toEqual([
      "drift/young/v1/300",
      "drift/young/v1/600",
      "drift/young/v1/900",
    ]);
    expect(await repo.awaitingCount()).toBe(1);
    // Released once: a second release (another worker, a restart) finds none.
    expect(await repo.releaseAwaiting("young", "v1")).toBe(0);
    expect(await repo.pendingCount()).toBe(3);
  });
});
