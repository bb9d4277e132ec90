/**
 * All configuration, read from the environment once (in each service's main.ts) and validated
 * here; nothing else reads process.env. Unset values take the embedded defaults, which point at
 * the Kafka broker and ClickHouse server that `hindsight up` starts on loopback.
 */
import { z } from "zod";
import { KEEPER_PATH } from "../clickhouse/migrations.js";

const TokenSpec = z.object({
  token: z.string().min(16, "tokens must be at least 16 characters"),
  scopes: z.array(z.enum(["ingest", "label", "feedback", "read", "admin"])).min(1),
  name: z.string().optional(),
  /** Exact model ids this token may send events for and read; absent means every model. */
  models: z.array(z.string().min(1)).min(1, "list at least one model id, or leave 'models' out for all models").optional(),
});
export type TokenSpec = z.infer<typeof TokenSpec>;
export type Scope = TokenSpec["scopes"][number];

/**
 * Default of HINDSIGHT_KAFKA_MAX_BATCH_BYTES: safely under the broker's default message.max.bytes
 * (1,048,588), which refuses a larger record batch for a partition.
 */
export const DEFAULT_PRODUCE_MAX_BYTES = 900_000;

const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case identifier ([a-z_][a-z0-9_]*)");
const int = (def: number, min = 1) => z.coerce.number().int().min(min).default(def);

