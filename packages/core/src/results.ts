/** k nearest neighbours of each query, row-major: row i is [i*k, (i+1)*k), sorted by distance then index. */
export interface KnnResult {
  readonly indices: Int32Array;
  readonly distances: Float64Array;
  readonly rows: number;
  readonly k: number;
}

/**
 * Neighbours within a radius, CSR-like: the neighbours of query i are
 * indices[offsets[i] .. offsets[i+1]) (distances alike). With countOnly,
 * indices and distances are empty and counts are offsets[i+1] - offsets[i].
 */
export interface RadiusResult {
  readonly offsets: Int32Array;
  readonly indices: Int32Array;
  readonly distances: Float64Array;
  readonly rows: number;
}

export interface QueryOptions {
  /** Threads to use (main thread included), at most cpuCount(). Default: the index's `workers` setting. */
  workers?: number;
}

export interface RadiusOptions extends QueryOptions {
  /** Sort each row's neighbours by distance (then index). Default false: index order for brute force, traversal order for trees. */
  sortResults?: boolean;
  /** Only count the neighbours. */
  countOnly?: boolean;
}

/** Per-row counts of a radius result. */
export function radiusCounts(result: RadiusResult): Int32Array {
  const counts = new Int32Array(result.rows);
  for (let i = 0; i < result.rows; i++) counts[i] = result.offsets[i + 1] - result.offsets[i];
  return counts;
}

/** Row i of a radius result as views. */
export function radiusRow(result: RadiusResult, i: number): { indices: Int32Array; distances: Float64Array } {
  const a = result.offsets[i];
  const b = result.offsets[i + 1];
  return { indices: result.indices.subarray(a, b), distances: result.distances.subarray(a, b) };
}

/** Growable typed buffers for radius results (CSR). */
export class RaggedBuilder {
  offsets: Int32Array;
  indices: Int32Array;
  distances: Float64Array;
  length = 0;

  constructor(rows: number, withDistances: boolean, initial = 1024) {
    this.offsets = new Int32Array(rows + 1);
    this.indices = new Int32Array(initial);
    this.distances = new Float64Array(withDistances ? initial : 0);
  }

  push(i: number, d: number): void {
    if (this.length === this.indices.length) this.grow();
    this.indices[this.length] = i;
    if (this.distances.length > 0) this.distances[this.length] = d;
    this.length++;
  }

  /** Sorts entries [from, length) by index (distances alongside). */
  sortByIndex(from: number): void {
    const n = this.length - from;
    if (n < 2) return;
    const indices = this.indices.subarray(from, this.length);
    const distances = this.distances.subarray(from, this.length);
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => indices[a] - indices[b]);
    const sortedIndices = Int32Array.from(order, (i) => indices[i]);
    const sortedDistances = Float64Array.from(order, (i) => distances[i]);
    indices.set(sortedIndices);
    distances.set(sortedDistances);
  }

  private grow(): void {
    const indices = new Int32Array(this.indices.length * 2);
    indices.set(this.indices);
    this.indices = indices;
    if (this.distances.length > 0) {
      const distances = new Float64Array(this.distances.length * 2);
      distances.set(this.distances);
      this.distances = distances;
    }
  }
}
