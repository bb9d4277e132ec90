/**
 * Hostile values through every HTTP write path, on the real stack: quotes, backslashes, the two
 * characters `\N`, NUL bytes, tabs and newlines, non-ASCII text, emoji and text that looks like SQL
 * (or like a `{p0:String}` placeholder) go in as prediction and label events, a model declaration,
 * a rules file, feedback on an alert and a reference sample, and come back byte-equal: as the
 * server's hex() of what ClickHouse stores (read as `default`, straight from the tables) against
 * Node's UTF-8 bytes of what was sent, and through the API that reads them. Fields whose
 * characters are restricted by design (model, rule and alert ids, slice keys of a rule target)
 * answer a clear 4xx naming the field instead.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClickHouse, type ClickHouse } from "../services/common/clickhouse/client.js";
import { alertsRepository, type AlertRow } from "../services/common/clickhouse/alerts.repository.js";
import { ident, sql, type Sql } from "../services/common/clickhouse/sql.js";
import { hostileString } from "./helpers/hostile-strings.js";
import { seededRandom } from "./helpers/seeded-random.js";
import {
  postJson,
  startPipeline,
  stopPipeline,
  testEnv,
  waitForProcessor,
  waitUntil,
  TEST_TOKEN,
  requestJson,
  type Pipeline,
} from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

/** Named hostile values; each is also a feature name, a feature value and a prediction id below. */
const NAMED = {
  quote: "it's",
  doubleQuote: 'say "hi"',
  backslash: "C:\\temp\\",
  nullMarker: "\\N",
  nul: "a\u0000b",
  whitespace: "tab\there\nnew line\r\n",
  nonAscii: "Grüße, 東京 — ünïcödé",
  emoji: "🙂🚀 👩‍💻",
  sqlish: "'); DROP TABLE x; --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a value that looks like a placeholder, on purpose
  placeholder: "{p0:String} ${x} ? :name",
  everything: `'"\\N\u0000\t\n' OR 1=1 /* 😀 */ --`,
} as const;
const NAMED_VALUES: string[] = Object.values(NAMED);

const r = seededRandom(13);
/** Seeded random hostile strings, non-empty and told apart by their suffix. */
const generated = (n: number, max = 30) => Array.from({ length: n }, (_, i) => `${hostileString(r, max)}#${i}`);

const MODEL = "hostile-model";
const VERSION = "v'\"\\N\u0000\t\n🙂";
const STAGE = "st'\\N\u0000—";
const POSITIVE = `yes'); DROP TABLE x; --\\N\u0000🙂`;
const NEGATIVE = `no"\\\t東京`;
const SLICE_KEY = `country'\\N\u0000`;
const SLICE_VALUE = "Zürich \"'\\N\u0000\n🙂";
/** A feature name for a drift rule: `drift.<feature>` admits no whitespace, everything else. */
const DRIFT_FEATURE = `'"\\N\u0000);DROP--東京🙂`;
const SOURCE = `label-team'\\N\u0000📦`;
const TIME = Date.UTC(2026, 10, 23, 10, 0, 0);
const FEEDBACK_TOKEN = "test-token-feedback-hostile-name-1";
const TOKEN_NAME = `on-call 'bot' \\N\u0000 🚨`;

/** What ClickHouse's hex() answers for a string: its UTF-8 bytes in upper-case hex. */
const hex = (s: string) => Buffer.from(s, "utf8").toString("hex").toUpperCase();

