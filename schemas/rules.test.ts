import { describe, expect, it } from "vitest";
import { durationMs, parseRuleFile, RuleFileError, RuleSchema, validateRuleFile } from "./rules.js";

/** The issues of the RuleFileError that `fn` throws (fails the test if it throws anything else or nothing). */
function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RuleFileError);
    return (err as RuleFileError).issues;
  }
  throw new Error("expected a RuleFileError");
}

const fileWith = (rule: Record<string, unknown>, rest: Record<string, unknown> = {}) => JSON.stringify({ rules: [rule], ...rest });
const issuesForRule = (rule: Record<string, unknown>, rest: Record<string, unknown> = {}) =>
  issuesOf(() => parseRuleFile(fileWith(rule, rest)));
const accuracyBelow = { id: "acc-low", kind: "threshold", metric: "accuracy", op: "<", threshold: 0.9 };

describe("durationMs", () => {
  it("converts each unit", () => {
    expect(durationMs("90s")).toBe(90_000);
    expect(durationMs("5m")).toBe(300_000);
    expect(durationMs("1h")).toBe(3_600_000);
    expect(durationMs("2d")).toBe(172_800_000);
    expect(durationMs("0s")).toBe(0);
  });

  it.each(["5", "5 m", "1w", "-1m", "1.5h", "m", "", "5M"])("rejects %j", (text) => {
    expect(() => durationMs(text)).toThrow(/invalid duration/);
  });
});

describe("parseRuleFile: valid files", () => {
  it("fills every default of a minimal file", () => {
    const file = parseRuleFile("rules:\n  - id: acc-low\n    kind: threshold\n    metric: accuracy\n    op: '<'\n    threshold: 0.9\n");
    expect(file.receivers).toEqual([]);
    expect(file.settings).toEqual({ repeat_interval: "4h", hold: "15m", digest_hour_utc: 8 });
    expect(file.rules).toHaveLength(1);
    expect(file.rules[0]).toEqual({
      id: "acc-low",
      kind: "threshold",
      metric: "accuracy",
      op: "<",
      threshold: 0.9,
      baseline_windows: 12,
      history_windows: 48,
      min_history: 12,
      k: 4,
      seasonality: "none",
      window: "5m",
      for: "0s",
      severity: "warning",
      target: { model: "*" },
      min_samples: 30,
      min_coverage: 0.8,
    });
  });

  it("fills the target's model when only a slice is given", () => {
    const file = parseRuleFile(fileWith({ ...accuracyBelow, target: { slice: "country=*" } }));
    expect(file.rules[0]!.target).toEqual({ model: "*", slice: "country=*" });
  });

  it("reads YAML and JSON of the same file to the same value", () => {
    const yaml = [
      "rules:",
      "  - id: acc-slo",
      "    kind: slo",
      "    metric: accuracy",
      "    objective: 0.95",
      "    window: 1h",
      "    for: 10m",
      "    severity: critical",
      "    confidence: 0.95",
      "    target: { model: fraud, version: '3', slice: 'country=BR' }",
      "    receivers: [oncall]",
      "  - id: drift-any",
      "    kind: threshold",
      "    metric: drift.amount",
      "receivers:",
      "  - name: oncall",
      "    type: slack",
      "    url: https://hooks.example.com/T000",
      "    channel: '#ml'",
      "settings:",
      "  hold: 30m",
      "",
    ].join("\n");
    const json = JSON.stringify({
      rules: [
        {
          id: "acc-slo",
          kind: "slo",
          metric: "accuracy",
          objective: 0.95,
          window: "1h",
          for: "10m",
          severity: "critical",
          confidence: 0.95,
          target: { model: "fraud", version: "3", slice: "country=BR" },
          receivers: ["oncall"],
        },
        { id: "drift-any", kind: "threshold", metric: "drift.amount" },
      ],
      receivers: [{ name: "oncall", type: "slack", url: "https://hooks.example.com/T000", channel: "#ml" }],
      settings: { hold: "30m" },
    });
    const fromYaml = parseRuleFile(yaml);
    expect(parseRuleFile(json)).toEqual(fromYaml);
    expect(fromYaml.settings).toEqual({ repeat_interval: "4h", hold: "30m", digest_hour_utc: 8 });
    expect(fromYaml.rules[0]).toMatchObject({
      window: "1h",
      for: "10m",
      severity: "critical",
      confidence: 0.95,
      target: { model: "fraud", version: "3", slice: "country=BR" },
    });
    expect(fromYaml.rules[1]).toMatchObject({ kind: "threshold", metric: "drift.amount" });
    expect(fromYaml.rules[1]!.op).toBeUndefined();
  });

  it.each(["accuracy", "roc_auc", "delay_p90_s", "drift", "drift.amount", "drift.user.age", "quality", "quality.null_fraction"])(
    "accepts the metric %s",
    (metric) => {
      const rule =
        metric.startsWith("drift") || metric.startsWith("quality") ? { id: "r", kind: "threshold", metric } : { ...accuracyBelow, metric };
      expect(parseRuleFile(fileWith(rule)).rules[0]!.metric).toBe(metric);
    },
  );

  it.each(["*", "country=*", "country=BR", "device.os=iOS 17", "city=Zürich\nNord 'x' \\N\u0000"])(
    "accepts the slice pattern %j",
    (slice) => {
      expect(parseRuleFile(fileWith({ ...accuracyBelow, target: { slice } })).rules[0]!.target.slice).toBe(slice);
    },
  );

  it("accepts a window of exactly 1m, also written in seconds", () => {
    expect(parseRuleFile(fileWith({ ...accuracyBelow, window: "1m" })).rules[0]!.window).toBe("1m");
    expect(parseRuleFile(fileWith({ ...accuracyBelow, window: "60s" })).rules[0]!.window).toBe("60s");
  });

  it("accepts the tabulated confidence levels on proportion metrics", () => {
    for (const confidence of [0.9, 0.95, 0.99]) {
      expect(parseRuleFile(fileWith({ ...accuracyBelow, confidence })).rules[0]!.confidence).toBe(confidence);
    }
    expect(parseRuleFile(fileWith({ ...accuracyBelow, metric: "label_coverage", confidence: 0.9 })).rules[0]!.confidence).toBe(0.9);
  });

  it("accepts a receiver named by a rule", () => {
    const file = parseRuleFile(
      fileWith(
        { ...accuracyBelow, receivers: ["hook"] },
        { receivers: [{ name: "hook", type: "webhook", url: "https://example.com/h", headers: { "x-k": "v" } }] },
      ),
    );
    expect(file.rules[0]!.receivers).toEqual(["hook"]);
  });
});

