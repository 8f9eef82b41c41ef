import { describe, expect, it } from "vitest";
import { toggleExperiment } from "./selection";

const listed = ["1", "2", "3", "4", "5"];

describe("checking experiments in the sidebar", () => {
  it("adds an unchecked experiment to the open ones and removes a checked one", () => {
    expect(toggleExperiment(["2"], listed, "4", false, null)).toEqual(["2", "4"]);
    expect(toggleExperiment(["2", "4"], listed, "2", false, "4")).toEqual(["4"]);
    expect(toggleExperiment([], listed, "3", false, null)).toEqual(["3"]);
  });

  it("adds the range from the last clicked one with Shift, either way", () => {
    expect(toggleExperiment(["2"], listed, "4", true, "2")).toEqual(["2", "3", "4"]);
    expect(toggleExperiment(["5"], listed, "3", true, "5")).toEqual(["5", "3", "4"]);
  });

  it("toggles just one when the anchor is no longer listed", () => {
    expect(toggleExperiment(["9"], listed, "2", true, "9")).toEqual(["9", "2"]);
  });
});
