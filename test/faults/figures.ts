/**
 * Sizes and figures of the fault suite. HINDSIGHT_FAULTS=full runs the sizes of the issue
 * (`npm run test:faults`); otherwise the short sizes that `npm test` runs. Each scenario prints one
 * figures line and appends it to .cache/faults/figures.jsonl; the suite's teardown prints the run's
 * figures as a Markdown table (see summary.ts).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR } from "../../infra/local/paths.js";
import type { Findings } from "./ledger.js";

export const FULL = process.env.HINDSIGHT_FAULTS === "full";
export const MODE = FULL ? "full" : "short";

/** The short size, or the full one under HINDSIGHT_FAULTS=full. */
export const size = <T>(short: T, full: T): T => (FULL ? full : short);

export const FIGURES_FILE = join(CACHE_DIR, "faults", "figures.jsonl");

export interface Figures {
  scenario: string;
  sent: number;
  found: number;
  lost: number;
  doubled: number;
  inDlq: number;
  recoveryS: number | null;
  note?: string;
}

/** Figures of a ledger check: predictions and labels together (distinct events sent, rows found). */
export function fromFindings(
  scenario: string,
  f: Findings,
  extra: { inDlq?: number; recoveryS?: number | null; note?: string } = {},
): Figures {
  return {
    scenario,
    sent: f.predictions.sent + f.labels.sent,
    found: f.predictions.found + f.labels.found,
    lost: f.predictions.lost + f.labels.lost,
    doubled: f.predictions.doubled + f.labels.doubled + f.predictions.foreign + f.labels.foreign,
    inDlq: extra.inDlq ?? 0,
    recoveryS: extra.recoveryS ?? null,
    note: extra.note,
  };
}

export function report(figures: Figures): void {
  const line =
    `[faults:${MODE}] ${figures.scenario}: sent ${figures.sent}, found ${figures.found}, lost ${figures.lost}, doubled ${figures.doubled}, ` +
    `in DLQ ${figures.inDlq}, recovery ${figures.recoveryS === null ? "n/a" : `${figures.recoveryS.toFixed(1)} s`}${figures.note ? ` (${figures.note})` : ""}`;
  process.stderr.write(`${line}\n`);
  mkdirSync(join(CACHE_DIR, "faults"), { recursive: true });
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ mode: MODE, at: new Date().toISOString(), ...figures })}\n`);
}
