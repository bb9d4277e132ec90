/**
 * A virtualenv with Confluent's Python client and its Avro serializer (confluent-kafka with the
 * avro and schemaregistry extras, from PyPI), created once under .cache/ for the schema-registry test.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR } from "../../infra/local/paths.js";
import { runWithProgress } from "../../infra/local/process.js";

const VENV = join(CACHE_DIR, "confluent-kafka-venv");
const PACKAGES = ["confluent-kafka[avro,schemaregistry]==2.16.1"];

export async function confluentKafkaPython(
  log: (line: string) => void = (line) => process.stderr.write(`[confluent-kafka] ${line}\n`),
): Promise<string> {
  const python = join(VENV, "bin", "python");
  const marker = join(VENV, ".installed");
  const wanted = `${PACKAGES.join(" ")}\n`;
  if (existsSync(marker) && readFileSync(marker, "utf8") === wanted) return python;
  if (!existsSync(python)) await runWithProgress("python3", ["-m", "venv", VENV], { label: "python3 -m venv", log, progress: /./ });
  await runWithProgress(python, ["-m", "pip", "install", "--progress-bar", "off", "--disable-pip-version-check", ...PACKAGES], {
    label: "pip install confluent-kafka[avro,schemaregistry]",
    log,
    progress: /^(Collecting|Downloading|Installing|Successfully)/,
  });
  writeFileSync(marker, wanted);
  return python;
}
