/**
 * Paired comparison (services/common/domain/paired.ts) against statsmodels and scipy on seeded
 * pairs, then its operating characteristics by simulation.
 *
 *   npm run bench:paired -- [--seeds 1,2,3,4,5,6,7,8,9,10] [--replications 4000]
 *
 * Part 1, agreement with the reference: per seed, classification tables at 20 to 30,000 labelled
 * pairs (candidate 3 points worse, equal, 2 points better; errors correlated as two versions of one
 * model are) and regression pairs at 5 to 3,000; McNemar (exact and chi-square with continuity
 * correction), Newcombe's and the Wald paired interval, the agreement's Wilson interval, the paired
 * t-test and t-interval, each against bench/python/paired_reference.py. Exits 1 when any value
 * differs by more than 1e-9.
 *
 * Part 2, what the reading does: coverage of the 95 % intervals (Newcombe, Wald, t) and how often
 * "promote" and "roll back" are read, with margin 0 and at least 100 labelled pairs, when the
 * candidate is equal (both should stay near 2.5 %), better or worse. Pure TypeScript.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../infra/local/paths.js";
import {
  addErrorPair,
  comparePairedClassification,
  comparePairedRegression,
  decidePairedRegression,
  EMPTY_ERRORS,
  mcnemar,
  newcombePairedInterval,
  type PairedCounts,
  waldPairedInterval,
} from "../services/common/domain/paired.js";
import { seededRandom } from "../test/helpers/seeded-random.js";
import { benchPython } from "./python-env.js";

const { values: args } = parseArgs({
  options: {
    seeds: { type: "string", default: "1,2,3,4,5,6,7,8,9,10" },
    replications: { type: "string", default: "4000" },
  },
});
const SEEDS = args.seeds.split(",").map(Number);
const REPLICATIONS = Number(args.replications);
const TOLERANCE = 1e-9;
const ACCURACY_A = 0.85;
/** Share of pairs where the candidate's outcome copies the incumbent's draw: two versions of one model err together. */
const COPY = 0.7;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Labelled pairs with accuracy(A) = 0.85 and accuracy(B) = 0.85 + gain, and agreement over 30 % more unlabelled pairs. */
function classificationPairs(rand: () => number, n: number, gain: number): Required<PairedCounts> {
  const c = { bothRight: 0, onlyA: 0, onlyB: 0, bothWrong: 0, agreeing: 0, pairs: 0 };
  const total = Math.round(n * 1.3);
  for (let i = 0; i < total; i++) {
    const u = rand();
    const a = u < ACCURACY_A;
    const b = (rand() < COPY ? u : rand()) < ACCURACY_A + gain;
    // Three classes: two right answers agree, one right and one wrong disagree, two wrong ones agree half the time.
    const agree = a === b && (a || rand() < 0.5);
    c.pairs++;
    if (agree) c.agreeing++;
    if (i >= n) continue;
    if (a && b) c.bothRight++;
    else if (a) c.onlyA++;
    else if (b) c.onlyB++;
    else c.bothWrong++;
  }
  return c;
}

/** Absolute errors of A ~ |N(0, 1)| and B ~ |N(0, 1 + gain)|, correlated 0.8: E(|e_B| − |e_A|) = gain·√(2/π). */
function regressionPairs(rand: () => number, n: number, gain: number): { absA: number[]; absB: number[] } {
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const absA: number[] = [];
  const absB: number[] = [];
  for (let i = 0; i < n; i++) {
    const zA = normal();
    const zB = 0.8 * zA + 0.6 * normal();
    absA.push(Math.abs(zA));
    absB.push(Math.abs((1 + gain) * zB));
  }
  return { absA, absB };
}

interface Reference {
  versions: Record<string, string>;
  classification: {
    exactP: number;
    chiStatistic: number | null;
    chiP: number | null;
    newcombe: [number, number];
    wald: [number, number];
    agreement: [number, number];
  }[];
  regression: { mean: number; t: number; p: number; interval: [number, number] }[];
}

