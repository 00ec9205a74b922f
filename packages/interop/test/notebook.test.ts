import { BallTree, BruteForce, KNeighborsClassifier, NearestNeighbors, matrixView, mulberry32 } from "@knnkit/core";
import { describe, expect, it } from "vitest";
import { comparisonTableFigure, display, recallSpeedFigure, toHTML, toText } from "../src/notebook.js";

function random(rows: number, cols: number, seed = 1) {
  const rand = mulberry32(seed);
  return matrixView(new Float64Array(rows * cols).map(() => rand()), rows, cols);
}

describe("notebook display", () => {
  it("names the algorithm auto chose, and why", () => {
    const cases: [NearestNeighbors, number, string, string][] = [
      [new NearestNeighbors({ nNeighbors: 3 }), 4, "kd_tree", "KD-tree bounds"],
      [new NearestNeighbors({ nNeighbors: 3 }), 20, "brute", "20 features > 15"],
      [new NearestNeighbors({ nNeighbors: 3, metric: "cosine" }), 4, "brute", "cosine"],
      [new NearestNeighbors({ nNeighbors: 30 }), 4, "brute", "half the 60 training rows"],
      [new NearestNeighbors({ nNeighbors: 3, algorithm: "ball_tree" }), 4, "ball_tree", 'algorithm="ball_tree" requested'],
    ];
    for (const [est, cols, algorithm, why] of cases) {
      est.fit(random(60, cols));
      const text = toText(est);
      expect(text).toContain(`algorithm: ${algorithm}`);
      expect(text).toContain(why);
      expect(text).toContain(`60 rows x ${cols} features, float64`);
      expect(toHTML(est)).toContain(`<td style="text-align:left">${algorithm}</td>`);
    }
  });

  it("describes indexes and classifiers, with memory and brute force's kernel", () => {
    const X = random(50, 3, 2);
    expect(toText(BallTree.build(X))).toMatch(/algorithm: ball_tree[\s\S]*50 rows x 3 features[\s\S]*memory: \d+\.\d\d MiB/);
    expect(toText(BruteForce.build(X))).toMatch(/distance kernel: \w+/);
    const clf = new KNeighborsClassifier({ nNeighbors: 3 }).fit(X, Array.from({ length: 50 }, (_, i) => i % 2));
    expect(toHTML(clf)).toContain("knnkit KNeighborsClassifier");
    expect(toHTML(clf)).toContain("3 features &lt;= 15");
  });

  it("draws a comparison's rows, failed engines kept with their reason", () => {
    const rows = [
      { engine: "knnkit kd_tree", qps: 1000, recall: 1, score: 0.9, build_s: 0.002, speedup_vs_sklearn_best_exact: 2 },
      { engine: "sklearn_kd_tree", qps: 500, recall: 1, score: 0.9, build_s: 0.001, speedup_vs_sklearn_best_exact: 1 },
      { engine: "hnswlib", error: "not installed" },
    ];
    const scatter = recallSpeedFigure(rows);
    expect(scatter.data.map((t) => t.name)).toEqual(["knnkit kd_tree", "sklearn_kd_tree"]);
    const table = comparisonTableFigure(rows).data[0] as { cells: { values: string[][] } };
    expect(table.cells.values[0]).toEqual(["knnkit kd_tree", "sklearn_kd_tree", "hnswlib"]);
    expect(table.cells.values[2]).toEqual(["1,000", "500", "—"]);
    expect(table.cells.values[6][2]).toBe("not installed");
  });

  it("display hands tslab HTML for fitted objects and the figure object for plotly", () => {
    const shown: [string, unknown][] = [];
    const out = { raw: (mime: string, b: unknown) => void shown.push([mime, b]) };
    const tree = BallTree.build(random(20, 2, 3));
    const figure = recallSpeedFigure([{ engine: "knnkit brute", qps: 10, recall: 1 }]);
    display(out, tree);
    display(out, figure);
    expect(shown).toEqual([["text/html", toHTML(tree)], ["application/vnd.plotly.v1+json", figure]]);
  });
});
