import { describe, expect, it } from "vitest";
import { NearestNeighbors } from "@knnkit/core";
import { deserialize, serialize } from "../src/index.js";

describe("saved options that JSON cannot hold as numbers", () => {
  const X = [
    [0, 0],
    [1, 1],
    [5, 5],
  ];

  it("radius Infinity and p Infinity load as saved (JSON would write them as null)", () => {
    const nn = new NearestNeighbors({ radius: Infinity, metric: "minkowski", p: Infinity }).fit(X);
    const back = deserialize(serialize(nn)) as NearestNeighbors;
    expect(back.toState().options).toMatchObject({ radius: Infinity, p: Infinity });
    expect(Array.from(back.radiusNeighbors([[0, 0]]).indices)).toEqual([0, 1, 2]);
    expect(Array.from(back.kneighbors([[0, 0.9]], 2).distances)).toEqual([0.9, 1]);
  });
});
