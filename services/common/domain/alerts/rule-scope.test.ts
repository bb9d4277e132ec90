import { describe, expect, it } from "vitest";
import { RuleSchema, type RuleFile } from "../../../../schemas/rules.js";
import { ScopeError, scopeRuleFile, sharedReceivers, visibleReceivers, type StoredReceiver } from "./rule-scope.js";

const rule = (id: string, model: string, receivers?: string[]) =>
  RuleSchema.parse({
    id,
    kind: "threshold",
    metric: "accuracy",
    op: "<",
    threshold: 0.8,
    target: { model },
    ...(receivers ? { receivers } : {}),
  });
const file = (rules: ReturnType<typeof rule>[], receivers: RuleFile["receivers"] = []): RuleFile => ({
  rules,
  receivers,
  settings: { repeat_interval: "4h", hold: "15m", digest_hour_utc: 8 },
});
const hook = (name: string, models?: string[]): StoredReceiver => ({
  name,
  type: "webhook",
  url: `https://${name}.example/`,
  ...(models ? { models } : {}),
});

describe("rules of a model-limited token", () => {
  const active = [rule("churn-a", "churn", ["churn-hook"]), rule("all-a", "*"), rule("fraud-a", "fraud")];
  const stored = [hook("churn-hook"), hook("oncall"), hook("fraud-old", ["fraud"])];

  it("replaces only its models' rules and adds its receivers as its own", () => {
    const out = scopeRuleFile(
      file([rule("fraud-b", "fraud", ["fraud-new"])], [hook("fraud-new"), hook("fraud-old")]),
      false,
      active,
      stored,
      ["fraud"],
    );
    expect([...out.replaces]).toEqual(["fraud-a"]);
    expect(out.receivers.map((r) => [r.name, r.models])).toEqual([
      ["churn-hook", undefined],
      ["oncall", undefined],
      ["fraud-new", ["fraud"]],
      ["fraud-old", ["fraud"]],
    ]);
  });

  it.each([
    ["another model's rule", file([rule("x", "churn")]), false],
    ["a rule for every model", file([rule("x", "*")]), false],
    ["another team's rule id", file([rule("churn-a", "fraud")]), false],
    ["a shared receiver's name", file([], [hook("oncall")]), false],
    ["another team's receiver", file([], [hook("churn-hook")]), false],
    ["shared settings", file([]), true],
  ])("refuses %s", (_what, f, hasSettings) => {
    expect(() => scopeRuleFile(f, hasSettings, active, stored, ["fraud"])).toThrow(ScopeError);
  });

  it("keeps models' own receivers out of the default routing and out of other teams' sight", () => {
    const all = [...stored, hook("churn-own", ["churn"])];
    expect(sharedReceivers(all).map((r) => r.name)).toEqual(["churn-hook", "oncall"]);
    expect(visibleReceivers([rule("fraud-a", "fraud", ["fraud-old"])], all, ["fraud"]).map((r) => r.name)).toEqual(["fraud-old"]);
    expect(visibleReceivers([rule("all-a", "*")], all, ["fraud"]).map((r) => r.name)).toEqual(["churn-hook", "oncall", "fraud-old"]);
    expect(visibleReceivers([], all, "all")).toHaveLength(4);
  });
});
