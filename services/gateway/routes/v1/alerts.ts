/**
 * Alerts, feedback and rules over HTTP:
 *   GET  /v1/alerts                 alerts by status (firing, resolved, suppressed, held, open, all) (read)
 *   GET  /v1/alerts/digest          the last hours for a shift handover: counts, open, suppressed (read)
 *   GET  /v1/alerts/:id             one alert, the alerts grouped beneath it, feedback, notifications (read)
 *   POST /v1/alerts/:id/feedback    acted | ignored | false_positive | snoozed (feedback)
 *   GET  /v1/rules                  active rules, their versions and the latest judgement of each series (read)
 *   GET  /v1/rules/:id              every version of one rule (read)
 *   PUT  /v1/rules                  apply a whole rules file, YAML or JSON (admin; POST works too)
 * A model-limited token sees only its models' alerts; a foreign alert answers 404 like a missing one.
 * It sees its models' rules and the shared ("*") ones, with only its models' series, and the shared
 * receivers and its own; as an admin it manages only its models' rules (rule-scope.ts).
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { RuleFileError, parseRuleFile, validateRuleFile } from "../../../../schemas/rules.js";
import type { GatewayContext } from "../../app.js";
import { principalOf } from "../../auth.js";
import { toApiAlert, type AlertRow } from "../../../common/domain/alerts/alert-view.js";
import { ALERT_ACTIONS } from "../../../common/domain/suppressor/types.js";
import type { AlertsRepository } from "../../../common/clickhouse/alerts.repository.js";
import { parseOr400 } from "./params.js";
import { parse as parseYaml } from "yaml";
import { ScopeError, visibleReceivers, visibleRule } from "../../../common/domain/alerts/rule-scope.js";

const ListQuery = z.object({
  status: z.enum(["firing", "resolved", "suppressed", "held", "open", "all"]).default("all"),
  model: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
});
const IdParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "not a valid alert id") });
const Feedback = z.object({ action: z.enum(ALERT_ACTIONS), comment: z.string().max(2000).optional() }).strict();
const DigestQuery = z.object({
  hours: z.coerce
    .number()
    .positive()
    .max(24 * 31)
    .default(24),
});
const RuleIdParam = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "not a valid rule id") });

export function alertRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const alerts = (): AlertsRepository => {
    if (!ctx.deps.alerts) throw Object.assign(new Error("alerts are not available"), { statusCode: 503 });
    return ctx.deps.alerts;
  };

  async function withFeedback(rows: AlertRow[]) {
    const fb = await alerts().feedback(rows.map((r) => r.alert_id));
    const latest = new Map<string, { action: string; at_ms: number }>();
    for (const f of fb) latest.set(f.alert_id, f);
    return rows.map((r) => toApiAlert(r, latest.get(r.alert_id)));
  }

  function notFound(reply: FastifyReply, id: string) {
    return reply.code(404).send({ error: { code: "not_found", message: `no alert '${id}'` } });
  }

  app.get("/v1/alerts", { preHandler: ctx.requireScope("read") }, async (request, reply) => {
    const q = parseOr400(ListQuery, request.query, reply);
    if (!q) return;
    const rows = await alerts().alerts({
      status: q.status,
      model: q.model,
      modelIds: principalOf(request).modelFilter as string[] | "all",
      limit: q.limit,
    });
    return { alerts: await withFeedback(rows) };
  });

  app.get("/v1/alerts/digest", { preHandler: ctx.requireScope("read") }, async (request, reply) => {
    const q = parseOr400(DigestQuery, request.query, reply);
    if (!q) return;
    const to = Date.now();
    const from = to - q.hours * 3_600_000;
    const rows = await withFeedback(
      await alerts().alerts({ status: "all", fromMs: from, modelIds: principalOf(request).modelFilter as string[] | "all", limit: 5000 }),
    );
    const count = (s: string) => rows.filter((a) => a.status === s).length;
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      counts: { firing: count("firing"), resolved: count("resolved"), suppressed: count("suppressed"), held: count("held") },
      open: rows.filter((a) => a.status === "firing"),
      suppressed: rows.filter((a) => a.status === "suppressed"),
    };
  });

  app.get("/v1/alerts/:id", { preHandler: ctx.requireScope("read") }, async (request, reply) => {
    const p = parseOr400(IdParam, request.params, reply);
    if (!p) return;
    const row = await alerts().alert(p.id);
    if (!row || !principalOf(request).canAccessModel(row.model_id)) return notFound(reply, p.id);
    const [alert] = await withFeedback([row]);
    const feedback = await alerts().feedback([p.id]);
    const notifications = await alerts().notifications(p.id);
    return {
      ...alert,
      children: await withFeedback(await alerts().children(p.id)),
      feedback_history: feedback.map((f) => ({
        action: f.action,
        comment: f.comment || null,
        source: f.source,
        at: new Date(f.at_ms).toISOString(),
      })),
      notifications: notifications.map((n) => ({
        kind: n.kind,
        receiver: n.receiver,
        attempts: n.attempts,
        delivered_at: n.delivered_wall_ms ? new Date(n.delivered_wall_ms).toISOString() : null,
        last_error: n.last_error || null,
      })),
    };
  });

  app.post("/v1/alerts/:id/feedback", { preHandler: ctx.requireScope("feedback") }, async (request, reply) => {
    const p = parseOr400(IdParam, request.params, reply);
    if (!p) return;
    const body = parseOr400(Feedback, request.body, reply);
    if (!body) return;
    const row = await alerts().alert(p.id);
    if (!row || !principalOf(request).canAccessModel(row.model_id)) return notFound(reply, p.id);
    const at = Date.now();
    await alerts().addFeedback({
      alert_id: p.id,
      action: body.action,
      comment: body.comment ?? "",
      source: principalOf(request).name ?? "api",
      at_ms: at,
    });
    return reply.code(201).send({ alert_id: p.id, action: body.action, at: new Date(at).toISOString() });
  });

  app.get("/v1/rules", { preHandler: ctx.requireScope("read") }, async (request) => {
    const can = principalOf(request).canAccessModel;
    const [all, status, settings] = await Promise.all([alerts().activeRules(), alerts().ruleStatus(), alerts().settings()]);
    const rules = all.filter((r) => visibleRule(r.rule, can));
    const receivers = visibleReceivers(
      rules.map((r) => r.rule),
      settings.receivers,
      principalOf(request).modelFilter,
    );
    return {
      rules: rules.map((r) => ({
        ...r.rule,
        version: r.version,
        applied_at: new Date(r.appliedAtMs).toISOString(),
        series: status.filter((s) => s.rule_id === r.rule.id && can(s.model_id)).map(({ rule_id: _, updated_wall_ms: __, ...s }) => s),
      })),
      // Names and types only: URLs and headers hold secrets (webhook credentials, Slack hook URLs).
      receivers: receivers.map((r) => ({ name: r.name, type: r.type, ...(r.models?.length ? { models: r.models } : {}) })),
      settings: settings.settings,
    };
  });

  app.get("/v1/rules/:id", { preHandler: ctx.requireScope("read") }, async (request, reply) => {
    const p = parseOr400(RuleIdParam, request.params, reply);
    if (!p) return;
    const versions = await alerts().ruleVersions(p.id);
    // A rule of another team's model answers like a missing one.
    if (versions.length === 0 || !versions.every((v) => visibleRule(v.rule, principalOf(request).canAccessModel)))
      return reply.code(404).send({ error: { code: "not_found", message: `no rule '${p.id}'` } });
    return {
      id: p.id,
      versions: versions.map((v) => ({
        version: v.version,
        deleted: v.deleted,
        source: v.source,
        applied_at: new Date(v.applied_at_ms).toISOString(),
        rule: v.rule,
      })),
    };
  });

  // PUT replaces the whole set; POST is accepted too, for clients that only post.
  app.route({
    method: ["PUT", "POST"],
    url: "/v1/rules",
    preHandler: ctx.requireScope("admin"),
    handler: async (request, reply) => {
      try {
        const file = typeof request.body === "string" ? parseRuleFile(request.body) : validateRuleFile(request.body);
        const filter = principalOf(request).modelFilter;
        const scope = filter === "all" ? undefined : { models: filter, hasSettings: hasSettings(request.body) };
        const result = await alerts().applyRuleFile(file, `api:${principalOf(request).name ?? "token"}`, Date.now(), scope);
        await ctx.audit(request, "rules.apply", "rules", [...new Set(file.rules.map((r) => r.target.model))], {
          ...result,
          receivers: file.receivers.map((r) => r.name),
        });
        return result;
      } catch (err) {
        if (err instanceof RuleFileError)
          return reply.code(400).send({ error: { code: "invalid_rules", message: err.message, issues: err.issues } });
        if (err instanceof ScopeError) return reply.code(403).send({ error: { code: "forbidden", message: err.message } });
        throw err;
      }
    },
  });
}

/** Whether a rules file (already validated, so well-formed) sets the shared settings itself. */
function hasSettings(body: unknown): boolean {
  const doc = typeof body === "string" ? (parseYaml(body, { maxAliasCount: 100 }) as unknown) : body;
  return doc !== null && typeof doc === "object" && "settings" in doc;
}