const EnvSchema = z.object({
  KAFKA_BROKERS: z.string().min(1).default("127.0.0.1:9092"),
  KAFKA_CLIENT_ID: z.string().default("hindsight"),
  // Producers send in calls of at most this many bytes; keep it under the broker's (and topics') message.max.bytes.
  HINDSIGHT_KAFKA_MAX_BATCH_BYTES: int(DEFAULT_PRODUCE_MAX_BYTES, 16 * 1024),
  CLICKHOUSE_URL: z.url().default("http://127.0.0.1:8123"),
  CLICKHOUSE_USER: z.string().default("default"),
  CLICKHOUSE_PASSWORD: z.string().default(""),
  CLICKHOUSE_DATABASE: identifier.default("hindsight"),
  // A replicated cluster: the Keeper path under which the Replicated database lives (README, "On a ClickHouse cluster").
  CLICKHOUSE_REPLICATED_PATH: z.string().regex(KEEPER_PATH, "must be a Keeper path like /clickhouse/databases").optional(),
  // The read-only user of POST /v1/sql (users.xml: readonly=1, limits pinned, this database only).
  CLICKHOUSE_ANALYST_USER: z.string().min(1).default("analyst"),
  CLICKHOUSE_ANALYST_PASSWORD: z.string().default(""),
  // The user of POST /v1/sql for model-limited tokens (users.xml: the analyst's limits, row filters by model).
  CLICKHOUSE_ANALYST_SCOPED_USER: z.string().min(1).default("analyst_scoped"),
  CLICKHOUSE_ANALYST_SCOPED_PASSWORD: z.string().default(""),
  HINDSIGHT_HTTP_HOST: z.string().default("127.0.0.1"),
  HINDSIGHT_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HINDSIGHT_TOKENS: z
    .string()
    .default("[]")
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: 'must be a JSON array like [{"token": "...", "scopes": ["ingest"]}]' });
        return z.NEVER;
      }
    })
    .pipe(z.array(TokenSpec)),
  HINDSIGHT_RATE_LIMIT_PER_MINUTE: int(6000),
  // Stored tokens (hindsight tokens create | revoke) are re-read this often: a change applies within it.
  HINDSIGHT_TOKEN_REFRESH_MS: int(2000, 100),
  // Retention in days per kind of data (ClickHouse TTL, applied at migrate time); 0 keeps it forever.
  HINDSIGHT_RETENTION_RAW_DAYS: int(90, 0),
  HINDSIGHT_RETENTION_JOINED_DAYS: int(180, 0),
  HINDSIGHT_RETENTION_WINDOWS_DAYS: int(400, 0),
  HINDSIGHT_RETENTION_ALERTS_DAYS: int(365, 0),
  HINDSIGHT_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .default("hindsight"),
  HINDSIGHT_PARTITIONS: int(3),
  HINDSIGHT_CONSUMER_GROUP: z.string().min(1).default("hindsight-processor"),
  HINDSIGHT_MAX_BODY_BYTES: int(10 * 1024 * 1024, 1024),
  HINDSIGHT_MAX_BATCH_ITEMS: int(5000),
  HINDSIGHT_BATCH_MAX_ROWS: int(20000),
  HINDSIGHT_BATCH_MAX_WAIT_MS: int(500, 0),
  HINDSIGHT_PROCESSOR_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  // What one processor process does: both consumer groups (all), or one of them, so that ingestion and
  // the metrics path can each have a process (and a core) of their own.
  HINDSIGHT_PROCESSOR_ROLE: z.enum(["all", "ingest", "metrics"]).default("all"),
  HINDSIGHT_LABEL_HORIZON_DAYS: z.coerce.number().positive().default(30),
  HINDSIGHT_WINDOWS: z
    .string()
    .default("300,3600,86400")
    .transform((s) => s.split(",").map((w) => Number(w.trim())))
    .refine(
      (ws) => ws.every((w) => Number.isInteger(w) && w >= 60 && w <= 31 * 86400),
      "must be whole seconds between 60 and 31 days, comma-separated",
    )
    .refine((ws) => ws.every((w) => w % Math.min(...ws) === 0), "every window must be a multiple of the smallest"),
  HINDSIGHT_METRICS_INTERVAL_MS: int(100, 0),
  HINDSIGHT_RECOMPUTE_MAX_WINDOWS: int(200, 1),
  HINDSIGHT_RECOMPUTE_MAX_ROWS: int(1_000_000, 1),
  HINDSIGHT_WATCH_INTERVAL_MS: int(10_000, 50),
  HINDSIGHT_STALL_SECONDS: z.coerce.number().positive().default(120),
  HINDSIGHT_MAX_METRICS_LAG: int(100_000, 0),
  HINDSIGHT_REFERENCE_ROWS: int(2000, 100),
  // The most rows one uploaded reference may hold, in one body or across the parts of an upload.
  HINDSIGHT_REFERENCE_MAX_ROWS: int(200_000, 100),
  // Drift per slice: the busiest slices of each declared key scored per window; the rest are counted.
  HINDSIGHT_DRIFT_SLICES_PER_KEY: int(20, 1),
  // Regression error models (label-free MAE/RMSE): fitted by the evaluator, loaded by processors.
  HINDSIGHT_ERROR_MODEL_MIN_ROWS: int(500, 1),
  HINDSIGHT_ERROR_MODEL_MAX_ROWS: int(20_000, 100),
  HINDSIGHT_ERROR_MODEL_REFIT_MINUTES: z.coerce.number().positive().default(60),
  HINDSIGHT_ERROR_MODEL_CHECK_MS: int(60_000, 50),
  HINDSIGHT_ERROR_MODEL_RELOAD_MS: int(60_000, 50),
  HINDSIGHT_EVAL_INTERVAL_MS: int(5000, 50),
  HINDSIGHT_DELIVERY_INTERVAL_MS: int(1000, 50),
  HINDSIGHT_ALERT_LOOKBACK_DAYS: z.coerce.number().positive().default(8),
  HINDSIGHT_ALERT_ACK_TIMEOUT_HOURS: z.coerce.number().positive().default(24),
  HINDSIGHT_SUPPRESS_EXPLORE_RATE: z.coerce.number().min(0).max(1).default(0.05),
  HINDSIGHT_SUPPRESS_MIN_FEEDBACK: int(20, 0),
  HINDSIGHT_SUPPRESSOR_RETRAIN_HOURS: z.coerce.number().min(0).default(24),
  HINDSIGHT_PUBLIC_URL: z.url().optional(),
  // A Confluent-compatible schema registry (its REST base URL): the processor reads any id registered
  // there, the gateway registers its schemas there. Unset: the fixed schema ids 1–3.
  HINDSIGHT_SCHEMA_REGISTRY_URL: z.url().optional(),
  HINDSIGHT_SCHEMA_CACHE_SIZE: int(1000),
  HINDSIGHT_HOME: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export interface Config {
  /** maxBatchBytes: the most bytes of records one produce call carries (chunks stay under the broker's limit). */
  kafka: { brokers: string[]; clientId: string; maxBatchBytes: number };
  topics: { predictions: string; labels: string; dlq: string; partitions: number };
  clickhouse: {
    url: string;
    user: string;
    password: string;
    database: string;
    /** Set on a replicated cluster: the Keeper path under which the Replicated database lives. */
    replicatedPath?: string;
    analyst: { user: string; password: string };
    analystScoped: { user: string; password: string };
  };
  http: {
    host: string;
    port: number;
    maxBodyBytes: number;
    maxBatchItems: number;
    tokens: TokenSpec[];
    rateLimitPerMinute: number;
    tokenRefreshMs: number;
  };
  /**
   * Days each kind of data is kept (0: forever), by event time: raw events (predictions, labels and
   * their per-time copies), joined rows (labelled predictions), window states (metrics, drift and
   * quality per window) and alerts (with their notifications, feedback and rule status).
   */
  retention: { rawDays: number; joinedDays: number; windowsDays: number; alertsDays: number };
  /**
   * recomputeMaxWindows: the most base windows one recompute statement covers when their rows are not
   * known; recomputeMaxRows: the most rows a backlog statement reads (it covers up to ten times
   * recomputeMaxWindows when they are few); watch: how often the
   * processor checks its metrics consumer group, after how long without progress it is stalled, and
   * the backlog above which it is lagging.
   */
  processor: {
    groupId: string;
    /** all: ingestion and the metrics path; ingest: storing raw events only; metrics: the join, windows and jobs only. */
    role: "all" | "ingest" | "metrics";
    batchMaxRows: number;
    batchMaxWaitMs: number;
    metricsPort: number;
    recomputeMaxWindows: number;
    recomputeMaxRows: number;
    watch: { intervalMs: number; stallMs: number; maxLag: number };
  };
  metrics: { labelHorizonMs: number; windowSizes: number[]; minIntervalMs: number };
  /** A version without a reference is compared with its first autoReferenceRows predictions. */
  drift: { autoReferenceRows: number; maxReferenceRows: number; slicesPerKey: number };
  /**
   * Regression error models: fitted on at most maxRows of a version's latest labelled rows within
   * the label horizon once it has minRows, refitted at most every refitMs (the evaluator checks every
   * checkMs); processors re-read the stored models at most every reloadMs.
   */
  errorModels: { minRows: number; maxRows: number; refitMs: number; checkMs: number; reloadMs: number };
  alerts: {
    topic: string;
    evalIntervalMs: number;
    deliveryIntervalMs: number;
    lookbackMs: number;
    /** A surfaced alert without feedback this long after it fired counts as ignored. */
    ackTimeoutMs: number;
    exploreRate: number;
    minFeedback: number;
    /** The evaluator retrains the suppressor this often (0: only `hindsight suppressor train`). */
    retrainMs: number;
    /** Base of links in notifications (the dashboard); the gateway's address when unset. */
    publicUrl: string | undefined;
    /** Evaluators elect one leader (which evaluates and delivers) through this group over this one-partition topic. */
    leaderTopic: string;
    leaderGroupId: string;
  };
  /** url: a Confluent-compatible schema registry, or undefined for the fixed ids; maxSchemas: schema ids the processor keeps. */
  schemaRegistry: { url: string | undefined; maxSchemas: number };
  logLevel: z.infer<typeof EnvSchema>["LOG_LEVEL"];
  /** State of the embedded stack (data, logs, pid files); the CLI defaults it to ./.hindsight. */
  home: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (FOO= in a shell or a compose file) means "not set", not zero or "".
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = EnvSchema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  // Raw events younger than the label horizon must stay, or late labels would find nothing to join.
  if (e.HINDSIGHT_RETENTION_RAW_DAYS > 0 && e.HINDSIGHT_RETENTION_RAW_DAYS <= e.HINDSIGHT_LABEL_HORIZON_DAYS) {
    throw new ConfigError(
      `invalid configuration:\n  HINDSIGHT_RETENTION_RAW_DAYS: must exceed HINDSIGHT_LABEL_HORIZON_DAYS (${e.HINDSIGHT_LABEL_HORIZON_DAYS}), or be 0 to keep raw events forever`,
    );
  }
  return {
    kafka: {
      brokers: e.KAFKA_BROKERS.split(",")
        .map((b) => b.trim())
        .filter(Boolean),
      clientId: e.KAFKA_CLIENT_ID,
      maxBatchBytes: e.HINDSIGHT_KAFKA_MAX_BATCH_BYTES,
    },
    topics: {
      predictions: `${e.HINDSIGHT_TOPIC_PREFIX}.predictions`,
      labels: `${e.HINDSIGHT_TOPIC_PREFIX}.labels`,
      dlq: `${e.HINDSIGHT_TOPIC_PREFIX}.dlq`,
      partitions: e.HINDSIGHT_PARTITIONS,
    },
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      ...(e.CLICKHOUSE_REPLICATED_PATH === undefined ? {} : { replicatedPath: e.CLICKHOUSE_REPLICATED_PATH }),
      analyst: { user: e.CLICKHOUSE_ANALYST_USER, password: e.CLICKHOUSE_ANALYST_PASSWORD },
      analystScoped: { user: e.CLICKHOUSE_ANALYST_SCOPED_USER, password: e.CLICKHOUSE_ANALYST_SCOPED_PASSWORD },
    },
    http: {
      host: e.HINDSIGHT_HTTP_HOST,
      port: e.HINDSIGHT_HTTP_PORT,
      maxBodyBytes: e.HINDSIGHT_MAX_BODY_BYTES,
      maxBatchItems: e.HINDSIGHT_MAX_BATCH_ITEMS,
      tokens: e.HINDSIGHT_TOKENS,
      rateLimitPerMinute: e.HINDSIGHT_RATE_LIMIT_PER_MINUTE,
      tokenRefreshMs: e.HINDSIGHT_TOKEN_REFRESH_MS,
    },
    retention: {
      rawDays: e.HINDSIGHT_RETENTION_RAW_DAYS,
      joinedDays: e.HINDSIGHT_RETENTION_JOINED_DAYS,
      windowsDays: e.HINDSIGHT_RETENTION_WINDOWS_DAYS,
      alertsDays: e.HINDSIGHT_RETENTION_ALERTS_DAYS,
    },
    processor: {
      groupId: e.HINDSIGHT_CONSUMER_GROUP,
      role: e.HINDSIGHT_PROCESSOR_ROLE,
      batchMaxRows: e.HINDSIGHT_BATCH_MAX_ROWS,
      batchMaxWaitMs: e.HINDSIGHT_BATCH_MAX_WAIT_MS,
      metricsPort: e.HINDSIGHT_PROCESSOR_METRICS_PORT,
      recomputeMaxWindows: e.HINDSIGHT_RECOMPUTE_MAX_WINDOWS,
      recomputeMaxRows: e.HINDSIGHT_RECOMPUTE_MAX_ROWS,
      watch: { intervalMs: e.HINDSIGHT_WATCH_INTERVAL_MS, stallMs: e.HINDSIGHT_STALL_SECONDS * 1000, maxLag: e.HINDSIGHT_MAX_METRICS_LAG },
    },
    metrics: {
      labelHorizonMs: e.HINDSIGHT_LABEL_HORIZON_DAYS * 86_400_000,
      windowSizes: [...new Set(e.HINDSIGHT_WINDOWS)].sort((a, b) => a - b),
      minIntervalMs: e.HINDSIGHT_METRICS_INTERVAL_MS,
    },
    drift: {
      autoReferenceRows: e.HINDSIGHT_REFERENCE_ROWS,
      maxReferenceRows: e.HINDSIGHT_REFERENCE_MAX_ROWS,
      slicesPerKey: e.HINDSIGHT_DRIFT_SLICES_PER_KEY,
    },
    errorModels: {
      minRows: e.HINDSIGHT_ERROR_MODEL_MIN_ROWS,
      maxRows: e.HINDSIGHT_ERROR_MODEL_MAX_ROWS,
      refitMs: e.HINDSIGHT_ERROR_MODEL_REFIT_MINUTES * 60_000,
      checkMs: e.HINDSIGHT_ERROR_MODEL_CHECK_MS,
      reloadMs: e.HINDSIGHT_ERROR_MODEL_RELOAD_MS,
    },
    alerts: {
      topic: `${e.HINDSIGHT_TOPIC_PREFIX}.alerts`,
      evalIntervalMs: e.HINDSIGHT_EVAL_INTERVAL_MS,
      deliveryIntervalMs: e.HINDSIGHT_DELIVERY_INTERVAL_MS,
      lookbackMs: e.HINDSIGHT_ALERT_LOOKBACK_DAYS * 86_400_000,
      ackTimeoutMs: e.HINDSIGHT_ALERT_ACK_TIMEOUT_HOURS * 3_600_000,
      exploreRate: e.HINDSIGHT_SUPPRESS_EXPLORE_RATE,
      minFeedback: e.HINDSIGHT_SUPPRESS_MIN_FEEDBACK,
      retrainMs: e.HINDSIGHT_SUPPRESSOR_RETRAIN_HOURS * 3_600_000,
      publicUrl: e.HINDSIGHT_PUBLIC_URL,
      leaderTopic: `${e.HINDSIGHT_TOPIC_PREFIX}.evaluator-leader`,
      leaderGroupId: `${e.HINDSIGHT_TOPIC_PREFIX}.evaluators`,
    },
    schemaRegistry: { url: e.HINDSIGHT_SCHEMA_REGISTRY_URL, maxSchemas: e.HINDSIGHT_SCHEMA_CACHE_SIZE },
    logLevel: e.LOG_LEVEL,
    home: e.HINDSIGHT_HOME,
  };
}
