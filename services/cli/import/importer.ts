/**
 * The import loop: rows from a source → events → batches under the gateway's limits → the
 * gateway, a few requests in flight while the next rows are read. Whatever a row's fate, it is
 * reported at its line and the rest of the file still loads. Reaches the gateway only through
 * `Gateway`, so it is tested with a fake one.
 */
import { halves, bodyOf, Batcher, type Batch } from "./batches.js";
import type { Answer } from "./http.js";
import { errorMessage } from "./http.js";
import type { Mapping } from "./mapping.js";
import type { RowSource } from "./readers.js";
import { rowEvents } from "./row-events.js";

export interface Gateway {
  /** A request, already retried on 429/503 and connection errors; throws when the gateway stays unavailable. */
  call(method: "POST" | "PUT", path: string, body?: string): Promise<Answer>;
}

export interface Progress {
  rowsRead: number;
  /** Share of the file read, 0 to 1. */
  fraction: number;
  predictions: number;
  labels: number;
  rejected: number;
  elapsedMs: number;
}

export interface Reporter {
  /** A row that was not (fully) loaded, with every reason. */
  rowError(line: number, message: string): void;
  progress(p: Progress, final: boolean): void;
}

export interface ImportSettings {
  maxBodyBytes: number;
  maxBatchItems: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Fixes generated prediction ids (`${idPrefix}:${line}`) and the time of rows without one. */
  idPrefix: string;
  nowMs: number;
  /** Load the rows as a drift reference of the mapping's model (and version) instead of as events. */
  reference: boolean;
}

export interface Summary {
  rowsRead: number;
  predictions: number;
  labels: number;
  rowsRejected: number;
  /** Rows stored as the reference sample, and its id (reference runs). */
  referenceRows: number;
  referenceId: string | undefined;
  elapsedMs: number;
}

/** A problem that ends the import: a wrong token, a refused model, a gateway that stays down. */
export class ImportError extends Error {}

type Kind = "prediction" | "label" | "sample";
const PATHS = { prediction: "/v1/predictions", label: "/v1/labels" } as const;

