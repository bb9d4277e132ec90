import { describe, expect, it } from "vitest";
import type { Answer } from "./http.js";
import { ImportError, runImport, type Gateway, type ImportSettings } from "./importer.js";
import { resolveMapping } from "./mapping.js";
import type { RowSource, SourceRow } from "./readers.js";

const settings: ImportSettings = {
  maxBodyBytes: 1_000_000,
  maxBatchItems: 3,
  concurrency: 2,
  idPrefix: "f.csv",
  nowMs: Date.UTC(2027, 0, 1),
  reference: false,
};
const mapping = resolveMapping({ model: "m", version: "v1", id: "id", time: "t", score: "p", label: "y" }, {}, { reference: false });

function source(rows: SourceRow[]): RowSource {
  let taken = 0;
  return {
    rows: (async function* () {
      for (const r of rows) {
        taken++;
        yield r;
      }
    })(),
    progress: () => taken / rows.length,
    textual: true,
    unit: "line",
  };
}
const good = (line: number) => ({ line, row: { id: `r${line}`, t: "2026-06-01T00:00:00Z", p: "0.5", y: "1", x: "3" } });

/** A gateway that refuses, per item, every prediction whose score is "0.99" (as if out of range) and records the calls. */
function fakeGateway(overrides: (method: string, path: string, items: any[]) => Answer | undefined = () => undefined) {
  const calls: Array<{ method: string; path: string; items: any[] }> = [];
  const gateway: Gateway = {
    async call(method, path, body) {
      const items = body === undefined ? [] : JSON.parse(body);
      calls.push({ method, path, items });
      const o = overrides(method, path, items);
      if (o) return o;
      const rejected = items.flatMap((e: any, index: number) =>
        e.prediction?.score === 0.99 ? [{ index, path: "prediction.score", message: "must be a probability in [0, 1]" }] : [],
      );
      return { status: 202, body: { accepted: items.length - rejected.length, rejected } };
    },
  };
  return { gateway, calls };
}
function reporter() {
  const errors: string[] = [];
  const finals: number[] = [];
  return {
    errors,
    finals,
    r: { rowError: (l: number, m: string) => errors.push(`${l}: ${m}`), progress: (_: unknown, f: boolean) => f && finals.push(1) },
  };
}

describe("the import loop", () => {
  it("sends every row's events in batches and counts them", async () => {
    const g = fakeGateway();
    const rep = reporter();
    const summary = await runImport(source([2, 3, 4, 5, 6, 7, 8].map(good)), mapping, settings, g.gateway, rep.r);
    expect(summary).toMatchObject({ rowsRead: 7, predictions: 7, labels: 7, rowsRejected: 0 });
    const sizes = (path: string) => g.calls.filter((c) => c.path === path).map((c) => c.items.length);
    expect(sizes("/v1/predictions")).toEqual([3, 3, 1]);
    expect(sizes("/v1/labels")).toEqual([3, 3, 1]);
    expect(g.calls.flatMap((c) => (c.path === "/v1/labels" ? c.items.map((i) => i.prediction_id) : []))).toEqual([
      "r2",
      "r3",
      "r4",
      "r5",
      "r6",
      "r7",
      "r8",
    ]);
    expect(rep.errors).toEqual([]);
    expect(rep.finals).toEqual([1]);
  });

  it("reports unreadable rows, unconvertible rows and the gateway's per-item refusals at their lines, and loads the rest", async () => {
    const g = fakeGateway();
    const rep = reporter();
    const rows: SourceRow[] = [
      good(2),
      { line: 3, error: "CSV: Invalid Record Length" },
      { line: 4, row: { ...good(4).row, p: "high" } },
      { line: 6, row: { ...good(6).row, p: "0.99" } },
      good(7),
    ];
    const summary = await runImport(source(rows), mapping, settings, g.gateway, rep.r);
    expect(rep.errors).toEqual([
      "3: CSV: Invalid Record Length",
      '4: p: "high" is not a number',
      "6: prediction refused by the gateway: prediction.score: must be a probability in [0, 1]",
    ]);
    // Line 6's label was accepted; the row still counts once as rejected.
    expect(summary).toMatchObject({ rowsRead: 5, predictions: 2, labels: 3, rowsRejected: 3 });
  });

  it("halves a batch the gateway finds too large, down to the one event that is", async () => {
    const g = fakeGateway((_m, path, items) =>
      path === "/v1/predictions" && (items.length > 1 || items[0].prediction_id === "r3")
        ? { status: 413, body: { error: { message: "too large" } } }
        : undefined,
    );
    const rep = reporter();
    const summary = await runImport(source([2, 3, 4].map(good)), mapping, settings, g.gateway, rep.r);
    expect(rep.errors).toEqual(["3: prediction refused by the gateway: too large"]);
    expect(summary).toMatchObject({ predictions: 2, labels: 3, rowsRejected: 1 });
  });

  it("stops on an answer no retry or split can fix, such as a wrong token", async () => {
    const g = fakeGateway(() => ({ status: 401, body: { error: { message: "invalid token" } } }));
    await expect(runImport(source([2, 3].map(good)), mapping, settings, g.gateway, reporter().r)).rejects.toThrow(
      new ImportError("POST /v1/predictions answered 401: invalid token"),
    );
  });

  it("loads a reference: opens an upload, sends numbered parts, completes it", async () => {
    const refMapping = resolveMapping({ model: "m", version: "v1", score: "p" }, {}, { reference: true });
    const g = fakeGateway((method, path) => {
      if (method === "POST" && path === "/v1/models/m/reference/uploads?model_version=v1")
        return { status: 201, body: { upload_id: "upload-1" } };
      if (method === "PUT") return { status: 200, body: {} };
      if (path.endsWith("/complete")) return { status: 201, body: { reference_id: "upload-1" } };
      return { status: 500, body: {} };
    });
    const summary = await runImport(source([2, 3, 4, 5].map(good)), refMapping, { ...settings, reference: true }, g.gateway, reporter().r);
    expect(g.calls.map((c) => `${c.method} ${c.path} ${c.items.length}`)).toEqual([
      "POST /v1/models/m/reference/uploads?model_version=v1 0",
      "PUT /v1/models/m/reference/uploads/upload-1/parts/1 3",
      "PUT /v1/models/m/reference/uploads/upload-1/parts/2 1",
      "POST /v1/models/m/reference/uploads/upload-1/complete 0",
    ]);
    expect(g.calls[1]!.items[0]).toEqual({ features: { id: "r2", t: "2026-06-01T00:00:00Z", y: 1, x: 3 }, prediction: { score: 0.5 } });
    expect(summary).toMatchObject({ referenceRows: 4, referenceId: "upload-1" });
  });

  it("names the file line of a reference part's bad row", async () => {
    const refMapping = resolveMapping({ model: "m", score: "p" }, {}, { reference: true });
    const g = fakeGateway((method) =>
      method === "PUT"
        ? { status: 400, body: { error: { message: "row 1: features.x: must be a finite number" } } }
        : { status: 201, body: { upload_id: "upload-1" } },
    );
    await expect(
      runImport(source([2, 3].map(good)), refMapping, { ...settings, reference: true }, g.gateway, reporter().r),
    ).rejects.toThrow("reference part 1 (lines 2–3) answered 400: line 3: features.x: must be a finite number");
  });
});
