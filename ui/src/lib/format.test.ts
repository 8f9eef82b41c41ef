import { describe, expect, it } from "vitest";
import { errorPosition, formatDuration, formatValue, runDuration } from "./format";

describe("format", () => {
  it("formats durations compactly", () => {
    expect(formatDuration(null)).toBe("");
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(12_340)).toBe("12.3s");
    expect(formatDuration(245_000)).toBe("4m 05s");
    expect(formatDuration(2 * 3600_000 + 3 * 60_000)).toBe("2h 03m");
    expect(formatDuration(3 * 86400_000 + 4 * 3600_000)).toBe("3d 4h");
  });

  it("measures running runs up to now", () => {
    expect(runDuration(1000, 3000)).toBe(2000);
    expect(runDuration(1000, undefined, 5000)).toBe(4000);
    expect(runDuration(undefined, 5000)).toBeNull();
  });

  it("formats metric values", () => {
    expect(formatValue(3)).toBe("3");
    expect(formatValue(0.123456789)).toBe("0.123457");
    expect(formatValue("NaN")).toBe("NaN");
    expect(formatValue(undefined)).toBe("");
  });
});

describe("errorPosition", () => {
  it("reads the position of a search-language error", () => {
    expect(errorPosition(`Invalid filter "a >>> 1": at position 11, expected a value`)).toBe(11);
    expect(errorPosition("Invalid filter")).toBeNull();
  });
});
