/**
 * `hindsight import FILE [mapping flags] [--mapping FILE]`: predictions, labels or both (or a
 * drift reference with --reference) from CSV, JSON Lines or Parquet, sent to a running gateway
 * over its HTTP API. Exit 0 when every row loaded, 3 when some rows were rejected (each reported
 * with its line), 1 when the import stopped, 2 for a usage error.
 */
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import type { Config } from "../../common/config/env.js";
import { gatewayUrl } from "../context.js";
import { DEFAULT_RETRY, GatewayUnavailable, send } from "./http.js";
import { ImportError, runImport } from "./importer.js";
import { MappingError, parseMappingFile, resolveMapping, splitList, type MappingInput } from "./mapping.js";
import { formatOf, openRows } from "./readers.js";
import { summaryText, terminalReporter } from "./progress.js";

export const IMPORT_USAGE = `usage: hindsight import FILE [options]
  FILE                     .csv, .tsv, .jsonl/.ndjson or .parquet (or --format)
mapping (flags override --mapping FILE, a YAML or JSON file with the same keys, dashes as underscores):
  --model ID | --model-column C       the model (required)
  --version V | --version-column C    the model version (required for predictions)
  --stage S | --stage-column C        default production
  --id C                              prediction id column (required for labels alone)
  --time C                            event time column (ISO-8601 or epoch s/ms); default now
  --prediction C  --score C           predicted class, probability of the positive class
  --label C  --labeled-at C           true class; when it became known (default: the event time)
  --regression                        prediction and label columns hold numbers
  --features C,C  --exclude C,C       feature columns (default: every column not mapped otherwise)
  --segments C,C                      segment (slice) columns
  --source S                          the labels' source (default import)
  --reference                         load the rows as the model's drift reference instead
sending:
  --url URL --token T                 default HINDSIGHT_URL / HINDSIGHT_TOKEN, else the local gateway
  --batch-items N  --max-body-bytes N  --concurrency N   (defaults 5000, 10485760, 4)
  --format F  --delimiter D  --show-errors N (default 100)  --errors FILE (every rejected row)`;

const FLAG_KEYS = [
  "model",
  "model-column",
  "version",
  "version-column",
  "stage",
  "stage-column",
  "id",
  "time",
  "prediction",
  "score",
  "label",
  "labeled-at",
  "source",
] as const;

function positiveInt(flag: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new MappingError(`--${flag} must be a positive whole number, got '${text}'`);
  return v;
}

/** The token: --token, HINDSIGHT_TOKEN, a configured token with the scopes needed, or the local dev token. */
function tokenFor(config: Config, env: NodeJS.ProcessEnv, home: string, given: string | undefined, reference: boolean): string {
  if (given) return given;
  if (env.HINDSIGHT_TOKEN) return env.HINDSIGHT_TOKEN;
  const needs = reference ? ["admin"] : ["ingest", "label"];
  const configured = config.http.tokens.find((t) => needs.every((s) => t.scopes.includes(s as never)));
  if (configured) return configured.token;
  const dev = join(home, "dev-token");
  if (existsSync(dev)) return readFileSync(dev, "utf8").trim();
  throw new MappingError("no token: give --token or set HINDSIGHT_TOKEN (scopes ingest and label; admin for --reference)");
}

