/**
 * Charts: uPlot for time series (fast on thousands of points, 50 KB, no dependencies), small
 * hand-written SVG for sparklines and bar charts, where a library would add nothing.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom.js";
import { utc } from "./format.js";
import { axisSpan, type TimeRange } from "./range.js";
import { timeSpan } from "./series.js";

export const PALETTE = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#be185d"];

export interface LineSpec {
  label: string;
  values: Array<number | null>;
  color: string;
  dash?: number[];
  width?: number;
  /** draw only points (no line), e.g. provisional values */
  pointsOnly?: boolean;
  fill?: string;
}

export function timeChart(
  container: HTMLElement,
  xs: number[],
  lines: LineSpec[],
  opts: {
    height?: number;
    yRange?: [number, number];
    yFormat?: (v: number) => string;
    syncKey?: string;
    windowSeconds?: number;
    /** The page's time range: the axis spans it (and any window reaching outside it). */
    range?: TimeRange;
  } = {},
): uPlot {
  const width = Math.max(320, container.clientWidth || 800);
  const span = axisSpan(timeSpan(xs, opts.windowSeconds), opts.range ?? { key: "all" });
  const chart = new uPlot(
    {
      width,
      height: opts.height ?? 240,
      cursor: opts.syncKey ? { sync: { key: opts.syncKey } } : {},
      legend: { live: true },
      // Windows are UTC-aligned: the axis speaks UTC too, with uPlot's own tick spacing.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: {
        x: { time: true, range: (_u, min, max) => span ?? [min, max] },
        y: opts.yRange ? { range: () => opts.yRange! } : { auto: true },
      },
      axes: [
        { stroke: "#555", grid: { stroke: "#eee" } },
        {
          stroke: "#555",
          grid: { stroke: "#eee" },
          size: 56,
          values: (_u, ticks) => ticks.map((t) => (opts.yFormat ? opts.yFormat(t) : String(t))),
        },
      ],
      series: [
        { value: (_u, v) => (v === null ? "–" : utc(v * 1000)) },
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: l.width ?? 1.5,
          dash: l.dash,
          fill: l.fill,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? "–" : opts.yFormat ? opts.yFormat(v) : v.toFixed(3)),
          points: {
            show: l.pointsOnly ? true : (_u: uPlot, _i: number, i0: number, i1: number) => i1 - i0 < 60,
            size: l.pointsOnly ? 5 : 4,
            fill: l.pointsOnly ? "#fff" : l.color,
          },
          ...(l.pointsOnly ? { paths: () => null } : {}),
        })),
      ],
    },
    [xs, ...lines.map((l) => l.values)] as uPlot.AlignedData,
    container,
  );
  const observer = new ResizeObserver(() => {
    if (container.clientWidth > 0 && Math.abs(container.clientWidth - chart.width) > 4)
      chart.setSize({ width: container.clientWidth, height: chart.height });
  });
  observer.observe(container);
  // The axis' span and the points drawn, for whoever reads the page (the browser test checks both).
  if (span) {
    container.dataset.xFrom = String(span[0]);
    container.dataset.xTo = String(span[1]);
  }
  container.dataset.points = String(xs.length);
  return chart;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export function sparkline(ys: number[], opts: { width?: number; height?: number; color?: string } = {}): SVGElement {
  const w = opts.width ?? 140,
    hgt = opts.height ?? 28;
  const root = svg("svg", { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, class: "spark", role: "img" });
  if (ys.length < 2) return root;
  const max = Math.max(...ys, 1);
  const pts = ys.map((y, i) => `${((i / (ys.length - 1)) * (w - 2) + 1).toFixed(1)},${(hgt - 1 - (y / max) * (hgt - 3)).toFixed(1)}`);
  root.append(svg("polyline", { points: `1,${hgt - 1} ${pts.join(" ")} ${w - 1},${hgt - 1}`, fill: "#dbeafe", stroke: "none" }));
  root.append(svg("polyline", { points: pts.join(" "), fill: "none", stroke: opts.color ?? "#2563eb", "stroke-width": 1.2 }));
  return root;
}

/** Grouped vertical bars with a legend: e.g. reference vs window shares per bin. */
export function groupedBars(
  labels: string[],
  groups: Array<{ name: string; color: string; values: number[] }>,
  opts: { height?: number; format?: (v: number) => string; width?: number } = {},
): HTMLElement {
  const width = opts.width ?? 720,
    height = opts.height ?? 220;
  const pad = { left: 44, right: 8, top: 8, bottom: 56 };
  const plotW = width - pad.left - pad.right,
    plotH = height - pad.top - pad.bottom;
  const max = Math.max(1e-9, ...groups.flatMap((g) => g.values));
  const root = svg("svg", { width: "100%", viewBox: `0 0 ${width} ${height}`, class: "bars", role: "img" });
  const fmt = opts.format ?? ((v: number) => v.toFixed(2));
  for (const f of [0, 0.5, 1]) {
    const y = pad.top + plotH * (1 - f);
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, stroke: "#e5e7eb" }));
    const t = svg("text", { x: pad.left - 4, y: y + 4, "text-anchor": "end", class: "tick" });
    t.textContent = fmt(max * f);
    root.append(t);
  }
  const slot = plotW / Math.max(1, labels.length);
  const barW = Math.max(1, (slot * 0.8) / groups.length);
  labels.forEach((label, i) => {
    groups.forEach((g, k) => {
      const v = g.values[i] ?? 0;
      const bh = (v / max) * plotH;
      const rect = svg("rect", {
        x: pad.left + i * slot + slot * 0.1 + k * barW,
        y: pad.top + plotH - bh,
        width: barW,
        height: bh,
        fill: g.color,
      });
      const title = svg("title", {});
      title.textContent = `${g.name} ${label}: ${fmt(v)}`;
      rect.append(title);
      root.append(rect);
    });
    if (labels.length <= 24) {
      const x = pad.left + i * slot + slot / 2,
        y = pad.top + plotH + 10;
      const t = svg("text", { x, y, "text-anchor": "end", transform: `rotate(-40 ${x} ${y})`, class: "tick" });
      t.textContent = label;
      root.append(t);
    }
  });
  return h(
    "div",
    { class: "bar-chart" },
    root as unknown as Node,
    h("div", { class: "legend" }, ...groups.map((g) => h("span", {}, h("i", { style: `background:${g.color}` }), g.name))),
  );
}
