import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { perTypeText, runSuppressorCommand } from "./suppressor.js";
import type { SavedModel, SuppressorStore } from "../evaluator/suppressor/store.js";
import { parseHistory } from "../evaluator/suppressor/history-file.js";

const sample = new URL("../../examples/alert-history.sample.jsonl", import.meta.url).pathname;
const capture = () => {
  const io = {
    output: "",
    errors: "",
    out: (s: string) => void (io.output += s),
    err: (s: string) => void (io.errors += s),
    clock: () => Date.UTC(2026, 3, 15, 9, 30),
  };
  return io;
};

describe("hindsight suppressor", () => {
  it("evaluate --history replays the sample file and prints the table", async () => {
    const io = capture();
    expect(await runSuppressorCommand(["evaluate", "--history", sample, "--algorithm", "logistic"], io)).toBe(0);
    expect(io.output).toMatch(/suppressor \(threshold .*\)\s+\d+\s+[\d.]+%/);
    expect(io.output).toMatch(/no suppression .* 100\.0%/);
    const retraining = capture();
    expect(
      await runSuppressorCommand(["evaluate", "--history", sample, "--algorithm", "logistic", "--retrain-days", "0.1"], retraining),
    ).toBe(0);
    expect(retraining.errors).toMatch(/retraining every 0\.1 days/);
    expect(retraining.output).toMatch(/retrained [1-9]\d* times while scoring/);
  });

  it("evaluate shows per type what would have been held back and the acted-on alerts missed, adding up to the totals", async () => {
    const io = capture();
    expect(await runSuppressorCommand(["evaluate", "--history", sample, "--json", "--retrain-days", "0"], io)).toBe(0);
    const report = JSON.parse(io.output) as {
      suppressor: { alerts: number; acted: number; suppressed: number; actedSurfaced: number };
      reasons: Record<string, number>;
      perType: Array<{ alerts: number; heldBack: number; acted: number; actedMissed: number; disagreement: number }>;
    };
    const sum = (k: "alerts" | "heldBack" | "acted" | "actedMissed" | "disagreement") => report.perType.reduce((s, t) => s + t[k], 0);
    expect(sum("alerts")).toBe(report.suppressor.alerts);
    expect(sum("heldBack")).toBe(report.suppressor.suppressed);
    expect(sum("acted")).toBe(report.suppressor.acted);
    expect(sum("actedMissed")).toBe(report.suppressor.acted - report.suppressor.actedSurfaced);
    expect(sum("disagreement")).toBe(report.reasons.disagreement);
    const text = capture();
    expect(await runSuppressorCommand(["evaluate", "--history", sample, "--retrain-days", "0"], text)).toBe(0);
    expect(text.output).toMatch(
      new RegExp(`per type, in shadow mode \\(${report.perType.length} types; \\d+ would miss acted-on alerts\\)`),
    );
  });

  it("lists the types that would miss acted-on alerts first, with shares of their own alerts", () => {
    const row = (metric: string, alerts: number, heldBack: number, acted: number, actedMissed: number, disagreement = 0) => ({
      rule_kind: "drift",
      metric,
      scope: "slice",
      model: "fraud",
      alerts,
      heldBack,
      acted,
      actedMissed,
      disagreement,
    });
    const text = perTypeText([row("busy", 200, 150, 0, 0), row("hurt", 40, 10, 8, 2, 3), row("small", 10, 9, 1, 1)]);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("per type, in shadow mode (3 types; 2 would miss acted-on alerts):");
    expect(lines[2]).toMatch(/^drift \| hurt \| slice \| fraud\s+40\s+10 \(25\.0%\)\s+8\s+2 \(25\.0%\)\s+3$/);
    expect(lines[3]).toMatch(/^drift \| small \| slice \| fraud\s+10\s+9 \(90\.0%\)\s+1\s+1 \(100\.0%\)\s+0$/);
    expect(lines[4]).toMatch(/^drift \| busy \| slice \| fraud\s+200\s+150 \(75\.0%\)\s+0\s+0\s+0$/);
  });

  it("train --history --out writes an ONNX model; import checks it; train without a file uses the store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "suppressor-cli-"));
    const out = join(dir, "model.onnx");
    const io = capture();
    expect(await runSuppressorCommand(["train", "--history", sample, "--algorithm", "logistic", "--out", out], io)).toBe(0);
    expect(io.output).toMatch(/model lr-20260415T0930-[0-9a-f]{8}: threshold/);
    const imported = capture();
    expect(await runSuppressorCommand(["import", out], imported)).toBe(0);
    expect(imported.output).toMatch(/signature ok/);

    const saved: SavedModel[] = [];
    const store: SuppressorStore = {
      loadHistory: async () => parseHistory(readFileSync(sample, "utf8")),
      saveModel: async (m) => void saved.push(m),
      latestModel: async () => saved.at(-1),
    };
    expect(await runSuppressorCommand(["train", "--algorithm", "logistic"], capture(), store)).toBe(0);
    expect(saved[0]!.version).toMatch(/^lr-/);
    // The next training carries the active model's threshold over: its own follows, and the median of the two is used.
    expect(await runSuppressorCommand(["train", "--algorithm", "logistic"], capture(), store)).toBe(0);
    expect(saved[0]!.foldThresholds).toEqual([saved[0]!.threshold]);
    expect(saved[1]!.foldThresholds).toHaveLength(2);
    expect(saved[1]!.foldThresholds![0]).toBe(saved[0]!.threshold);
    expect(saved[1]!.threshold).toBeCloseTo((saved[1]!.foldThresholds![0]! + saved[1]!.foldThresholds![1]!) / 2, 12);
    // Another algorithm's thresholds are on another scale: nothing is carried over.
    expect(await runSuppressorCommand(["train", "--algorithm", "boosted_trees"], capture(), store)).toBe(0);
    expect(saved[2]!.foldThresholds).toHaveLength(1);
  });

  it("exits non-zero with a clear message on bad input", async () => {
    const dir = mkdtempSync(join(tmpdir(), "suppressor-cli-"));
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"time": 1}\n');
    const cases: Array<[string[], number, RegExp]> = [
      [["evaluate", "--history", bad], 1, /bad\.jsonl:1: field 'rule_kind'/],
      [["evaluate"], 2, /no alert store here: pass --history FILE/],
      [["evaluate", "--history", sample, "--threshold", "2"], 2, /--threshold must be a number between 0 and 1/],
      [["evaluate", "--history", sample, "--retrain-days=-1"], 2, /--retrain-days must be a number of days, 0 or more, got '-1'/],
      [["train", "--history", sample, "--algorithm", "magic"], 2, /--algorithm must be one of logistic, boosted_trees/],
      [["import", bad], 1, /not an ONNX model|cannot load/],
      [["frobnicate"], 2, /unknown suppressor command 'frobnicate'/],
    ];
    for (const [args, code, message] of cases) {
      const io = capture();
      expect(await runSuppressorCommand(args, io)).toBe(code);
      expect(io.errors).toMatch(message);
    }
  });
});
