/**
 * The Python the peer tools run in: a virtualenv in .cache/bench-venv, created (or completed) from
 * bench/python/requirements.txt when the modules a benchmark needs do not import.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, ROOT } from "../infra/local/paths.js";
import { log } from "./stack.js";

const VENV = join(CACHE_DIR, "bench-venv");

/** The virtualenv's python, with `modules` importable. */
export function benchPython(modules: string[]): string {
  const python = join(VENV, "bin", "python");
  const run = (command: string, argv: string[]) => spawnSync(command, argv, { stdio: ["ignore", 2, 2] }).status === 0;
  if (existsSync(python) && run(python, ["-c", `import ${modules.join(", ")}`])) return python;
  log("creating or completing the peers' virtualenv from bench/python/requirements.txt; this takes a couple of minutes");
  if (!existsSync(python) && !run("python3", ["-m", "venv", VENV])) throw new Error("python3 -m venv failed");
  if (!run(join(VENV, "bin", "pip"), ["install", "-q", "-r", join(ROOT, "bench/python/requirements.txt")]))
    throw new Error("pip install failed");
  return python;
}
