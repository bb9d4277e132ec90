/**
 * The time range every chart of a page follows: the last hour, day or week before now, a custom
 * span, or all the data. It lives in the URL (`range=1h|1d|7d`, or `from`/`to` in epoch ms), so a
 * view can be shared. Pure: the caller passes the clock.
 */

export const RANGES = [
  ["1h", "last hour", 3_600_000],
  ["1d", "last day", 86_400_000],
  ["7d", "last week", 7 * 86_400_000],
  ["all", "all", null],
] as const;

export type RangeKey = (typeof RANGES)[number][0] | "custom";

export interface TimeRange {
  key: RangeKey;
  /** epoch ms; absent: from the first data */
  fromMs?: number;
  /** epoch ms, exclusive; absent: up to now (for a relative range) or the last data */
  toMs?: number;
}

/** The range a URL asks for; anything unreadable means all the data. */
export function parseRange(query: URLSearchParams, nowMs: number): TimeRange {
  const from = Number(query.get("from"));
  const to = Number(query.get("to"));
  if (query.has("from") && query.has("to") && Number.isFinite(from) && Number.isFinite(to) && from < to) {
    return { key: "custom", fromMs: from, toMs: to };
  }
  const relative = RANGES.find(([k]) => k === query.get("range"));
  if (relative && relative[2] !== null) return { key: relative[0], fromMs: nowMs - relative[2], toMs: nowMs };
  return { key: "all" };
}

/** The URL parameters that keep this range (none for all the data). */
export function rangeParams(range: TimeRange): Record<string, string> {
  if (range.key === "custom") return { from: String(range.fromMs), to: String(range.toMs) };
  if (range.key === "all") return {};
  return { range: range.key };
}

/**
 * The API's `from`/`to` for windows of `windowSeconds` that overlap the range, on window boundaries
 * (windows are UTC-aligned): a window that starts before the range but reaches into it is shown
 * whole (a day's window for "the last hour"), never the part of it after `from` alone.
 */
export function apiBounds(range: TimeRange, windowSeconds: number): { from?: number; to?: number } {
  const w = windowSeconds * 1000;
  return {
    ...(range.fromMs === undefined ? {} : { from: Math.floor(range.fromMs / w) * w }),
    ...(range.toMs === undefined ? {} : { to: Math.ceil(range.toMs / w) * w }),
  };
}

/**
 * The window size (seconds, of `sizes`) whose windows cover the range most closely: the largest
 * whose boundaries hold both ends, else the smallest. A total over the range (the slice ranking)
 * then sums the data in the range, not whole days around it; all the data takes the largest.
 */
export function coveringWindow(range: TimeRange, sizes: readonly number[]): number {
  const bySize = [...sizes].sort((a, b) => b - a);
  const fits = (w: number) => [range.fromMs, range.toMs].every((ms) => ms === undefined || ms % (w * 1000) === 0);
  return bySize.find(fits) ?? bySize.at(-1)!;
}

/**
 * A chart's x axis (epoch seconds): the data's own span (`dataSpan`, from timeSpan) widened to the
 * range, so a chosen range always shows whole and every point inside it stays visible, one included.
 */
export function axisSpan(dataSpan: [number, number] | null, range: TimeRange): [number, number] | null {
  if (range.fromMs === undefined || range.toMs === undefined) return dataSpan;
  const from = range.fromMs / 1000;
  const to = range.toMs / 1000;
  if (!dataSpan) return [from, to];
  return [Math.min(dataSpan[0], from), Math.max(dataSpan[1], to)];
}

/** "2026-12-06T05:00" for a datetime-local input, in UTC as the dashboard speaks. */
export function toInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

/** The epoch ms of a datetime-local input's value read as UTC; NaN when empty or unreadable. */
export function fromInput(value: string): number {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? Date.parse(`${value}Z`) : Number.NaN;
}
