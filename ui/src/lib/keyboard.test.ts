import { describe, expect, it } from "vitest";
import { moveFocus } from "./keyboard";

describe("keyboard movement", () => {
  it("moves within a list of rows, stopping at its ends", () => {
    expect(moveFocus("ArrowDown", 0, 3)).toBe(1);
    expect(moveFocus("ArrowDown", 2, 3)).toBe(2);
    expect(moveFocus("ArrowUp", 0, 3)).toBe(0);
    expect(moveFocus("End", 0, 3)).toBe(2);
    expect(moveFocus("Home", 2, 3)).toBe(0);
    expect(moveFocus("a", 0, 3)).toBeNull();
    expect(moveFocus("ArrowDown", -1, 0)).toBeNull();
  });
});
