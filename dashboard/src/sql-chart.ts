/** Whether an SQL result is a time series, and its series if so. Pure. */
import { toMs } from "./format.js";
import type { Aligned } from "./series.js";

export interface Column {
  name: string;
  type: string;
}

const TIME = /^(Nullable\()?(DateTime|Date)\b/;
const NUMBER = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

/**
 * A result is charted when its first time-typed column has at least two distinct values and at
 * least one numeric column exists. With a string column too (e.g. model_version), the first
 * numeric column is drawn once per value of it; otherwise each numeric column is a series.
 */
export function sqlChart(columns: Column[], rows: unknown[][], maxSeries = 8): Aligned | null {
  const t = columns.findIndex((c) => TIME.test(c.type));
  const nums = columns.map((c, i) => (NUMBER.test(c.type) ? i : -1)).filter((i) => i >= 0 && i !== t);
  if (t < 0 || nums.length === 0 || rows.length < 2) return null;
  const cat = columns.findIndex((c, i) => i !== t && /^(Nullable\()?(String|LowCardinality|Enum)/.test(c.type));
  const time = (r: unknown[]) => toMs(r[t] as string | number) / 1000;
  const xs = [...new Set(rows.map(time))].filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length < 2) return null;
  const at = new Map(xs.map((x, i) => [x, i]));
  const series = new Map<string, Array<number | null>>();
  const put = (label: string, x: number, v: unknown) => {
    if (!series.has(label)) {
      if (series.size >= maxSeries) return;
      series.set(
        label,
        xs.map(() => null),
      );
    }
    const n = v === null || v === undefined ? null : Number(v);
    series.get(label)![at.get(x)!] = n !== null && Number.isFinite(n) ? n : null;
  };
  for (const r of rows) {
    const x = time(r);
    if (!at.has(x)) continue;
    if (cat >= 0) put(`${columns[nums[0]!]!.name} · ${String(r[cat])}`, x, r[nums[0]!]);
    else for (const i of nums) put(columns[i]!.name, x, r[i]);
  }
  return { xs, series: [...series.entries()].map(([label, values]) => ({ label, values })) };
}
