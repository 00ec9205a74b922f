/**
 * Notebook display of @knnkit/core objects (tslab, or any kernel that shows HTML and plotly JSON): what an index or a
 * fitted estimator is (the algorithm `auto` chose and why, rows x features, dtype, distance kernel, memory), and plotly
 * figures of a comparison. Core stays free of notebook code; this module only reads core objects.
 *
 *     import * as tslab from "tslab";
 *     display(tslab.display, clf);                   // or tslab.display.html(toHTML(clf))
 *     display(tslab.display, recallSpeedFigure(rows));
 */
import { BruteForce, KNeighborsClassifier, KNeighborsRegressor, KnnIndex, NearestNeighbors } from "@knnkit/core";

type Estimator = NearestNeighbors | KNeighborsClassifier | KNeighborsRegressor;

export interface FitFacts {
  kind: string;
  algorithm: string;
  why: string;
  rows: number;
  cols: number;
  dtype: string;
  memoryBytes: number;
  kernel?: string;
}

/**
 * Why an estimator searches with the algorithm it does: the clause of scikit-learn's `auto` rule (core's
 * chooseAlgorithm) that decided, or that the algorithm was requested.
 */
export function autoReason(est: Estimator): string {
  const { algorithm, nNeighbors: k, metric } = est.options;
  if (algorithm !== "auto") return `algorithm="${algorithm}" requested`;
  const rows = est.nSamplesFit;
  const cols = est.nFeaturesIn;
  const chosen = String(est.fitAlgorithm);
  if (chosen === "brute") {
    if (metric === "cosine") return "auto: the metric is cosine, which the trees cannot bound";
    if (cols > 15) return `auto: ${cols} features > 15, where trees stop pruning`;
    if (k >= Math.floor(rows / 2)) return `auto: n_neighbors=${k} is at least half the ${rows} training rows`;
    return "auto: categorical features, which only brute force and the prefilter take";
  }
  if (chosen === "kd_tree") return `auto: ${cols} features <= 15 and a metric (${String(metric)}) the KD-tree bounds`;
  return `auto: ${cols} features <= 15 and a metric (${String(metric)}) only the Ball tree bounds`;
}

/** What a fitted estimator or an index is. */
export function describe(obj: Estimator | KnnIndex): FitFacts {
  const index = obj instanceof KnnIndex ? obj : obj.fittedIndex;
  return {
    kind: obj.constructor.name,
    algorithm: obj instanceof KnnIndex ? obj.algorithm : String(obj.fitAlgorithm),
    why: obj instanceof KnnIndex ? "the class chosen" : autoReason(obj),
    rows: index.rows,
    cols: index.cols,
    dtype: index.dtype,
    memoryBytes: index.memoryBytes,
    kernel: index instanceof BruteForce ? index.kernelKind : undefined,
  };
}

function factRows(obj: Estimator | KnnIndex): [string, string][] {
  const f = describe(obj);
  const rows: [string, string][] = [
    ["algorithm", f.algorithm],
    ["why", f.why],
    ["training data", `${f.rows.toLocaleString("en")} rows x ${f.cols.toLocaleString("en")} features, ${f.dtype}`],
  ];
  if (f.kernel) rows.push(["distance kernel", f.kernel]);
  rows.push(["memory", `${(f.memoryBytes / 2 ** 20).toFixed(2)} MiB`]);
  return rows;
}

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Plain-text description (as the Python package's display). */
export function toText(obj: Estimator | KnnIndex): string {
  return `knnkit ${obj.constructor.name}:\n` + factRows(obj).map(([label, value]) => `  ${label}: ${value}`).join("\n");
}

/** HTML description: a small table. */
export function toHTML(obj: Estimator | KnnIndex): string {
  const body = factRows(obj)
    .map(([label, value]) => `<tr><th style="text-align:left;padding-right:1em">${escape(label)}</th><td style="text-align:left">${escape(value)}</td></tr>`)
    .join("");
  return `<div class="knnkit-fit"><b>knnkit ${escape(obj.constructor.name)}</b><table>${body}</table></div>`;
}

/** A row of a comparison (the fields of results.json's rows that the figures use). */
export interface ComparisonRow {
  engine: string;
  qps?: number;
  recall?: number;
  score?: number | null;
  build_s?: number;
  speedup_vs_sklearn_best_exact?: number | null;
  error?: string;
}

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

const colour = (engine: string): string => (engine.startsWith("knnkit") ? "#d62728" : "#7f7f7f");

/** Recall@k against queries/s, one marker per measured engine (up and right is better). */
export function recallSpeedFigure(rows: ComparisonRow[]): PlotlyFigure {
  const measured = rows.filter((r) => r.qps !== undefined && r.recall !== undefined);
  return {
    data: measured.map((r) => ({
      type: "scatter",
      mode: "markers+text",
      name: r.engine,
      x: [r.recall],
      y: [r.qps],
      text: [r.engine],
      textposition: "top center",
      marker: { size: 11, color: colour(r.engine) },
    })),
    layout: {
      title: { text: "Recall@k against speed (up and right is better)" },
      xaxis: { title: { text: "recall@k" } },
      yaxis: { title: { text: "queries/s (log)" }, type: "log" },
      showlegend: false,
      height: 420,
    },
  };
}

/** The comparison as a plotly table: every engine, a failed one with its reason. */
export function comparisonTableFigure(rows: ComparisonRow[]): PlotlyFigure {
  const num = (v: number | null | undefined, digits: number): string => (v === undefined || v === null ? "—" : v.toFixed(digits));
  const columns: [string, (r: ComparisonRow) => string][] = [
    ["engine", (r) => r.engine],
    ["build ms", (r) => num(r.build_s === undefined ? undefined : r.build_s * 1000, 2)],
    ["queries/s", (r) => (r.qps === undefined ? "—" : Math.round(r.qps).toLocaleString("en"))],
    ["vs sklearn best exact", (r) => num(r.speedup_vs_sklearn_best_exact, 2)],
    ["recall@k", (r) => num(r.recall, 3)],
    ["score", (r) => num(r.score, 3)],
    ["error", (r) => r.error ?? ""],
  ];
  return {
    data: [
      {
        type: "table",
        header: { values: columns.map(([name]) => `<b>${name}</b>`), align: "left" },
        cells: { values: columns.map(([, cell]) => rows.map(cell)), align: "left", fill: { color: [rows.map((r) => (r.engine.startsWith("knnkit") ? "#fde0dd" : "white"))] } },
      },
    ],
    layout: { height: 80 + 28 * rows.length, margin: { l: 10, r: 10, t: 10, b: 10 } },
  };
}

/** tslab's `display` (or anything with its raw method). */
export interface RawDisplay {
  raw(contentType: string, b: string | Uint8Array): void;
}

/** Shows a fitted estimator or index (HTML), or a plotly figure, with tslab's display: `display(tslab.display, clf)`. */
export function display(out: RawDisplay, what: Estimator | KnnIndex | PlotlyFigure): void {
  if (what instanceof KnnIndex || !("data" in what && "layout" in what)) {
    out.raw("text/html", toHTML(what as Estimator | KnnIndex));
    return;
  }
  // tslab hands the value to the front end as it is, and this MIME type wants the figure object, not its text
  out.raw("application/vnd.plotly.v1+json", what as unknown as string);
}