describe("parseRuleFile: every problem names its path", () => {
  it("threshold without op", () => {
    const issues = issuesForRule({ id: "r", kind: "threshold", metric: "accuracy", threshold: 0.9 });
    expect(issues).toContain("rules.0.op: give 'op' and 'threshold' together");
    expect(issues).toContain("rules.0.threshold: a threshold rule needs 'op' and 'threshold'");
  });

  it("op without threshold", () => {
    const issues = issuesForRule({ id: "r", kind: "threshold", metric: "accuracy", op: ">" });
    expect(issues).toContain("rules.0.op: give 'op' and 'threshold' together");
    expect(issues).toContain("rules.0.threshold: a threshold rule needs 'op' and 'threshold'");
  });

  it("a threshold rule on a performance metric with neither", () => {
    expect(issuesForRule({ id: "r", kind: "threshold", metric: "accuracy" })).toEqual([
      "rules.0.threshold: a threshold rule needs 'op' and 'threshold'",
    ]);
  });

  it("op without threshold on a drift rule too", () => {
    expect(issuesForRule({ id: "r", kind: "threshold", metric: "drift.amount", op: ">" })).toEqual([
      "rules.0.op: give 'op' and 'threshold' together",
    ]);
  });

  it.each([undefined, "*", "gender=f"])("a fairness rule whose target slice is %s, not every group of one key", (slice) => {
    const rule = { id: "r", kind: "threshold", metric: "selection_rate_ratio", op: "<", threshold: 0.8, target: { model: "m", slice } };
    expect(issuesForRule(rule)).toEqual([
      "rules.0.target: a fairness rule compares the groups of one key: give target.slice as 'key=*', e.g. 'gender=*'",
    ]);
    expect(() => parseRuleFile(fileWith({ ...rule, target: { model: "m", slice: "gender=*" } }))).not.toThrow();
  });

  it("slo without objective", () => {
    expect(issuesForRule({ id: "r", kind: "slo", metric: "accuracy" })).toEqual([
      "rules.0.objective: an SLO needs an 'objective', e.g. 0.95",
    ]);
  });

  it("relative_change without change", () => {
    expect(issuesForRule({ id: "r", kind: "relative_change", metric: "accuracy" })).toEqual([
      "rules.0.change: a relative_change rule needs 'change', e.g. 0.1 for 10 %",
    ]);
  });

  it.each(["slo", "relative_change", "adaptive"])("a drift rule of kind %s", (kind) => {
    const issues = issuesForRule({ id: "r", kind, metric: "drift.amount", objective: 0.2, change: 0.5 });
    expect(issues).toContain("rules.0.kind: drift and quality rules are of kind 'threshold'");
  });

  it("a quality rule of kind adaptive", () => {
    expect(issuesForRule({ id: "r", kind: "adaptive", metric: "quality.null_fraction" })).toEqual([
      "rules.0.kind: drift and quality rules are of kind 'threshold'",
    ]);
  });

  it("a quality rule with a threshold", () => {
    const issues = issuesForRule({ id: "r", kind: "threshold", metric: "quality.null_fraction", op: ">", threshold: 0.1 });
    expect(issues).toEqual(["rules.0.threshold: quality rules fire on violated checks; the checks' bounds are declared with the model"]);
  });

  it.each(["f1", "log_loss", "predictions", "delay_p50_s", "drift.amount"])("confidence on the non-proportion metric %s", (metric) => {
    const rule = metric.startsWith("drift")
      ? { id: "r", kind: "threshold", metric, confidence: 0.95 }
      : { ...accuracyBelow, metric, confidence: 0.95 };
    const issues = issuesForRule(rule);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(
      /^rules\.0\.confidence: a confidence interval is available for accuracy, precision, recall, label_coverage, estimated_accuracy, estimated_precision, estimated_recall, estimated_f1, estimated_roc_auc, estimated_mae, estimated_rmse$/,
    );
  });

  it("a confidence level the interval cannot compute", () => {
    const issues = issuesForRule({ ...accuracyBelow, confidence: 0.8 });
    expect(issues).toEqual(["rules.0.confidence: 0.9, 0.95 or 0.99"]);
  });

  it("duplicate rule ids name the later one", () => {
    const issues = issuesOf(() =>
      parseRuleFile(JSON.stringify({ rules: [accuracyBelow, { ...accuracyBelow, threshold: 0.8 }, { ...accuracyBelow, id: "other" }] })),
    );
    expect(issues).toEqual(["rules.1.id: duplicate rule id 'acc-low'"]);
  });

  it("an unknown receiver", () => {
    const issues = issuesForRule(
      { ...accuracyBelow, receivers: ["pager"] },
      { receivers: [{ name: "slack", type: "slack", url: "https://hooks.example.com/x" }] },
    );
    expect(issues).toEqual(["rules.0.receivers: unknown receiver 'pager'"]);
  });

  it("duplicate receiver names", () => {
    const receivers = [
      { name: "ops", type: "slack", url: "https://hooks.example.com/a" },
      { name: "ops", type: "webhook", url: "https://example.com/b" },
    ];
    expect(issuesForRule(accuracyBelow, { receivers })).toEqual(["receivers: receiver names must be unique"]);
  });

  it("a receiver with a bad url or type names its index", () => {
    expect(issuesForRule(accuracyBelow, { receivers: [{ name: "a", type: "slack", url: "not a url" }] })[0]).toMatch(
      /^receivers\.0\.url: /,
    );
    expect(issuesForRule(accuracyBelow, { receivers: [{ name: "a", type: "pagerduty", url: "https://x.example.com" }] })[0]).toMatch(
      /^receivers\.0\.type: /,
    );
  });

  it.each(["59s", "30s", "0s"])("a window of %s, under 1m", (window) => {
    const issues = issuesForRule({ ...accuracyBelow, window });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^rules\.acc-low\.window: windows are at least 1m$/);
  });

  it.each(["5", "5 min", "1w", "1.5h"])("a bad window duration %j", (window) => {
    const issues = issuesForRule({ ...accuracyBelow, window });
    expect(issues).toEqual(["rules.0.window: a duration like 30s, 5m, 1h or 1d"]);
  });

  it("a bad 'for' and bad settings durations", () => {
    expect(issuesForRule({ ...accuracyBelow, for: "ten minutes" })).toEqual(["rules.0.for: a duration like 30s, 5m, 1h or 1d"]);
    expect(issuesForRule(accuracyBelow, { settings: { hold: "15" } })).toEqual(["settings.hold: a duration like 30s, 5m, 1h or 1d"]);
    expect(issuesForRule(accuracyBelow, { settings: { repeat_interval: "4 h" } })).toEqual([
      "settings.repeat_interval: a duration like 30s, 5m, 1h or 1d",
    ]);
  });

  it.each(["accuracyy", "Accuracy", "drift.", "drift.has space", "quality.NullFraction", "latency", ""])(
    "a bad metric name %j",
    (metric) => {
      // A quality metric must not carry a threshold, so that case is written without one.
      const issues = issuesForRule(metric.startsWith("quality") ? { id: "r", kind: "threshold", metric } : { ...accuracyBelow, metric });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(/^rules\.0\.metric: one of accuracy, .*drift, drift\.<feature>, quality or quality\.<check>$/);
    },
  );

  it.each(["country", "=BR", "country=", "**", "coun try=BR"])("a bad slice pattern %j", (slice) => {
    expect(issuesForRule({ ...accuracyBelow, target: { slice } })).toEqual(["rules.0.target.slice: '*', 'key=*' or 'key=value'"]);
  });

  it("a bad rule id", () => {
    expect(issuesForRule({ ...accuracyBelow, id: "Has Caps" })[0]).toMatch(/^rules\.0\.id: lower-case letters/);
  });

  it("unknown keys are rejected at every level, naming where", () => {
    expect(issuesForRule({ ...accuracyBelow, treshold: 0.9 })).toEqual(['rules.0: Unrecognized key: "treshold"']);
    expect(issuesForRule({ ...accuracyBelow, target: { model: "m", segment: "x" } })).toEqual([
      'rules.0.target: Unrecognized key: "segment"',
    ]);
    expect(issuesForRule(accuracyBelow, { settings: { holdd: "1m" } })).toEqual(['settings: Unrecognized key: "holdd"']);
    expect(issuesForRule(accuracyBelow, { alerts: [] })).toEqual(['(file): Unrecognized key: "alerts"']);
    expect(issuesForRule(accuracyBelow, { receivers: [{ name: "a", type: "slack", url: "https://h.example.com", token: "t" }] })).toEqual([
      'receivers.0: Unrecognized key: "token"',
    ]);
  });

  it("out-of-range numbers", () => {
    expect(issuesForRule({ ...accuracyBelow, min_coverage: 1.5 })[0]).toMatch(/^rules\.0\.min_coverage: /);
    expect(issuesForRule({ ...accuracyBelow, history_windows: 3 })[0]).toMatch(/^rules\.0\.history_windows: /);
    expect(issuesForRule({ id: "r", kind: "relative_change", metric: "accuracy", change: 0 })[0]).toMatch(/^rules\.0\.change: /);
    expect(issuesForRule(accuracyBelow, { settings: { digest_hour_utc: 24 } })[0]).toMatch(/^settings\.digest_hour_utc: /);
  });

  it("several problems are all reported, each with its own path", () => {
    const text = JSON.stringify({
      rules: [
        { id: "a", kind: "slo", metric: "accuracy" },
        { id: "b", kind: "relative_change", metric: "recall" },
      ],
    });
    expect(issuesOf(() => parseRuleFile(text))).toEqual([
      "rules.0.objective: an SLO needs an 'objective', e.g. 0.95",
      "rules.1.change: a relative_change rule needs 'change', e.g. 0.1 for 10 %",
    ]);
  });

  it("text that is neither YAML nor JSON", () => {
    const issues = issuesOf(() => parseRuleFile("rules: [\n  - id: x"));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^not valid YAML or JSON: /);
  });

  it("a file that is not an object, or has no rules", () => {
    expect(issuesOf(() => parseRuleFile("just text"))[0]).toMatch(/^\(file\): /);
    expect(issuesOf(() => parseRuleFile("{}"))[0]).toMatch(/^rules: /);
    expect(issuesOf(() => validateRuleFile(null))[0]).toMatch(/^\(file\): /);
  });

  it("the error's message lists the issues", () => {
    try {
      parseRuleFile(fileWith({ id: "r", kind: "slo", metric: "accuracy" }));
      expect.unreachable();
    } catch (err) {
      expect((err as Error).name).toBe("RuleFileError");
      expect((err as Error).message).toBe("invalid rules file:\n  rules.0.objective: an SLO needs an 'objective', e.g. 0.95");
    }
  });
});

describe("RuleSchema", () => {
  it("parses a single rule with defaults, as the predicates' tests build them", () => {
    const rule = RuleSchema.parse({ id: "p", kind: "adaptive", metric: "predictions" });
    expect(rule).toMatchObject({ k: 4, history_windows: 48, min_history: 12, min_samples: 30, window: "5m", for: "0s" });
  });
});

describe("the example rules file", () => {
  it("parses, with every rule kind in it", async () => {
    const { readFileSync } = await import("node:fs");
    const file = parseRuleFile(readFileSync(new URL("../examples/rules.yaml", import.meta.url), "utf8"));
    expect(new Set(file.rules.map((r) => r.kind))).toEqual(new Set(["threshold", "slo", "relative_change", "adaptive"]));
    expect(file.settings.hold).toBe("15m");
  });
});
