/**
 * Seeded demo traffic for a multi-class model beside the fraud classifier and the ETA regressor:
 * `triage` routes each support ticket to one of four queues. Its label is the queue an agent
 * finally resolved the ticket in, known hours later. The model confuses some queues more than
 * others (account questions read like billing ones), and a mix-up incident sends one queue's
 * tickets to another for a while, so per-class recall and the confusion matrix move over time.
 *
 * Pure like generator.ts: no I/O, no wall clock; the same options give the same events however the
 * caller slices time.
 */
import { cumulativeWeights, Rng } from "./random.js";

export const TRIAGE_MODEL = "triage";
export const QUEUES = ["billing", "technical", "account", "shipping"] as const;
export type Queue = (typeof QUEUES)[number];
const QUEUE_WEIGHTS = [0.3, 0.35, 0.2, 0.15];
export const CHANNELS = ["email", "chat", "phone"] as const;
const CHANNEL_WEIGHTS = [0.5, 0.35, 0.15];
/** How strongly the model sees the true queue (logit), and what it mistakes it for, by true queue. */
const SIGNAL = 2.4;
const CONFUSION: Record<Queue, Partial<Record<Queue, number>>> = {
  billing: { account: 0.6 },
  technical: { account: 0.3 },
  account: { billing: 1.5 },
  shipping: { billing: 0.4, technical: 0.2 },
};
const LABEL_SHARE = 0.9;
const HOUR = 3_600_000;

export interface TriagePrediction {
  prediction_id: string;
  model_id: string;
  model_version: string;
  stage: string;
  /** epoch ms */
  timestamp: number;
  features: { channel: string; words: number; has_order_id: boolean };
  prediction: { label: string; scores: Record<string, number> };
  segments: { channel: string };
}

export interface TriageLabel {
  prediction_id: string;
  model_id: string;
  label: string;
  /** epoch ms */
  labeled_at: number;
  source: string;
}

/** In [fromMs, toMs), a share of the tickets of queue `truth` read to the model as `predicted` ones. */
export interface TriageMixUp {
  truth: Queue;
  predicted: Queue;
  share: number;
  fromMs: number;
  toMs: number;
}

export interface TriageTrafficOptions {
  seed?: number;
  startMs: number;
  predictionsPerSecond: number;
  /** Label delays (median three hours) are divided by this, like the fraud demo's. Default 1. */
  timeScale?: number;
  mixUps?: TriageMixUp[];
  idPrefix?: string;
}

export interface TriageTraffic {
  /** Predictions with timestamp in (previous, untilMs], labels with labeled_at in it, labels in time order. */
  advance(untilMs: number): { predictions: TriagePrediction[]; labels: TriageLabel[] };
}

export function createTriageTraffic(opts: TriageTrafficOptions): TriageTraffic {
  const rng = new Rng((opts.seed ?? 1) ^ 0x7a1a);
  const queues = cumulativeWeights(QUEUE_WEIGHTS);
  const channels = cumulativeWeights(CHANNEL_WEIGHTS);
  const gapMs = 1000 / opts.predictionsPerSecond;
  const scale = opts.timeScale ?? 1;
  const prefix = opts.idPrefix ?? `triage-${opts.seed ?? 1}`;
  let pending: TriageLabel[] = [];
  let next = opts.startMs + rng.exponential() * gapMs;
  let cursor = opts.startMs;
  let seq = 0;
  return {
    advance(untilMs) {
      if (untilMs < cursor) throw new RangeError(`cannot advance backwards from ${cursor} to ${untilMs}`);
      const predictions: TriagePrediction[] = [];
      for (; Math.floor(next) + 1 <= untilMs; next += rng.exponential() * gapMs) {
        const timestamp = Math.floor(next) + 1;
        const truth = QUEUES[rng.pick(queues)]!;
        const channel = CHANNELS[rng.pick(channels)]!;
        // The same draws whatever the incidents, so a mix-up changes only what it mixes up.
        const mixDraw = rng.next();
        let seen: Queue = truth;
        for (const m of opts.mixUps ?? []) {
          if (m.truth === truth && timestamp >= m.fromMs && timestamp < m.toMs && mixDraw < m.share) seen = m.predicted;
        }
        const logits = QUEUES.map((q) => (q === seen ? SIGNAL : (CONFUSION[seen][q] ?? 0)) + 0.9 * rng.normal());
        const max = Math.max(...logits);
        const exp = logits.map((l) => Math.exp(l - max));
        const total = exp.reduce((a, b) => a + b, 0);
        const scores = Object.fromEntries(QUEUES.map((q, i) => [q, Math.round((exp[i]! / total) * 10_000) / 10_000]));
        const label = QUEUES[logits.indexOf(max)]!;
        // One version: each version's week is a drift backlog of its own for the demo to work through.
        rng.next();
        const words = 8 + rng.poisson(truth === "technical" ? 60 : 30);
        const hasOrderId = rng.next() < (truth === "shipping" || truth === "billing" ? 0.7 : 0.15);
        const labelled = rng.next() < LABEL_SHARE;
        const delayMs = rng.logNormal(Math.log(3 * HOUR), 0.8);
        const id = `${prefix}-${(seq++).toString(36)}`;
        predictions.push({
          prediction_id: id,
          model_id: TRIAGE_MODEL,
          model_version: "r12",
          stage: "production",
          timestamp,
          features: { channel, words, has_order_id: hasOrderId },
          prediction: { label, scores },
          segments: { channel },
        });
        if (labelled) {
          pending.push({
            prediction_id: id,
            model_id: TRIAGE_MODEL,
            label: truth,
            labeled_at: timestamp + Math.max(1, Math.round(delayMs / scale)),
            source: "agent",
          });
        }
      }
      const labels = pending.filter((l) => l.labeled_at <= untilMs).sort((a, b) => a.labeled_at - b.labeled_at);
      pending = pending.filter((l) => l.labeled_at > untilMs);
      cursor = untilMs;
      return { predictions, labels };
    },
  };
}