describe("hostile values through every write path", () => {
  let p: Pipeline;
  let ch: ClickHouse;
  const table = (name: string) => ident(`${p.stack.config.clickhouse.database}.${name}`);
  const rows = <T>(q: Sql) => ch.rows(anyRow<T>(), q);
  const api = (path: string) => `${p.gateway.url}${path}`;

  const predictionIds = [...NAMED_VALUES, ...generated(9, 60)];
  // A feature named by a NUL character alone, too: the drift code once used that name as its row marker.
  const featureNames = [...NAMED_VALUES, "\u0000", ...generated(5)];
  const featureValues = generated(featureNames.length, 40);
  const classKeys = generated(3, 20);
  const predictions = predictionIds.map((id, i) => ({
    prediction_id: id,
    model_id: MODEL,
    model_version: VERSION,
    stage: STAGE,
    timestamp: TIME + i * 1000,
    features: { ...Object.fromEntries(featureNames.map((f, j) => [f, featureValues[(i + j) % featureValues.length]!])), amount: i },
    prediction: { label: i % 2 === 0 ? POSITIVE : NEGATIVE, scores: Object.fromEntries(classKeys.map((k, j) => [k, j / 4])) },
    segments: { [SLICE_KEY]: SLICE_VALUE, [NAMED.sqlish]: NAMED_VALUES[i % NAMED_VALUES.length]! },
  }));

  beforeAll(async () => {
    const tokens = JSON.parse(testEnv().HINDSIGHT_TOKENS!) as object[];
    tokens.push({ token: FEEDBACK_TOKEN, scopes: ["feedback", "read"], name: TOKEN_NAME });
    p = await startPipeline({ HINDSIGHT_WINDOWS: "300,3600", HINDSIGHT_TOKENS: JSON.stringify(tokens) });
    ch = createClickHouse({ url: inject("stack").clickhouseUrl, user: "default", password: "", database: "default" });
  });
  afterAll(async () => {
    await ch?.close();
    await stopPipeline(p ?? {});
  });

  it("stores a model declaration's strings byte-equal and refuses a hostile model id", async () => {
    const declaration = {
      task: "binary",
      positive_class: POSITIVE,
      slice_keys: [SLICE_KEY, NAMED.sqlish],
      features: { [NAMED.everything]: { type: "categorical", allowed: NAMED_VALUES }, [NAMED.nul]: { type: "numeric", min: 0 } },
    };
    const put = await requestJson("PUT", api(`/v1/models/${MODEL}`), declaration);
    expect(put.status, JSON.stringify(put.body)).toBe(200);

    const [model] = await rows<{ positive_class: string; slice_keys: string[] }>(sql`
      SELECT hex(positive_class) AS positive_class, arrayMap(k -> hex(k), slice_keys) AS slice_keys
      FROM ${table("models")} FINAL WHERE model_id = ${MODEL}`);
    expect(model).toEqual({ positive_class: hex(POSITIVE), slice_keys: [hex(SLICE_KEY), hex(NAMED.sqlish)] });
    // The feature rules are stored as JSON text: the text must parse back to the same strings.
    const [stored] = await rows<{ rules: string }>(
      sql`SELECT argMax(rules, updated_at_ms) AS rules FROM ${table("model_rules")} WHERE model_id = ${MODEL}`,
    );
    expect(JSON.parse(stored!.rules)).toEqual(declaration.features);

    const listed = await requestJson("GET", api("/v1/models"));
    const mine = listed.body.models.find((m: { model_id: string }) => m.model_id === MODEL);
    expect(hex(mine.positive_class)).toBe(hex(POSITIVE));
    expect(mine.slice_keys.map(hex)).toEqual([hex(SLICE_KEY), hex(NAMED.sqlish)]);

    for (const id of [NAMED.sqlish, NAMED.quote, "a\\N", "x\u0000y", "東京"]) {
      const refused = await requestJson("PUT", api(`/v1/models/${encodeURIComponent(id)}`), declaration);
      expect(refused.status, id).toBe(400);
      expect(refused.body.error.message).toMatch(/^id: not a valid model id/);
    }
  });

  it("stores prediction events byte-equal: ids, version, stage, features, labels, class keys, segments", async () => {
    const bad = { ...predictions[0]!, model_id: NAMED.sqlish };
    // The one name a feature cannot have is the empty one (the drift code's row marker).
    const unnamed = { ...predictions[1]!, prediction_id: "unnamed-feature", features: { "": "x" } };
    const answer = await postJson(api("/v1/predictions"), [...predictions, bad, unnamed]);
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(predictions.length);
    expect(answer.body.rejected).toEqual([
      { index: predictions.length, path: "model_id", message: expect.stringMatching(/letters, digits/) },
      { index: predictions.length + 1, path: "features.", message: "keys must be 1 to 256 characters" },
    ]);
    await waitForProcessor(p.stack);

    const stored = await waitUntil(
      "every prediction in ClickHouse",
      () =>
        rows<{
          id: string;
          version: string;
          stage: string;
          keys: string[];
          strings: Array<string | null>;
          label: string;
          class_keys: string[];
          seg_keys: string[];
          seg_values: string[];
        }>(sql`
          SELECT hex(prediction_id) AS id, hex(model_version) AS version, hex(stage) AS stage,
                 arrayMap(k -> hex(k), feature_keys) AS keys, arrayMap(s -> hex(s), feature_strings) AS strings,
                 hex(assumeNotNull(pred_label)) AS label, arrayMap(k -> hex(k), pred_class_keys) AS class_keys,
                 arrayMap(k -> hex(k), segment_keys) AS seg_keys, arrayMap(v -> hex(v), segment_values) AS seg_values
          FROM ${table("prediction_events")} WHERE model_id = ${MODEL}`),
      (found) => found.length === predictions.length,
    );
    const byId = new Map(stored.map((row) => [row.id, row]));
    for (const e of predictions) {
      const row = byId.get(hex(e.prediction_id));
      expect(row, `prediction ${JSON.stringify(e.prediction_id)}`).toBeDefined();
      expect(row!.version).toBe(hex(VERSION));
      expect(row!.stage).toBe(hex(STAGE));
      const features = Object.fromEntries(row!.keys.map((k, j) => [k, row!.strings[j]]));
      expect(features).toEqual(
        Object.fromEntries(Object.entries(e.features).map(([k, v]) => [hex(k), typeof v === "string" ? hex(v) : null])),
      );
      expect(row!.label).toBe(hex(e.prediction.label));
      expect(row!.class_keys).toEqual(Object.keys(e.prediction.scores).map(hex));
      expect(row!.seg_keys).toEqual(Object.keys(e.segments).map(hex));
      expect(row!.seg_values).toEqual(Object.values(e.segments).map(hex));
    }
  });

  it("stores label events byte-equal, joins them to their hostile prediction ids, and slices metrics by hostile segments", async () => {
    const labels = predictions.map((e, i) => ({
      prediction_id: e.prediction_id,
      model_id: MODEL,
      label: e.prediction.label,
      labeled_at: TIME + 3_600_000 + i,
      source: SOURCE,
    }));
    // As NDJSON, the other body form: a line holds any string, since JSON escapes its line breaks.
    const ndjson = [...labels, { ...labels[0]!, model_id: NAMED.quote }].map((l) => JSON.stringify(l)).join("\n");
    const answer = await postJson(api("/v1/labels"), ndjson, TEST_TOKEN, "application/x-ndjson");
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(labels.length);
    expect(answer.body.rejected).toEqual([{ index: labels.length, path: "model_id", message: expect.stringMatching(/letters, digits/) }]);
    await waitForProcessor(p.stack);

    const stored = await waitUntil(
      "every label in ClickHouse",
      () =>
        rows<{ id: string; label: string; source: string }>(sql`
        SELECT hex(prediction_id) AS id, hex(assumeNotNull(label)) AS label, hex(source) AS source FROM ${table("label_events")} WHERE model_id = ${MODEL}`),
      (found) => found.length === labels.length,
    );
    expect(new Map(stored.map((l) => [l.id, [l.label, l.source]]))).toEqual(
      new Map(labels.map((l) => [hex(l.prediction_id), [hex(l.label), hex(SOURCE)]])),
    );

    // The join matched each hostile label to its hostile prediction id.
    const joined = await waitUntil(
      "every label joined",
      () =>
        rows<{ id: string; label: string; pred_label: string; source: string }>(sql`
        SELECT hex(prediction_id) AS id, hex(assumeNotNull(label)) AS label, hex(assumeNotNull(pred_label)) AS pred_label, hex(source) AS source
        FROM ${table("labeled_predictions")} FINAL WHERE model_id = ${MODEL}`),
      (found) => found.length === labels.length,
    );
    for (const row of joined) expect([row.label, row.source]).toEqual([row.pred_label, hex(SOURCE)]);

    // Metrics of the hostile slice, asked for with hostile query parameters: every prediction counted,
    // the hostile positive class recognised (true positives), every label right.
    const query = new URLSearchParams({
      window: "3600",
      slice_key: SLICE_KEY,
      slice_value: SLICE_VALUE,
      model_version: VERSION,
      stage: STAGE,
    });
    const metrics = await waitUntil(
      "metrics of the hostile slice",
      async () => (await requestJson("GET", api(`/v1/models/${MODEL}/metrics?${query}`))).body,
      (b) => b?.windows?.length === 1 && b.windows[0].labeled === predictions.length,
    );
    const [w] = metrics.windows;
    expect(w.predictions).toBe(predictions.length);
    expect(w.accuracy).toBe(1);
    expect(w.tp).toBe(Math.ceil(predictions.length / 2));
    expect(w.tn).toBe(Math.floor(predictions.length / 2));
    expect(hex(w.model_version)).toBe(hex(VERSION));
    expect(hex(w.stage)).toBe(hex(STAGE));
    expect(hex(metrics.slice_key)).toBe(hex(SLICE_KEY));
    expect(hex(metrics.slice_value)).toBe(hex(SLICE_VALUE));

    const slices = await requestJson("GET", api(`/v1/models/${MODEL}/slices?window=3600&min_labeled=1`));
    const names = slices.body.slices
      .map((s: { slice_key: string; slice_value: string }) => `${hex(s.slice_key)}=${hex(s.slice_value)}`)
      .sort();
    const expected = [`${hex(SLICE_KEY)}=${hex(SLICE_VALUE)}`, ...NAMED_VALUES.map((v) => `${hex(NAMED.sqlish)}=${hex(v)}`)].sort();
    expect(names).toEqual(expected);
  });

  it("stores a reference sample's feature names, categories, labels and version byte-equal", async () => {
    const names = [NAMED.everything, NAMED.nullMarker, NAMED.placeholder, "\u0000"];
    const categories = NAMED_VALUES;
    const sample = Array.from({ length: 44 }, (_, i) => ({
      features: { ...Object.fromEntries(names.map((f, j) => [f, categories[(i + j) % categories.length]!])), amount: i },
      prediction: { label: categories[i % categories.length]! },
    }));
    const upload = await requestJson(
      "POST",
      api(`/v1/models/${MODEL}/reference?${new URLSearchParams({ model_version: VERSION })}`),
      sample,
    );
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    expect(hex(upload.body.model_version)).toBe(hex(VERSION));
    const referenceId: string = upload.body.reference_id;

    const stored = await rows<{ feature: string; kind: string; n: string; categories: string[] }>(sql`
      SELECT hex(feature) AS feature, kind, n, arrayMap(c -> hex(c), categories) AS categories
      FROM ${table("reference_features")} FINAL WHERE reference_id = ${referenceId}`);
    const byFeature = new Map(stored.map((f) => [f.feature, f]));
    for (const name of [...names, "prediction.label"]) {
      const f = byFeature.get(hex(name));
      expect(f, `feature ${JSON.stringify(name)}`).toBeDefined();
      expect(f!.kind).toBe("categorical");
      expect(Number(f!.n), `rows of feature ${JSON.stringify(name)}`).toBe(sample.length);
      expect([...f!.categories].sort()).toEqual(categories.map(hex).sort());
    }
    const [meta] = await rows<{ version: string }>(
      sql`SELECT hex(model_version) AS version FROM ${table("drift_references")} FINAL WHERE reference_id = ${referenceId}`,
    );
    expect(meta!.version).toBe(hex(VERSION));
    const [samples] = await rows<{ n: string; labels: string[] }>(sql`
      SELECT count() AS n, groupUniqArray(hex(assumeNotNull(pred_label))) AS labels FROM ${table("reference_samples")} FINAL WHERE reference_id = ${referenceId}`);
    expect(Number(samples!.n)).toBe(sample.length);
    expect([...samples!.labels].sort()).toEqual(categories.map(hex).sort());

    const read = await requestJson("GET", api(`/v1/models/${MODEL}/reference?${new URLSearchParams({ model_version: VERSION })}`));
    expect(read.status).toBe(200);
    expect(read.body.active.reference_id).toBe(referenceId);
    const apiFeature = read.body.features.find((f: { feature: string }) => f.feature === NAMED.everything);
    expect([...apiFeature.categories].map(hex).sort()).toEqual(categories.map(hex).sort());

    // The version's windows are re-scored against the upload once its traffic moves (a re-sent
    // prediction, which changes no count): every hostile feature the predictions carry is scored on
    // all of their values, none lost, none mistaken for another.
    expect((await postJson(api("/v1/predictions"), [predictions[0]])).body.accepted).toBe(1);
    type Score = { feature: string; reference_id: string; n: number };
    const scores = await waitUntil(
      "drift of the hostile features against the uploaded reference",
      async () =>
        ((await requestJson("GET", api(`/v1/models/${MODEL}/drift?${new URLSearchParams({ window: "3600", model_version: VERSION })}`)))
          .body?.scores ?? []) as Score[],
      (found) => names.every((n) => found.some((s) => s.reference_id === referenceId && s.feature === n)),
      60_000,
    );
    for (const name of names)
      expect(scores.find((s) => s.reference_id === referenceId && s.feature === name)!.n, `n of ${JSON.stringify(name)}`).toBe(
        predictions.length,
      );
  });

  it("stores a rules file's names, descriptions, targets and receivers byte-equal, as JSON and as YAML", async () => {
    const url = `http://127.0.0.1:9/hook/it's/"quoted"/\\N/%00/東京/🙂?q=');DROP TABLE x;--`;
    const file = {
      receivers: [
        { name: NAMED.everything, type: "webhook", url, headers: { "x-hostile": `a'b"c\\N\td`, "x-sql": NAMED.sqlish } },
        { name: NAMED.emoji, type: "slack", url, channel: `#on-call'\\N\u0000🙂` },
        { name: NAMED.nul, type: "alertmanager", url },
      ],
      rules: [
        {
          id: "hostile-accuracy",
          name: NAMED.everything,
          description: NAMED_VALUES.join(" | "),
          kind: "threshold",
          metric: "accuracy",
          op: "<",
          threshold: 0.5,
          target: { model: MODEL, version: VERSION, stage: STAGE, slice: `country=${SLICE_VALUE}` },
          receivers: [NAMED.everything, NAMED.emoji, NAMED.nul],
        },
        { id: "hostile-drift", name: NAMED.placeholder, kind: "threshold", metric: `drift.${DRIFT_FEATURE}`, target: { model: MODEL } },
      ],
    };
    const check = async (expectedVersion: number) => {
      const [settings] = await rows<{ receivers: string }>(
        sql`SELECT argMax(receivers, version) AS receivers FROM ${table("alert_settings")}`,
      );
      const receivers = JSON.parse(settings!.receivers) as typeof file.receivers;
      expect(receivers.map((x) => hex(x.name))).toEqual(file.receivers.map((x) => hex(x.name)));
      expect(receivers.map((x) => hex(x.url))).toEqual(file.receivers.map(() => hex(url)));
      expect(receivers[0]).toEqual(file.receivers[0]);
      expect(hex((receivers[1] as { channel: string }).channel)).toBe(hex(file.receivers[1]!.channel!));
      const specs = await rows<{ rule_id: string; latest_version: number; name: string; description: string; latest: string }>(sql`
        SELECT rule_id, max(version) AS latest_version, argMax(spec, version) AS latest,
               hex(JSONExtractString(latest, 'name')) AS name, hex(JSONExtractString(latest, 'description')) AS description
        FROM ${table("alert_rules")} FINAL GROUP BY rule_id ORDER BY rule_id`);
      expect(specs.map((s) => [s.rule_id, s.latest_version, s.name])).toEqual([
        ["hostile-accuracy", expectedVersion, hex(NAMED.everything)],
        ["hostile-drift", 1, hex(NAMED.placeholder)],
      ]);
      expect(specs[0]!.description).toBe(hex(file.rules[0]!.description!));
      expect(JSON.parse(specs[0]!.latest).target).toEqual(file.rules[0]!.target);
      expect(JSON.parse(specs[1]!.latest).metric).toBe(file.rules[1]!.metric);

      const one = await requestJson("GET", api("/v1/rules/hostile-accuracy"));
      const rule = one.body.versions.find((v: { version: number }) => v.version === expectedVersion).rule;
      expect([rule.name, rule.description, rule.target.version, rule.target.stage, rule.target.slice].map(hex)).toEqual(
        [NAMED.everything, file.rules[0]!.description!, VERSION, STAGE, `country=${SLICE_VALUE}`].map(hex),
      );
      expect(rule.receivers.map(hex)).toEqual(file.rules[0]!.receivers!.map(hex));
      const all = await requestJson("GET", api("/v1/rules"));
      expect(all.body.receivers.map((x: { name: string }) => hex(x.name))).toEqual(file.receivers.map((x) => hex(x.name)));
    };

    const put = await requestJson("PUT", api("/v1/rules"), file);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.created).toEqual(["hostile-accuracy", "hostile-drift"]);
    await check(1);

    // The same file as YAML (JSON is YAML; NUL travels as the escape \u0000): nothing changes.
    const res = await fetch(api("/v1/rules"), {
      method: "PUT",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/yaml" },
      body: JSON.stringify(file, null, 1),
    });
    expect(await res.json()).toEqual({ created: [], changed: [], deleted: [], unchanged: ["hostile-accuracy", "hostile-drift"] });
    // A change of description only: a new version, stored byte-equal again.
    file.rules[0]!.description = `${NAMED.everything} v2`;
    const changed = await requestJson("PUT", api("/v1/rules"), file);
    expect(changed.body.changed).toEqual(["hostile-accuracy"]);
    await check(2);

    // Rule ids and the key of a target slice are restricted by design; they are refused with the field.
    const badId = await requestJson("PUT", api("/v1/rules"), { rules: [{ ...file.rules[1], id: NAMED.sqlish }] });
    expect(badId.status).toBe(400);
    expect(badId.body.error.issues).toEqual([expect.stringMatching(/^rules\.0\.id: /)]);
    const badSlice = await requestJson("PUT", api("/v1/rules"), {
      rules: [{ ...file.rules[1], target: { model: MODEL, slice: `${NAMED.quote}=x` } }],
    });
    expect(badSlice.status).toBe(400);
    expect(badSlice.body.error.issues).toEqual([expect.stringMatching(/^rules\.0\.target\.slice: /)]);
    const badMetric = await requestJson("PUT", api("/v1/rules"), { rules: [{ ...file.rules[1], metric: "drift.tab\there" }] });
    expect(badMetric.status).toBe(400);
    expect(badMetric.body.error.issues).toEqual([expect.stringMatching(/^rules\.0\.metric: /)]);
    expect((await requestJson("GET", api("/v1/rules/hostile-drift"))).body.versions).toHaveLength(1);
  });

  it("stores feedback comments (and the token's name as its source) byte-equal and refuses a hostile alert id", async () => {
    // The alert itself is the evaluator's to write; here it is a fixture row, so the write under test is the feedback.
    const alertId = "hostile-alert-1";
    const alert: AlertRow = {
      alert_id: alertId,
      fingerprint: "f1",
      rule_id: "hostile-accuracy",
      rule_version: 2,
      rule_kind: "threshold",
      rule_name: NAMED.everything,
      severity: "warning",
      model_id: MODEL,
      model_version: VERSION,
      stage: STAGE,
      slice: `${SLICE_KEY}=${SLICE_VALUE}`,
      metric: "accuracy",
      feature: "",
      window_seconds: 3600,
      started_ms: TIME,
      fired_ms: TIME,
      last_breach_ms: TIME,
      resolved_ms: null,
      value: 0.4,
      threshold: 0.5,
      deviation: 0.1,
      sample_size: 40,
      worst_value: 0.4,
      summary: NAMED.sqlish,
      disposition: "surfaced",
      parent_id: "",
      group_reason: "",
      suppress_score: null,
      suppressor_version: "",
      suppress_reason: "",
      first_seen_wall_ms: Date.now(),
      updated_wall_ms: Date.now(),
    };
    await alertsRepository(p.stack.clickhouse).writeAlerts([alert]);

    const comments = [NAMED.everything, ...NAMED_VALUES.slice(0, 3), generated(1, 200)[0]!];
    for (const comment of comments) {
      const sent = await requestJson("POST", api(`/v1/alerts/${alertId}/feedback`), { action: "acted", comment }, FEEDBACK_TOKEN);
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    }
    const stored = await rows<{ comment: string; source: string }>(sql`
      SELECT hex(comment) AS comment, hex(source) AS source FROM ${table("alert_feedback")} WHERE alert_id = ${alertId} ORDER BY at_ms`);
    expect(stored.map((f) => f.comment).sort()).toEqual(comments.map(hex).sort());
    expect(new Set(stored.map((f) => f.source))).toEqual(new Set([hex(TOKEN_NAME)]));

    const read = await requestJson("GET", api(`/v1/alerts/${alertId}`));
    expect(read.status).toBe(200);
    expect(read.body.feedback_history.map((f: { comment: string }) => hex(f.comment)).sort()).toEqual(comments.map(hex).sort());
    expect([read.body.model_version, read.body.stage, read.body.slice].map(hex)).toEqual(
      [VERSION, STAGE, `${SLICE_KEY}=${SLICE_VALUE}`].map(hex),
    );

    for (const id of [NAMED.sqlish, NAMED.quote, "a\\N", "x\u0000y", "🙂"]) {
      const refused = await requestJson("POST", api(`/v1/alerts/${encodeURIComponent(id)}/feedback`), { action: "acted" });
      expect(refused.status, id).toBe(400);
      expect(refused.body.error.message).toMatch(/^id: not a valid alert id/);
    }
  });
});
