/**
 * Group fairness (services/common/domain/fairness.ts, what GET /v1/models/:id/fairness serves)
 * against an independent computation: bench/python/fairness_reference.py counts the rates from the
 * same rows with numpy and takes the intervals from statsmodels (Wilson; Newcombe's difference and
 * the log ratio interval from `confint_proportions_2indep`).
 *
 *   npm run bench:fairness -- [--seeds 1,2,3,4,5,6,7,8]
 *
 * Per seed: cases of 2 to 12 groups of 1 to 20,000 labelled predictions, with selection rates
 * apart by up to a half, groups that select nobody and groups with no positive label. Hindsight
 * counts each group's confusion cells from the rows, as the windows store them, and reports; every
 * rate, interval, difference, ratio, the reference group and the four-fifths verdict are compared.
 * Exits 1 when any value differs by more than 1e-9 or any verdict differs.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../infra/local/paths.js";
import { FAIRNESS_RATES, fairnessReport, type GroupCounts } from "../services/common/domain/fairness.js";
import { seededRandom } from "../test/helpers/seeded-random.js";
import { benchPython } from "./python-env.js";

const { values: args } = parseArgs({ options: { seeds: { type: "string", default: "1,2,3,4,5,6,7,8" } } });
const SEEDS = args.seeds.split(",").map(Number);
const TOLERANCE = 1e-9;
const SIZES = [1, 3, 12, 80, 600, 4000, 20000];

interface Case {
  group: string[];
  label: number[];
  predicted: number[];
}

/** One case: groups of random sizes, each with its own prevalence, selection bias and skill. */
function makeCase(rand: () => number, groups: number): Case {
  const c: Case = { group: [], label: [], predicted: [] };
  for (let g = 0; g < groups; g++) {
    const size = SIZES[Math.floor(rand() * SIZES.length)] as number;
    const prevalence = rand() < 0.1 ? 0 : 0.05 + 0.5 * rand();
    const bias = rand() < 0.1 ? -1 : (rand() - 0.5) * 0.5;
    const skill = 0.5 + 0.45 * rand();
    for (let i = 0; i < size; i++) {
      const y = rand() < prevalence ? 1 : 0;
      const right = rand() < skill;
      const p = bias === -1 ? 0 : rand() < Math.abs(bias) ? (bias > 0 ? 1 : 0) : right ? y : 1 - y;
      c.group.push(`g${g}`);
      c.label.push(y);
      c.predicted.push(p);
    }
  }
  return c;
}

/** The confusion cells per group, in order of first appearance: what a window's label statistics hold. */
function groupCounts(c: Case): GroupCounts[] {
  const byGroup = new Map<string, GroupCounts>();
  c.group.forEach((g, i) => {
    const cells = byGroup.get(g) ?? { group: g, tp: 0, fp: 0, fn: 0, tn: 0 };
    const y = c.label[i] === 1;
    const p = c.predicted[i] === 1;
    if (p && y) cells.tp++;
    else if (p) cells.fp++;
    else if (y) cells.fn++;
    else cells.tn++;
    byGroup.set(g, cells);
  });
  return [...byGroup.values()];
}

interface ReferenceRate {
  value: number | null;
  ci: [number, number] | null;
  difference: number | null;
  difference_ci: [number, number] | null;
  ratio: number | null;
  ratio_ci: [number, number] | null;
}
interface Reference {
  versions: Record<string, string>;
  cases: { reference: string; groups: { group: string; rates: Record<string, ReferenceRate>; four_fifths: boolean }[] }[];
}

const cases: Case[] = [];
for (const seed of SEEDS) {
  const rand = seededRandom(seed);
  for (const groups of [2, 3, 5, 8, 12]) cases.push(makeCase(rand, groups));
}
const python = benchPython(["statsmodels", "numpy"]);
const result = spawnSync(python, [join(ROOT, "bench/python/fairness_reference.py")], {
  input: JSON.stringify({ cases }),
  stdio: ["pipe", "pipe", "inherit"],
  encoding: "utf8",
  maxBuffer: 256 * 1024 * 1024,
});
if (result.status !== 0) throw new Error(`the reference script failed (exit ${result.status})`);
const reference = JSON.parse(result.stdout) as Reference;

const worst = new Map<string, { diff: number; cases: number }>();
let verdictsDiffer = 0;
let groupsCompared = 0;
const compare = (what: string, ours: number | null | undefined, theirs: number | null | undefined) => {
  const w = worst.get(what) ?? { diff: 0, cases: 0 };
  // Both absent agree; one absent is a difference of infinity.
  const diff = (ours ?? null) === null && (theirs ?? null) === null ? 0 : Math.abs((ours ?? NaN) - (theirs ?? NaN));
  worst.set(what, { diff: Math.max(w.diff, Number.isNaN(diff) ? Infinity : diff), cases: w.cases + 1 });
};
cases.forEach((c, i) => {
  const ref = reference.cases[i];
  if (!ref) throw new Error(`no reference for case ${i}`);
  const ours = fairnessReport(groupCounts(c));
  if (ours.reference !== ref.reference) verdictsDiffer++;
  ref.groups.forEach((rg) => {
    const g = ours.groups.find((x) => x.group === rg.group);
    if (!g) throw new Error(`case ${i}: group ${rg.group} missing from Hindsight's report`);
    groupsCompared++;
    if (g.passes_four_fifths !== rg.four_fifths) verdictsDiffer++;
    for (const rate of FAIRNESS_RATES) {
      const r = rg.rates[rate] as ReferenceRate;
      const e = g.rates[rate];
      const v = g.versus_reference[rate];
      compare(`${rate}`, e.value, r.value);
      compare(`${rate}, Wilson low`, e.ci95?.[0], r.ci?.[0]);
      compare(`${rate}, Wilson high`, e.ci95?.[1], r.ci?.[1]);
      compare(`${rate}, difference`, v.difference, r.difference);
      compare(`${rate}, Newcombe low`, v.difference_ci95?.[0], r.difference_ci?.[0]);
      compare(`${rate}, Newcombe high`, v.difference_ci95?.[1], r.difference_ci?.[1]);
      compare(`${rate}, ratio`, v.ratio, r.ratio);
      compare(`${rate}, log ratio low`, v.ratio_ci95?.[0], r.ratio_ci?.[0]);
      compare(`${rate}, log ratio high`, v.ratio_ci95?.[1], r.ratio_ci?.[1]);
    }
  });
});

console.log(
  `Hindsight's fairness report against ${Object.entries(reference.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")} on seeds ${SEEDS.join(", ")}: ${cases.length} cases, ${groupsCompared} groups, ` +
    `${cases.reduce((n, c) => n + c.group.length, 0)} rows`,
);
console.log(`${"quantity".padEnd(38)} ${"cases".padStart(5)}  max |Hindsight − reference|`);
let ok = verdictsDiffer === 0;
for (const [what, { diff, cases: n }] of worst) {
  const bad = !(diff <= TOLERANCE);
  ok &&= !bad;
  console.log(`${what.padEnd(38)} ${String(n).padStart(5)}  ${diff.toExponential(2)}${bad ? "  ← beyond 1e-9" : ""}`);
}
console.log(`reference groups and four-fifths verdicts that differ: ${verdictsDiffer}`);
process.exit(ok ? 0 : 1);
