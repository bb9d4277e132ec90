/**
 * What `hindsight import` writes to stderr while it runs: on a terminal a progress bar redrawn in
 * place, elsewhere (a log, CI) a progress line every few seconds; rejected rows as they are found,
 * up to a number, then only counted; and the summary at the end (stdout).
 */
import type { Progress, Reporter, Summary } from "./importer.js";

export interface ReporterOptions {
  write: (text: string) => void;
  tty: boolean;
  /** "line" (CSV, JSON Lines) or "row" (Parquet). */
  unit: "line" | "row";
  /** Rejected rows printed before they are only counted. */
  maxShown: number;
  /** Every rejected row also goes here, when given (--errors FILE). */
  keep?: (line: number, message: string) => void;
  clock?: () => number;
  /** Seconds between progress lines when not on a terminal. */
  everyS?: number;
}

const n = (x: number) => x.toLocaleString("en-US");

export function progressText(p: Progress, tty: boolean): string {
  const pct = Math.floor(p.fraction * 100);
  const rate = p.elapsedMs > 0 ? Math.round((p.rowsRead * 1000) / p.elapsedMs) : 0;
  const counts = `${n(p.rowsRead)} rows, ${n(rate)} rows/s; sent ${n(p.predictions)} predictions, ${n(p.labels)} labels; ${n(p.rejected)} rejected`;
  if (!tty) return `import: ${pct}% read, ${counts}`;
  const width = 24;
  const filled = Math.min(width, Math.round(p.fraction * width));
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(pct).padStart(3)}% ${counts}`;
}

export function terminalReporter(o: ReporterOptions): Reporter & { shown(): number; hidden(): number } {
  const clock = o.clock ?? Date.now;
  let lastDraw = 0;
  let barVisible = false;
  let shown = 0;
  let hidden = 0;
  const clearBar = () => {
    if (barVisible) o.write("\r\x1b[K");
    barVisible = false;
  };
  return {
    rowError(line, message) {
      o.keep?.(line, message);
      if (shown >= o.maxShown) {
        hidden++;
        return;
      }
      shown++;
      clearBar();
      o.write(`${o.unit} ${line}: ${message}\n`);
    },
    progress(p, final) {
      const now = clock();
      if (!final && now - lastDraw < (o.tty ? 200 : (o.everyS ?? 5) * 1000)) return;
      lastDraw = now;
      if (o.tty) {
        o.write(`\r\x1b[K${progressText(p, true)}${final ? "\n" : ""}`);
        barVisible = !final;
      } else o.write(`${progressText(p, false)}\n`);
    },
    shown: () => shown,
    hidden: () => hidden,
  };
}

export function summaryText(s: Summary, reference: boolean): string {
  const rate = s.elapsedMs > 0 ? Math.round((s.rowsRead * 1000) / s.elapsedMs) : 0;
  const rows: Array<[string, string]> = [["rows read", n(s.rowsRead)]];
  if (reference) rows.push(["reference rows", n(s.referenceRows)], ["reference id", s.referenceId ?? "-"]);
  else rows.push(["predictions sent", n(s.predictions)], ["labels sent", n(s.labels)]);
  rows.push(["rows rejected", n(s.rowsRejected)], ["time", `${(s.elapsedMs / 1000).toFixed(1)} s (${n(rate)} rows/s)`]);
  return `${rows.map(([k, v]) => `${k.padEnd(17)} ${v}`).join("\n")}\n`;
}
