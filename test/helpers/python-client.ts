/**
 * A virtualenv for the Python client's tests, created once under .cache/ (pytest, pandas and
 * setuptools from PyPI) and reused; the client itself is reinstalled from clients/python on every
 * run, without build isolation, so that a run after the first needs no network and takes seconds.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, ROOT } from "../../infra/local/paths.js";
import { runWithProgress } from "../../infra/local/process.js";

const VENV = join(CACHE_DIR, "python-client-venv");
/** What the marker records: change it to have the virtualenv's tools installed again. */
const TOOLS = ["pytest>=7,<10", "pandas>=1.3", "setuptools>=70.1", "wheel"];

export const PYTHON_CLIENT_DIR = join(ROOT, "clients/python");

export async function pythonClientVenv(
  log: (line: string) => void = (line) => process.stderr.write(`[python-client] ${line}\n`),
): Promise<string> {
  const python = join(VENV, "bin", "python");
  const marker = join(VENV, ".installed");
  const wanted = `${TOOLS.join(" ")}\n`;
  const current = existsSync(marker) ? readFileSync(marker, "utf8") : "";
  if (current !== wanted) {
    if (!existsSync(python)) await runWithProgress("python3", ["-m", "venv", VENV], { label: "python3 -m venv", log, progress: /./ });
    await runWithProgress(python, ["-m", "pip", "install", "--progress-bar", "off", "--disable-pip-version-check", ...TOOLS], {
      label: "pip install pytest pandas setuptools",
      log,
      progress: /^(Collecting|Downloading|Installing|Successfully)/,
    });
    writeFileSync(marker, wanted);
  }
  await runWithProgress(
    python,
    [
      "-m",
      "pip",
      "install",
      "--progress-bar",
      "off",
      "--disable-pip-version-check",
      "--no-build-isolation",
      "--no-deps",
      "--force-reinstall",
      PYTHON_CLIENT_DIR,
    ],
    {
      label: "pip install ./clients/python",
      log,
      progress: /^(Processing|Building|Installing|Successfully)/,
    },
  );
  return python;
}

/** Runs asynchronously: the gateway under test lives in this process, a synchronous spawn would block it. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        encoding: "utf8",
        timeout: options.timeoutMs ?? 120_000,
        env: options.env ?? process.env,
        cwd: options.cwd,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        resolve({ status: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}