export async function runImport(
  source: RowSource,
  mapping: Mapping,
  settings: ImportSettings,
  gateway: Gateway,
  reporter: Reporter,
  clock: () => number = Date.now,
): Promise<Summary> {
  const started = clock();
  const s = { rowsRead: 0, predictions: 0, labels: 0, localRejects: 0, referenceRows: 0 };
  // Lines the gateway refused something of (a prediction and its label count once). Grows only with refused rows.
  const refused = new Set<number>();
  const batchers = {
    prediction: new Batcher(settings.maxBodyBytes, settings.maxBatchItems),
    label: new Batcher(settings.maxBodyBytes, settings.maxBatchItems),
    sample: new Batcher(settings.maxBodyBytes, settings.maxBatchItems),
  };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let upload: { id: string; path: string; nextPart: number } | undefined;

  const progress = (final: boolean) =>
    reporter.progress(
      {
        rowsRead: s.rowsRead,
        fraction: source.progress(),
        predictions: s.predictions,
        labels: s.labels,
        rejected: s.localRejects + refused.size,
        elapsedMs: clock() - started,
      },
      final,
    );

  async function sendEvents(kind: "prediction" | "label", batch: Batch): Promise<void> {
    const answer = await gateway.call("POST", PATHS[kind], bodyOf(batch));
    if (answer.status === 202) {
      const body = answer.body as { accepted: number; rejected: Array<{ index: number; path: string; message: string }> };
      if (kind === "prediction") s.predictions += body.accepted;
      else s.labels += body.accepted;
      const byIndex = new Map<number, string[]>();
      for (const r of body.rejected) byIndex.set(r.index, [...(byIndex.get(r.index) ?? []), `${r.path ? `${r.path}: ` : ""}${r.message}`]);
      for (const [index, reasons] of byIndex) {
        const line = batch.lines[index]!;
        refused.add(line);
        reporter.rowError(line, `${kind} refused by the gateway: ${reasons.join("; ")}`);
      }
      return;
    }
    // Limits lower than this client assumed: halve until it fits, an event too large alone is that row's error.
    if (answer.status === 413) {
      if (batch.items.length > 1) {
        for (const half of halves(batch)) await sendEvents(kind, half);
        return;
      }
      refused.add(batch.lines[0]!);
      reporter.rowError(batch.lines[0]!, `${kind} refused by the gateway: ${errorMessage(answer.body)}`);
      return;
    }
    throw new ImportError(`POST ${PATHS[kind]} answered ${answer.status}: ${errorMessage(answer.body)}`);
  }

  async function sendPart(batch: Batch, part: number): Promise<void> {
    const { path } = upload!;
    const answer = await gateway.call("PUT", `${path}/parts/${part}`, bodyOf(batch));
    if (answer.status === 200) {
      s.referenceRows += batch.items.length;
      return;
    }
    // The gateway names the part's first bad row by its index in the part.
    const message = errorMessage(answer.body);
    const row = /^row (\d+): (.*)$/s.exec(message);
    const where = row ? `line ${batch.lines[Number(row[1])]}: ${row[2]}` : message;
    throw new ImportError(`reference part ${part} (lines ${batch.lines[0]}–${batch.lines.at(-1)}) answered ${answer.status}: ${where}`);
  }

  async function openUpload(): Promise<void> {
    const model = (mapping.model as { constant: string }).constant;
    const version = mapping.version && "constant" in mapping.version ? mapping.version.constant : "";
    const base = `/v1/models/${encodeURIComponent(model)}/reference/uploads`;
    const answer = await gateway.call("POST", version ? `${base}?model_version=${encodeURIComponent(version)}` : base);
    if (answer.status !== 201) throw new ImportError(`opening a reference upload answered ${answer.status}: ${errorMessage(answer.body)}`);
    const id = (answer.body as { upload_id: string }).upload_id;
    upload = { id, path: `${base}/${id}`, nextPart: 1 };
  }

  /** Starts sending a closed batch; waits first while `concurrency` requests are in flight. */
  async function dispatch(kind: Kind, batch: Batch): Promise<void> {
    if (batch.items.length === 0) return;
    while (inFlight.size >= settings.concurrency) await Promise.race(inFlight);
    if (failure) throw failure;
    const task = (kind === "sample" ? sendPart(batch, upload!.nextPart++) : sendEvents(kind, batch)).then(
      () => progress(false),
      (err: unknown) => {
        failure ??= err;
      },
    );
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }

  async function drain(): Promise<void> {
    await Promise.all(inFlight);
    if (failure) throw failure;
  }

  if (settings.reference) await openUpload();
  for await (const item of source.rows) {
    s.rowsRead++;
    if ("error" in item) {
      s.localRejects++;
      reporter.rowError(item.line, item.error);
      continue;
    }
    const events = rowEvents(
      item.row,
      mapping,
      { line: item.line, textual: source.textual, nowMs: settings.nowMs, idPrefix: settings.idPrefix },
      settings.reference,
    );
    if (!events.ok) {
      s.localRejects++;
      reporter.rowError(item.line, events.errors.join("; "));
      continue;
    }
    const out: Array<[Kind, object | undefined]> = [
      ["prediction", events.prediction],
      ["label", events.label],
      ["sample", events.sample],
    ];
    const tooLarge = out.find(([kind, e]) => e && !batchers[kind].fits(JSON.stringify(e)));
    if (tooLarge) {
      s.localRejects++;
      reporter.rowError(item.line, `the ${tooLarge[0]} alone is larger than a request body may be (${settings.maxBodyBytes} bytes)`);
      continue;
    }
    for (const [kind, event] of out) {
      if (!event) continue;
      const closed = batchers[kind].add(JSON.stringify(event), item.line);
      if (closed) await dispatch(kind, closed);
    }
    if (s.rowsRead % 1000 === 0) progress(false);
  }
  for (const kind of ["prediction", "label", "sample"] as const) await dispatch(kind, batchers[kind].take());
  await drain();

  let referenceId: string | undefined;
  if (upload) {
    if (s.referenceRows === 0) throw new ImportError("no row could be loaded into the reference; nothing was stored");
    const answer = await gateway.call("POST", `${upload.path}/complete`);
    if (answer.status !== 201) throw new ImportError(`completing the reference answered ${answer.status}: ${errorMessage(answer.body)}`);
    referenceId = (answer.body as { reference_id: string }).reference_id;
  }
  progress(true);
  return {
    rowsRead: s.rowsRead,
    predictions: s.predictions,
    labels: s.labels,
    rowsRejected: s.localRejects + refused.size,
    referenceRows: s.referenceRows,
    referenceId,
    elapsedMs: clock() - started,
  };
}