export async function importCommand(config: Config, env: NodeJS.ProcessEnv, home: string, args: string[]): Promise<number> {
  const flags = Object.fromEntries(FLAG_KEYS.map((k) => [k, { type: "string" as const }]));
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: true; options: Record<string, { type: "string" | "boolean" }> }>
  >;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...flags,
        mapping: { type: "string" },
        format: { type: "string" },
        delimiter: { type: "string" },
        regression: { type: "boolean" },
        features: { type: "string" },
        exclude: { type: "string" },
        segments: { type: "string" },
        reference: { type: "boolean" },
        url: { type: "string" },
        token: { type: "string" },
        "batch-items": { type: "string" },
        "max-body-bytes": { type: "string" },
        concurrency: { type: "string" },
        "show-errors": { type: "string" },
        errors: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${IMPORT_USAGE}\n`);
    return 2;
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const [file, ...extra] = parsed.positionals;
  if (v.help) {
    process.stdout.write(`${IMPORT_USAGE}\n`);
    return 0;
  }
  if (!file || extra.length) {
    process.stderr.write(`${IMPORT_USAGE}\n`);
    return 2;
  }
  const str = (k: string) => v[k] as string | undefined;
  const reference = v.reference === true;
  let errorsOut: ReturnType<typeof createWriteStream> | undefined;
  try {
    const fromFlags: MappingInput = {};
    for (const k of FLAG_KEYS) if (str(k) !== undefined) (fromFlags as Record<string, unknown>)[k.replace("-", "_")] = str(k);
    if (v.regression) fromFlags.regression = true;
    for (const k of ["features", "exclude", "segments"] as const) if (str(k) !== undefined) fromFlags[k] = splitList(str(k)!);
    const mappingPath = str("mapping");
    const fromFile = mappingPath ? parseMappingFile(readFileSync(mappingPath, "utf8")) : {};
    const mapping = resolveMapping(fromFile, fromFlags, { reference });
    if (!existsSync(file)) throw new MappingError(`no file '${file}'`);
    const source = await openRows(file, formatOf(file, str("format")), { delimiter: str("delimiter") });

    const base = (str("url") ?? env.HINDSIGHT_URL ?? gatewayUrl(config)).replace(/\/+$/, "");
    const token = tokenFor(config, env, home, str("token"), reference);
    // A gateway that is not there at all is said at once, not after a minute of retries.
    const alive = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (!alive) throw new ImportError(`no gateway answers at ${base}: start one with 'hindsight up', or give --url`);
    const httpDeps = {
      fetch,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
      random: Math.random,
      now: Date.now,
      warn: (line: string) => process.stderr.write(`${line}\n`),
    };
    const gateway = {
      call: (method: "POST" | "PUT", path: string, body?: string) =>
        send(httpDeps, DEFAULT_RETRY, { method, url: `${base}${path}`, token, body }),
    };
    const errorsPath = str("errors");
    if (errorsPath) errorsOut = createWriteStream(errorsPath);
    const reporter = terminalReporter({
      write: (t) => process.stderr.write(t),
      tty: process.stderr.isTTY === true,
      unit: source.unit,
      maxShown: str("show-errors") === undefined ? 100 : positiveInt("show-errors", str("show-errors")!),
      keep: errorsOut ? (line, message) => errorsOut!.write(`${source.unit} ${line}: ${message}\n`) : undefined,
    });
    const summary = await runImport(
      source,
      mapping,
      {
        maxBodyBytes: str("max-body-bytes") ? positiveInt("max-body-bytes", str("max-body-bytes")!) : 10 * 1024 * 1024,
        maxBatchItems: str("batch-items") ? positiveInt("batch-items", str("batch-items")!) : 5000,
        concurrency: str("concurrency") ? positiveInt("concurrency", str("concurrency")!) : 4,
        idPrefix: basename(file),
        nowMs: Date.now(),
        reference,
      },
      gateway,
      reporter,
    );
    if (reporter.hidden() > 0)
      process.stderr.write(
        `… and ${reporter.hidden()} more rejected rows${errorsPath ? ` (all in ${errorsPath})` : "; --errors FILE keeps them all"}\n`,
      );
    process.stdout.write(summaryText(summary, reference));
    return summary.rowsRejected > 0 ? 3 : 0;
  } catch (err) {
    if (err instanceof MappingError) {
      process.stderr.write(`hindsight import: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ImportError || err instanceof GatewayUnavailable) {
      process.stderr.write(`\nhindsight import stopped: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await new Promise<void>((r) => (errorsOut ? errorsOut.end(r) : r()));
  }
}
