import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, decodeChartSettings, encodeChartSettings } from "./settings";
import { sparkPath } from "./Sparkline";
import { formatTick } from "./ticks";

describe("chart settings in the URL", () => {
  it("round-trips and keeps other keys", () => {
    const settings = { metrics: ["loss", "acc"], xAxis: "wall" as const, smoothing: 0.6, logScale: true };
    const params = encodeChartSettings(settings, new URLSearchParams("tab=charts"));
    expect(params.toString()).toBe("tab=charts&m=loss&m=acc&x=wall&smooth=0.6&log=1");
    expect(decodeChartSettings(params)).toEqual(settings);
  });

  it("leaves defaults out and reads junk as defaults", () => {
    expect(encodeChartSettings(DEFAULT_SETTINGS, new URLSearchParams()).toString()).toBe("");
    expect(decodeChartSettings(new URLSearchParams("x=bogus&smooth=abc"))).toEqual(DEFAULT_SETTINGS);
  });

  it("tells 'no metrics' from 'all metrics'", () => {
    const none = encodeChartSettings({ ...DEFAULT_SETTINGS, metrics: [] }, new URLSearchParams());
    expect(decodeChartSettings(none).metrics).toEqual([]);
  });
});

describe("sparkPath", () => {
  it("scales points into the box, skipping NaN", () => {
    const pts = [
      { key: "m", run_id: "r", timestamp: 0, step: 0, value: 0 },
      { key: "m", run_id: "r", timestamp: 0, step: 5, value: "NaN" as const },
      { key: "m", run_id: "r", timestamp: 0, step: 10, value: 10 },
    ];
    expect(sparkPath(pts, 100, 20)).toBe("0.0,20.0 100.0,0.0");
    expect(sparkPath([], 100, 20)).toBe("");
  });
});

describe("formatTick", () => {
  it("keeps close ticks apart and skips missing ones", () => {
    expect([0.0015, 0.002, 0.0025].map(formatTick)).toEqual(["0.0015", "0.002", "0.0025"]);
    expect(formatTick(null)).toBe("");
    expect(formatTick(12_345_678)).toBe("1.23e+7");
  });
});
