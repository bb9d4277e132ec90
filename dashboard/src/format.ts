/** Number, time and duration formatting shared by the pages. Pure. */

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : `${(x * 100).toFixed(digits)}%`;
}

export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  if (Number.isInteger(x)) return x.toLocaleString("en-US");
  return Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en-US") : x.toFixed(digits);
}

/** "1.2k", "3.4M": counts in tight table cells. */
export function compact(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e4) return `${Math.round(x / 1e3)}k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return String(x);
}

/** A duration in seconds as the largest sensible unit: "45 s", "12 min", "5.2 h", "3.1 d". */
export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "–";
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

/** "5m", "1h", "1d" for a window size in seconds. */
export function windowName(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * ClickHouse DateTime columns arrive as "YYYY-MM-DD hh:mm:ss" in UTC (the services run ClickHouse
 * in UTC); epoch milliseconds and ISO strings pass through.
 */
export function toMs(t: string | number): number {
  if (typeof t === "number") return t;
  if (/^\d+$/.test(t)) return Number(t);
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(t)) return Date.parse(`${t.replace(" ", "T")}Z`);
  return Date.parse(t);
}

/** "2024-01-03 14:00" in UTC: windows are UTC-aligned, so the page speaks UTC too. */
export function utc(ms: number, seconds = false): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, seconds ? 19 : 16)}`;
}

export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, (now - ms) / 1000);
  return `${duration(s)} ago`;
}

/**
 * When an open alert last breached: the end of its last breaching window, which lies ahead while
 * that window is still open ("0 s ago" at a time to come, before).
 */
export function lastBreach(endMs: number, now = Date.now()): string {
  return endMs > now ? `in the window open until ${utc(endMs)} UTC` : `${utc(endMs)} UTC (${ago(endMs, now)})`;
}
