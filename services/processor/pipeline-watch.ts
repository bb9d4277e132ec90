/**
 * The processor watching itself. The ledger records pieces of work set aside after a
 * deterministic failure (and clears them when a later run of the same window succeeds); the
 * watch checks the metrics consumer group now and then: unread messages and no progress for
 * `stallMs` is a stall, a backlog above `maxLag` is lag. Every problem is a durable row in
 * `pipeline_failures` (read by /readyz, `hindsight status` and the evaluator's own alert) and a
 * gauge on the processor's /metrics, labelled by kind only.
 */
import type {
  PipelineFailuresRepository,
  PipelineProblem,
  PipelineProblemKind,
} from "../common/clickhouse/pipeline-failures.repository.js";
import { clickHouseErrorCode } from "../common/clickhouse/errors.js";
import type { Logger } from "../common/observability/logger.js";

export type PieceStep = "volume" | "label_stats" | "drift" | "drift_reference";

export interface SetAsideSink {
  setAside(step: PieceStep, modelId: string, version: string, window: number, err: Error): Promise<void>;
  /** Clears what was set aside for these windows; returns how many were. */
  succeeded(step: PieceStep, modelId: string, version: string, windows: number[]): Promise<number>;
}

export const NO_SINK: SetAsideSink = { setAside: async () => undefined, succeeded: async () => 0 };

export const problemId = (step: string, modelId: string, version: string, window: number) =>
  JSON.stringify([step, modelId, version, window]);

export interface WatchGauges {
  problems(kind: PipelineProblemKind, n: number): void;
  lag(n: number): void;
}

export class FailureLedger implements SetAsideSink {
  private open = new Map<string, PipelineProblem>();

  constructor(
    private readonly repo: Pick<PipelineFailuresRepository, "write" | "openOfKind">,
    private readonly gauges: WatchGauges,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    for (const p of await this.repo.openOfKind("set_aside")) this.open.set(p.failure_id, p);
    this.gauges.problems("set_aside", this.open.size);
  }

  get openCount(): number {
    return this.open.size;
  }

  async setAside(step: PieceStep, modelId: string, version: string, window: number, err: Error): Promise<void> {
    const id = problemId(step, modelId, version, window);
    const now = this.clock();
    const row: PipelineProblem = {
      failure_id: id,
      kind: "set_aside",
      step,
      model_id: modelId,
      model_version: version,
      window_start: window,
      error_code: clickHouseErrorCode(err) ?? "",
      reason: err.message.split("\n")[0]!.slice(0, 1000),
      first_seen_ms: this.open.get(id)?.first_seen_ms ?? now,
      updated_ms: now,
      resolved_ms: 0,
    };
    await this.repo.write([row]);
    this.open.set(id, row);
    this.gauges.problems("set_aside", this.open.size);
  }

  async succeeded(step: PieceStep, modelId: string, version: string, windows: number[]): Promise<number> {
    if (this.open.size === 0) return 0;
    const now = this.clock();
    const cleared = windows
      .map((w) => this.open.get(problemId(step, modelId, version, w)))
      .filter((p): p is PipelineProblem => p !== undefined);
    if (cleared.length === 0) return 0;
    await this.repo.write(cleared.map((p) => ({ ...p, updated_ms: now, resolved_ms: now })));
    for (const p of cleared) this.open.delete(p.failure_id);
    this.gauges.problems("set_aside", this.open.size);
    this.logger.info({ step, model: modelId, version, windows: cleared.length }, "set-aside windows recomputed; cleared");
    return cleared.length;
  }
}

export interface GroupPosition {
  /** Sum of the group's committed offsets over the topics' partitions. */
  committed: number;
  /** Messages the group has yet to read. */
  lag: number;
  /** The windows it marked: how many wait, and the latest time (any clock) one was cleared. */
  windows?: { pending: number; lastCleared: number };
}

export interface WatchOptions {
  stallMs: number;
  maxLag: number;
}

/**
 * One check of the metrics group: pure state transitions, so it can be unit-tested without Kafka.
 * Returns the problems to write (opened, refreshed or resolved) for `stalled` and `metrics_lag`.
 */
export class GroupWatch {
  private lastCommitted = -1;
  private progressAt: number;
  private lastCleared = -1;
  private windowsProgressAt: number;
  /** Open problems by failure id: the group's stall and lag, and the window workers' stall. */
  private openRows = new Map<string, PipelineProblem>();

  constructor(
    private readonly options: WatchOptions,
    private readonly group: string,
    now: number,
  ) {
    this.progressAt = now;
    this.windowsProgressAt = now;
  }

  private ids() {
    return { stalled: `stalled:${this.group}`, lag: `metrics_lag:${this.group}`, windows: `stalled:windows:${this.group}` };
  }

  /** Problems of this group left open by an earlier run, so that they get resolved too. */
  adopt(rows: PipelineProblem[]): void {
    const ids = Object.values(this.ids());
    for (const r of rows) if (ids.includes(r.failure_id)) this.openRows.set(r.failure_id, r);
  }

  check(position: GroupPosition, now: number): PipelineProblem[] {
    if (position.committed !== this.lastCommitted || position.lag === 0) {
      this.lastCommitted = position.committed;
      this.progressAt = now;
    }
    const stalledFor = now - this.progressAt;
    const pending = position.windows?.pending ?? 0;
    if (position.windows && (position.windows.lastCleared !== this.lastCleared || pending === 0)) {
      this.lastCleared = position.windows.lastCleared;
      this.windowsProgressAt = now;
    }
    const windowsStalledFor = now - this.windowsProgressAt;
    const ids = this.ids();
    const out: PipelineProblem[] = [];
    const want: Array<[string, PipelineProblemKind, string, boolean, string]> = [
      [
        ids.stalled,
        "stalled",
        "metrics_consumer",
        position.lag > 0 && stalledFor >= this.options.stallMs,
        `metrics consumer group ${this.group} has not advanced for ${Math.round(stalledFor / 1000)} s with ${position.lag} messages unread`,
      ],
      [
        ids.lag,
        "metrics_lag",
        "metrics_consumer",
        position.lag > this.options.maxLag,
        `metrics consumer group ${this.group} is ${position.lag} messages behind (bound ${this.options.maxLag})`,
      ],
      [
        ids.windows,
        "stalled",
        "window_worker",
        pending > 0 && windowsStalledFor >= this.options.stallMs,
        `no marked window has been recomputed for ${Math.round(windowsStalledFor / 1000)} s with ${pending} waiting (the window workers run on the member of ${this.group} holding the first predictions partition)`,
      ],
    ];
    for (const [id, kind, step, active, reason] of want) {
      const open = this.openRows.get(id);
      if (active && !open) {
        const row: PipelineProblem = {
          failure_id: id,
          kind,
          step,
          model_id: "",
          model_version: "",
          window_start: 0,
          error_code: "",
          reason,
          first_seen_ms: now,
          updated_ms: now,
          resolved_ms: 0,
        };
        this.openRows.set(id, row);
        out.push(row);
      } else if (!active && open) {
        this.openRows.delete(id);
        out.push({ ...open, updated_ms: now, resolved_ms: now });
      }
    }
    return out;
  }

  isOpen(kind: PipelineProblemKind): boolean {
    return [...this.openRows.values()].some((r) => r.kind === kind);
  }
}
