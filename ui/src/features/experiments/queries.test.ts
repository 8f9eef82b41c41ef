import { describe, expect, it } from "vitest";
import { nameFilter } from "./queries";

describe("nameFilter", () => {
  it("searches names with LIKE, quotes turned into single-character wildcards", () => {
    expect(nameFilter("")).toBe("");
    expect(nameFilter("  ")).toBe("");
    expect(nameFilter(" demo ")).toBe("name LIKE '%demo%'");
    expect(nameFilter(`it's "x"`)).toBe("name LIKE '%it_s _x_%'");
  });
});
