import { describe, expect, it } from "vitest";
import type { NotificationRow } from "../common/clickhouse/alerts.repository.js";
import { alertmanagerResolutionWaitMs, backoffMs } from "./delivery.js";

describe("backoffMs", () => {
  it("doubles from 1 s after each failure", () => {
    expect([1, 2, 3, 4, 5, 6].map(backoffMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000]);
  });

  it("is capped at 60 s", () => {
    expect(backoffMs(7)).toBe(60_000); // 64 s uncapped
    expect(backoffMs(20)).toBe(60_000);
    expect(backoffMs(10_000)).toBe(60_000); // 2 ** 9999 is Infinity; still the cap
  });

  it("treats no failures yet as the first delay", () => {
    expect(backoffMs(0)).toBe(1000);
    expect(backoffMs(-3)).toBe(1000);
  });
});

describe("alertmanagerResolutionWaitMs", () => {
  const firing = (deliveredMs: number): NotificationRow => ({
    notification_id: "n1",
    alert_id: "a1",
    kind: "firing",
    receiver: "am",
    created_wall_ms: 1_000,
    attempts: deliveredMs ? 1 : 0,
    next_attempt_wall_ms: 1_000,
    delivered_wall_ms: deliveredMs,
    last_error: "",
    updated_wall_ms: 1_000,
  });

  it("sends at once when no firing is owed to that receiver", () => {
    expect(alertmanagerResolutionWaitMs(undefined, 60_000, 5_000)).toBe(0);
  });

  it("waits a whole minimum while the firing is still undelivered", () => {
    expect(alertmanagerResolutionWaitMs(firing(0), 60_000, 5_000)).toBe(60_000);
  });

  it("waits out the rest of the minimum after the firing's delivery, and no longer", () => {
    // Delivered at 10 s, a minute's minimum: due at 70 s.
    expect(alertmanagerResolutionWaitMs(firing(10_000), 60_000, 10_500)).toBe(59_500);
    expect(alertmanagerResolutionWaitMs(firing(10_000), 60_000, 69_999)).toBe(1);
    expect(alertmanagerResolutionWaitMs(firing(10_000), 60_000, 70_000)).toBe(0);
    expect(alertmanagerResolutionWaitMs(firing(10_000), 60_000, 3_600_000)).toBe(0);
  });
});