function agreementWithReference(): boolean {
  const tables: Required<PairedCounts>[] = [];
  const errors: { absA: number[]; absB: number[] }[] = [];
  for (const seed of SEEDS) {
    const rand = seededRandom(seed);
    for (const n of [20, 60, 300, 3000, 30000]) for (const gain of [-0.03, 0, 0.02]) tables.push(classificationPairs(rand, n, gain));
    for (const n of [5, 30, 300, 3000]) for (const gain of [-0.1, 0, 0.05]) errors.push(regressionPairs(rand, n, gain));
  }
  const python = benchPython(["statsmodels", "scipy"]);
  const result = spawnSync(python, [join(ROOT, "bench/python/paired_reference.py")], {
    input: JSON.stringify({ classification: tables, regression: errors }),
    stdio: ["pipe", "pipe", "inherit"],
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`the reference script failed (exit ${result.status})`);
  const reference = JSON.parse(result.stdout) as Reference;

  const worst = new Map<string, { diff: number; cases: number }>();
  const compare = (what: string, ours: number, theirs: number | null) => {
    if (theirs === null) return;
    const w = worst.get(what) ?? { diff: 0, cases: 0 };
    worst.set(what, { diff: Math.max(w.diff, Math.abs(ours - theirs)), cases: w.cases + 1 });
  };
  tables.forEach((t, i) => {
    const ref = reference.classification[i];
    if (!ref) throw new Error(`no reference for table ${i}`);
    compare("McNemar exact p", mcnemar(t.onlyA, t.onlyB, Infinity).pValue, ref.exactP);
    const chi = mcnemar(t.onlyA, t.onlyB, 0);
    compare("McNemar chi-square (cc) statistic", chi.statistic, ref.chiStatistic);
    compare("McNemar chi-square (cc) p", chi.pValue, ref.chiP);
    const r = comparePairedClassification(t);
    compare("Newcombe paired interval, low", r.difference.low, ref.newcombe[0]);
    compare("Newcombe paired interval, high", r.difference.high, ref.newcombe[1]);
    const wald = waldPairedInterval(t);
    compare("Wald paired interval, low", wald.low, ref.wald[0]);
    compare("Wald paired interval, high", wald.high, ref.wald[1]);
    compare("agreement Wilson interval, low", r.agreement?.low ?? NaN, ref.agreement[0]);
    compare("agreement Wilson interval, high", r.agreement?.high ?? NaN, ref.agreement[1]);
  });
  errors.forEach((e, i) => {
    const ref = reference.regression[i];
    if (!ref) throw new Error(`no reference for regression case ${i}`);
    let s = EMPTY_ERRORS;
    e.absA.forEach((a, j) => {
      s = addErrorPair(s, a, e.absB[j] as number);
    });
    const r = comparePairedRegression(s).difference;
    if (!r) throw new Error("a regression case with fewer than 2 pairs");
    compare("paired |error| difference, mean", r.value, ref.mean);
    compare("paired t-test p", r.pValue, ref.p);
    compare("paired t-interval, low", r.low, ref.interval[0]);
    compare("paired t-interval, high", r.high, ref.interval[1]);
  });
  console.log(
    `\nPart 1: Hindsight against ${Object.entries(reference.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")} on seeds ${SEEDS.join(", ")} (${tables.length} tables, ${errors.length} regression samples)`,
  );
  console.log(`${"quantity".padEnd(36)} ${"cases".padStart(5)}  max |Hindsight − reference|`);
  let ok = true;
  for (const [what, { diff, cases }] of worst) {
    const bad = !(diff <= TOLERANCE);
    ok &&= !bad;
    console.log(`${what.padEnd(36)} ${String(cases).padStart(5)}  ${diff.toExponential(2)}${bad ? "  ← beyond 1e-9" : ""}`);
  }
  return ok;
}

function operatingCharacteristics(): void {
  const rand = seededRandom(SEEDS[0] ?? 1);
  const pct = (k: number) => `${((100 * k) / REPLICATIONS).toFixed(1)} %`.padStart(7);
  console.log(`\nPart 2: ${REPLICATIONS} seeded replications per row; reading with margin 0 and at least 100 labelled pairs`);
  console.log("classification (accuracy of the incumbent 0.85)");
  console.log(
    `${"true gain".padStart(9)} ${"pairs".padStart(6)}  ${"Newcombe".padStart(8)} ${"Wald".padStart(7)}  ${"promote".padStart(7)} ${"roll back".padStart(9)}`,
  );
  for (const [gain, n] of [
    [0, 30],
    [0, 300],
    [0, 3000],
    [0.02, 300],
    [0.02, 3000],
    [-0.03, 300],
    [-0.03, 3000],
  ] as [number, number][]) {
    let newcombe = 0;
    let wald = 0;
    let promote = 0;
    let rollBack = 0;
    for (let i = 0; i < REPLICATIONS; i++) {
      const t = classificationPairs(rand, n, gain);
      const nc = newcombePairedInterval(t);
      const w = waldPairedInterval(t);
      if (nc.low <= gain && gain <= nc.high) newcombe++;
      if (w.low <= gain && gain <= w.high) wald++;
      const reading = comparePairedClassification(t).decision.reading;
      if (reading === "promote") promote++;
      if (reading === "roll back") rollBack++;
    }
    console.log(
      `${gain.toFixed(2).padStart(9)} ${String(n).padStart(6)}  ${pct(newcombe).padStart(8)} ${pct(wald)}  ${pct(promote)} ${pct(rollBack).padStart(9)}`,
    );
  }
  console.log("regression (|error| of the incumbent ~ |N(0, 1)|, the candidate's scaled by 1 + gain)");
  console.log(
    `${"scale gain".padStart(10)} ${"pairs".padStart(6)}  ${"t-interval".padStart(10)}  ${"promote".padStart(7)} ${"roll back".padStart(9)}`,
  );
  for (const [gain, n] of [
    [0, 10],
    [0, 300],
    [-0.05, 300],
    [0.05, 3000],
  ] as [number, number][]) {
    const truth = gain * SQRT_2_OVER_PI;
    let covered = 0;
    let promote = 0;
    let rollBack = 0;
    for (let i = 0; i < REPLICATIONS; i++) {
      const { absA, absB } = regressionPairs(rand, n, gain);
      let s = EMPTY_ERRORS;
      absA.forEach((a, j) => {
        s = addErrorPair(s, a, absB[j] as number);
      });
      const r = comparePairedRegression(s);
      if (r.difference && r.difference.low <= truth && truth <= r.difference.high) covered++;
      const reading = decidePairedRegression(r).reading;
      if (reading === "promote") promote++;
      if (reading === "roll back") rollBack++;
    }
    console.log(
      `${gain.toFixed(2).padStart(10)} ${String(n).padStart(6)}  ${pct(covered).padStart(10)}  ${pct(promote)} ${pct(rollBack).padStart(9)}`,
    );
  }
  console.log(
    '\n"true gain": accuracy(B) − accuracy(A); for regression the candidate\'s error scale, so a positive gain is a worse candidate ' +
      "(it should be rolled back). Coverage should sit near 95 %; with no true difference each reading near 2.5 % or below.",
  );
}

const ok = agreementWithReference();
operatingCharacteristics();
process.exit(ok ? 0 : 1);
