/**
 * The `hindsight` command line: up, down, status, demo. Configuration comes from the environment
 * (see README, "Configuration"); KAFKA_BROKERS or CLICKHOUSE_URL, when set, point at existing
 * services and the project starts none of its own.
 */
import { parseArgs } from "node:util";
import { DEFAULT_HOME } from "../../infra/local/paths.js";
import { ConfigError, loadConfig } from "../common/config/env.js";
import type { CliContext } from "./context.js";
import { demo } from "./demo.js";
import { down } from "./down.js";
import { status } from "./status.js";
import { rules } from "./rules.js";
import { suppressor } from "./suppressor-command.js";
import { tokens } from "./tokens.js";
import { models } from "./models.js";
import { importCommand } from "./import/command.js";
import { up } from "./up.js";

const USAGE = `usage: hindsight <command> [options]

commands:
  up [--detach]        start Kafka and ClickHouse (embedded unless configured), the gateway and
                       the processor; in the foreground Ctrl-C stops everything
  down                 stop what 'up --detach' started
  status               show what runs, event counts in ClickHouse and consumer lag
  demo [options]       start the system if needed and send realistic demo traffic
      --rate N         predictions per second (default 50)
      --seed N         generator seed (default 1)
      --time-scale N   label delays are divided by N (default 2880: a 2-day delay takes 60 s)
      --duration S     stop after S seconds (default: run until Ctrl-C)
      --history-days N days of history sent first on an empty system (default 7; 0 for none)
  rules apply FILE     apply a rules file (YAML or JSON); every change becomes a new rule version
  rules list           active rules and the latest judgement of every series they watch
  tokens create --name N --scopes S[,S] [--models ID[,ID]] [--expires-in-days D]
  tokens list | revoke TOKEN_ID
                       API tokens stored in ClickHouse (hashed), effective without restarts
  models delete ID     remove a model's data from every table (stop sending its events first)
  import FILE [options]
                       load predictions, labels or a reference from CSV, JSON Lines or Parquet
                       through the gateway ('hindsight import --help' for the column mapping)
  suppressor train | evaluate [--history FILE] | import FILE.onnx
                       train, evaluate or bring your own alert suppressor (see README)

environment: KAFKA_BROKERS, CLICKHOUSE_URL, HINDSIGHT_HTTP_PORT, HINDSIGHT_TOKENS, ... (see README)
  beside another system (its Kafka and ClickHouse, nothing else of it touched): KAFKA_BROKERS and
  CLICKHOUSE_URL, with CLICKHOUSE_DATABASE, HINDSIGHT_TOPIC_PREFIX, HINDSIGHT_CONSUMER_GROUP,
  HINDSIGHT_HTTP_PORT, HINDSIGHT_PROCESSOR_METRICS_PORT (0: off) and HINDSIGHT_HOME of its own`;

async function main(argv: string[]): Promise<number> {
  // The suppressor has options of its own; it parses them itself.
  if (argv[0] === "suppressor") return suppressor(loadConfig(process.env), argv.slice(1));
  if (argv[0] === "tokens") return tokens(loadConfig(process.env), argv.slice(1));
  if (argv[0] === "models") return models(loadConfig(process.env), argv.slice(1));
  if (argv[0] === "import") {
    const config = loadConfig(process.env);
    return importCommand(config, process.env, config.home ?? DEFAULT_HOME, argv.slice(1));
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      detach: { type: "boolean", short: "d", default: false },
      rate: { type: "string", default: "50" },
      seed: { type: "string", default: "1" },
      "time-scale": { type: "string", default: "2880" },
      "history-days": { type: "string" },
      duration: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const config = loadConfig(process.env);
  const ctx: CliContext = {
    config,
    env: process.env,
    home: config.home ?? DEFAULT_HOME,
    embedded: { kafka: process.env.KAFKA_BROKERS === undefined, clickhouse: process.env.CLICKHOUSE_URL === undefined },
    log: (line) => process.stderr.write(`[hindsight] ${line}\n`),
  };
  switch (command) {
    case "up":
      return up(ctx, { detach: values.detach });
    case "down":
      return down(ctx);
    case "status":
      return status(ctx);
    case "rules":
      return rules(ctx, positionals.slice(1));
    case "demo":
      return demo(ctx, {
        rate: positiveNumber("--rate", values.rate),
        seed: positiveNumber("--seed", values.seed),
        timeScale: positiveNumber("--time-scale", values["time-scale"]),
        durationS: values.duration === undefined ? undefined : positiveNumber("--duration", values.duration),
        historyDays: values["history-days"] === undefined ? 7 : nonNegativeNumber("--history-days", values["history-days"]),
      });
    default:
      process.stderr.write(`unknown command '${command}'\n\n${USAGE}\n`);
      return 2;
  }
}

function positiveNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} must be a positive number, got '${text}'`);
  return n;
}

function nonNegativeNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${flag} must be 0 or a positive number, got '${text}'`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`hindsight: ${err instanceof ConfigError ? err.message : (err.stack ?? err.message)}\n`);
    process.exit(1);
  },
);
