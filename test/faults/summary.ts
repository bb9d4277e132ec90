/**
 * Global setup of the fault suite: remembers when the run started, and at the end prints the
 * figures every scenario reported during this run as one Markdown table (the README's table).
 */
import { existsSync, readFileSync } from "node:fs";
import { FIGURES_FILE } from "./figures.js";

export default function setup(): () => void {
  const started = new Date().toISOString();
  return () => {
    if (!existsSync(FIGURES_FILE)) return;
    const rows = readFileSync(FIGURES_FILE, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((r) => String(r.at) >= started);
    if (rows.length === 0) return;
    const lines = [
      "| scenario | mode | sent | found | lost | doubled | in DLQ | recovery | notes |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
      ...rows.map(
        (r) =>
          `| ${r.scenario} | ${r.mode} | ${r.sent} | ${r.found} | ${r.lost} | ${r.doubled} | ${r.inDlq} | ${r.recoveryS === null ? "–" : `${Number(r.recoveryS).toFixed(1)} s`} | ${r.note ?? ""} |`,
      ),
    ];
    process.stderr.write(`\nFault suite figures (${started}):\n${lines.join("\n")}\n`);
  };
}
