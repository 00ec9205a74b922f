// The binary trees' build (see src/tree-build.ts for the split rule; its
// `buildPlain` is this code's twin: the same tree, array for array). A
// complete tree over n rows (float32 when f32 = 1, else float64; d values a
// row), built breadth-first, one level at a time, on positions: pos lists, in
// tree order, the row numbers, and a level partitions each node's positions
// stably into its children's (two position buffers, read one, write the
// other). The coordinates are read through pos from a column-major copy of
// the rows (a column stays in cache); the rows are put in tree order once, at
// the end. The median: on long ranges two values bracketing it are picked
// from a sample (Floyd and Rivest), one branch-free pass counts the rows below
// the lower one and gathers those in between, and the median is selected
// among those few; otherwise (or if the sample missed) among all, by a
// quickselect with branch-free partitions.
//
// No Math.pow, Math.exp, Math.log or Math.cbrt here: their tables would be a
// data section, written at instantiation over the rows in the imported memory
// (scripts/build-wasm.mjs refuses such a module).
//
// Buffers (all in this memory): rows[n * d] (the rows), out[n * d] (the rows in
// tree order), cols[n * d], posA, posB[n] i32, keys, sel[n] f64, measured[d]
// i32 scratch; out: idx[n] i32 (tree position -> row number), nodeStart,
// nodeEnd, splitDim[nNodes] i32 and boxes[nNodes * 2d] f64 (d lower bounds
// then d upper bounds).

@inline
function value(rows: usize, f32: i32, at: usize): f64 {
  return f32 ? <f64>load<f32>(rows + (at << 2)) : load<f64>(rows + (at << 3));
}

@inline
function f64At(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline
function i32At(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

// Reorders a[lo .. hi] (inclusive) so that a[nth] is the nth smallest, none larger before it, none smaller
// after: quickselect with branch-free partitions (every value is swapped, an index advances by the comparison),
// a pivot the median of three; values equal to the pivot are split off, so duplicates cost one pass more.
function selectNth(a: usize, lo: i32, hi: i32, nth: i32): void {
  while (hi - lo > 16) {
    const x = f64At(a, lo);
    const y = f64At(a, lo + ((hi - lo) >> 1));
    const z = f64At(a, hi);
    const p = max(min(x, y), min(max(x, y), z));
    // [lo, l) below p, [l, hi] not
    let l = lo;
    for (let i = lo; i <= hi; i++) {
      const v = f64At(a, i);
      store<f64>(a + (<usize>i << 3), f64At(a, l));
      store<f64>(a + (<usize>l << 3), v);
      l += <i32>(v < p);
    }
    if (nth < l) {
      hi = l - 1;
      continue;
    }
    // [l, e) equal to p, [e, hi] above
    let e = l;
    for (let i = l; i <= hi; i++) {
      const v = f64At(a, i);
      store<f64>(a + (<usize>i << 3), f64At(a, e));
      store<f64>(a + (<usize>e << 3), v);
      e += <i32>(v <= p);
    }
    if (nth < e) return;
    lo = e;
  }
  // insertion sort of what is left
  for (let i = lo + 1; i <= hi; i++) {
    const v = f64At(a, i);
    let j = i - 1;
    while (j >= lo && f64At(a, j) > v) {
      store<f64>(a + (<usize>(j + 1) << 3), f64At(a, j));
      j--;
    }
    store<f64>(a + (<usize>(j + 1) << 3), v);
  }
}

// The number of rows equal to the median that go to the left side (set by median).
let medianTies = 0;

// The value of rank mid - start among keys[start .. end) (which it fills: column s of the rows at
// pos[start .. end)); sets medianTies to that rank less the number of keys below the value. sel is scratch.
function median(col: usize, f32: i32, pos: usize, keys: usize, sel: usize, start: i32, end: i32, mid: i32): f64 {
  const len = end - start;
  const rank = mid - start;
  let below = 0;
  let pivot = 0.0;
  let found = false;
  if (len > 1024) {
    const m = <i32>(4 * Math.sqrt(<f64>len)); // (no Math.pow or Math.cbrt: their tables would be data in the rows' memory)
    const step = <f64>len / <f64>m;
    for (let j = 0; j < m; j++) {
      const at = start + <i32>(<f64>j * step);
      store<f64>(sel + (<usize>(start + j) << 3), value(col, f32, <usize>i32At(pos, at)));
    }
    const gap = 1.5 * Math.sqrt(<f64>m) + 1;
    const at = (<f64>rank * <f64>m) / <f64>len;
    const ka = <i32>Math.max(0, Math.floor(at - gap));
    const kb = <i32>Math.min(<f64>(m - 1), Math.ceil(at + gap));
    selectNth(sel, start, start + m - 1, start + ka);
    const a = f64At(sel, start + ka);
    selectNth(sel, start + ka, start + m - 1, start + kb);
    const b = f64At(sel, start + kb);
    let c = start;
    for (let i = start; i < end; i++) {
      const v = value(col, f32, <usize>i32At(pos, i));
      store<f64>(keys + (<usize>i << 3), v);
      below += <i32>(v < a);
      store<f64>(sel + (<usize>c << 3), v);
      c += <i32>(v >= a) & <i32>(v <= b);
    }
    const r = rank - below;
    if (r >= 0 && r < c - start) {
      selectNth(sel, start, c - 1, start + r);
      pivot = f64At(sel, start + r);
      for (let i = start; i < start + r; i++) below += <i32>(f64At(sel, i) < pivot);
      found = true;
    } else below = 0;
  } else {
    for (let i = start; i < end; i++) store<f64>(keys + (<usize>i << 3), value(col, f32, <usize>i32At(pos, i)));
  }
  if (!found) {
    memory.copy(sel + (<usize>start << 3), keys + (<usize>start << 3), <usize>len << 3);
    selectNth(sel, start, end - 1, mid);
    pivot = f64At(sel, mid);
    for (let i = start; i < mid; i++) below += <i32>(f64At(sel, i) < pivot);
  }
  medianTies = rank - below;
  return pivot;
}

// Writes the extent of col (column j) at pos[start .. end) into the box; returns hi - lo.
function measure(col: usize, f32: i32, d: i32, pos: usize, start: i32, end: i32, j: i32, box: usize): f64 {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = value(col, f32, <usize>i32At(pos, i));
    lo = min(lo, v);
    hi = max(hi, v);
  }
  store<f64>(box + (<usize>j << 3), lo);
  store<f64>(box + (<usize>(d + j) << 3), hi);
  return hi - lo;
}

// The rows in tree order: row i of out = row pos[i] of rows, and idx[i] = pos[i].
function gatherRows(rows: usize, rowBytes: usize, n: i32, pos: usize, out: usize, idx: usize): void {
  for (let i = 0; i < n; i++) {
    const p = i32At(pos, i);
    store<i32>(idx + (<usize>i << 2), p);
    // 16 bytes at a time (memory.copy is a call, slow for a few bytes), then what is left
    const a = rows + <usize>p * rowBytes;
    const b = out + <usize>i * rowBytes;
    let o: usize = 0;
    for (; o + 16 <= rowBytes; o += 16) v128.store(b + o, v128.load(a + o));
    if (o + 8 <= rowBytes) {
      store<i64>(b + o, load<i64>(a + o));
      o += 8;
    }
    if (o < rowBytes) store<i32>(b + o, load<i32>(a + o));
  }
}

// Nodes of more rows than this choose their split dimension from a sample of SAMPLE rows.
const SAMPLED = 1024;
const SAMPLE = 128;

// The dimension in which SAMPLE rows evenly spaced in pos[start .. end) spread widest (the first of equals).
function widestInSample(cols: usize, colBytes: usize, f32: i32, d: i32, pos: usize, start: i32, end: i32): i32 {
  const step = <f64>(end - start) / <f64>SAMPLE;
  let s = 0;
  let best = -1.0;
  for (let j = 0; j < d; j++) {
    const col = cols + <usize>j * colBytes;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < SAMPLE; k++) {
      const v = value(col, f32, <usize>i32At(pos, start + <i32>(<f64>k * step)));
      lo = min(lo, v);
      hi = max(hi, v);
    }
    if (hi - lo > best) {
      best = hi - lo;
      s = j;
    }
  }
  return s;
}

export function buildTree(
  n: i32,
  d: i32,
  f32: i32,
  nNodes: i32,
  rows: usize,
  cols: usize,
  out: usize,
  idx: usize,
  posA: usize,
  posB: usize,
  keys: usize,
  sel: usize,
  measured: usize,
  nodeStart: usize,
  nodeEnd: usize,
  splitDim: usize,
  boxes: usize,
): void {
  const boxBytes = <usize>d << 4;
  const shift: usize = f32 ? 2 : 3;
  const colBytes = <usize>n << shift;
  // the columns, each contiguous, so that a column read through pos stays in cache
  for (let j = 0; j < d; j++) {
    const col = cols + <usize>j * colBytes;
    if (f32) {
      for (let i = 0; i < n; i++) store<f32>(col + (<usize>i << 2), load<f32>(rows + ((<usize>i * d + j) << 2)));
    } else {
      for (let i = 0; i < n; i++) store<f64>(col + (<usize>i << 3), load<f64>(rows + ((<usize>i * d + j) << 3)));
    }
  }
  for (let i = 0; i < n; i++) store<i32>(posA + (<usize>i << 2), i);
  // the root's box unknown (infinite): every dimension is measured
  for (let j = 0; j < d; j++) {
    store<f64>(boxes + (<usize>j << 3), -Infinity);
    store<f64>(boxes + (<usize>(d + j) << 3), Infinity);
    store<i32>(measured + (<usize>j << 2), -1);
  }
  store<i32>(nodeStart, 0);
  store<i32>(nodeEnd, n);
  const firstLeaf = nNodes >> 1;
  let pos = posA;
  let next = posB;
  let levelEnd = 1;
  for (let node = 0; node < firstLeaf; node++) {
    const start = i32At(nodeStart, node);
    const end = i32At(nodeEnd, node);
    const box = boxes + <usize>node * boxBytes;
    let s = 0;
    if (end - start > SAMPLED) s = widestInSample(cols, colBytes, f32, d, pos, start, end);
    else {
      // the widest dimension: true extents measured in decreasing order of box width (the box holds the
      // rows, maybe loosely), until no box is wider than the widest extent
      let best = -1.0;
      for (;;) {
        let j = -1;
        let width = -1.0;
        for (let c = 0; c < d; c++) {
          const w = f64At(box, d + c) - f64At(box, c);
          if (i32At(measured, c) != node && w > width) {
            width = w;
            j = c;
          }
        }
        if (j < 0 || width <= best) break;
        store<i32>(measured + (<usize>j << 2), node);
        const extent = measure(cols + <usize>j * colBytes, f32, d, pos, start, end, j, box);
        if (extent > best) {
          best = extent;
          s = j;
        }
      }
    }
    store<i32>(splitDim + (<usize>node << 2), s);
    const mid = start + ((end - start) >> 1);
    const pivot = median(cols + <usize>s * colBytes, f32, pos, keys, sel, start, end, mid);
    // the left side takes every row below the median and the first `ties` rows equal to it
    let ties = medianTies;
    let l = start;
    let r = mid;
    for (let i = start; i < end; i++) {
      const v = f64At(keys, i);
      // branch-free: a row goes left or right at random
      const tie = <i32>(v == pivot) & <i32>(ties > 0);
      ties -= tie;
      const toLeft = <i32>(v < pivot) | tie;
      store<i32>(next + (<usize>select<i32>(l, r, toLeft) << 2), i32At(pos, i));
      l += toLeft;
      r += toLeft ^ 1;
    }
    const left = 2 * node + 1;
    store<i32>(nodeStart + (<usize>left << 2), start);
    store<i32>(nodeEnd + (<usize>left << 2), mid);
    store<i32>(nodeStart + (<usize>(left + 1) << 2), mid);
    store<i32>(nodeEnd + (<usize>(left + 1) << 2), end);
    // the children's boxes: the parent's, each narrowed in s to its side of the median
    const lb = boxes + <usize>left * boxBytes;
    const rb = lb + boxBytes;
    memory.copy(lb, box, boxBytes);
    memory.copy(rb, box, boxBytes);
    store<f64>(lb + (<usize>(d + s) << 3), pivot);
    store<f64>(rb + (<usize>s << 3), pivot);
    if (node + 1 == levelEnd) {
      // the level is done: its children's positions are in next
      levelEnd = 2 * levelEnd + 1;
      const t = pos;
      pos = next;
      next = t;
    }
  }
  gatherRows(rows, <usize>d << shift, n, pos, out, idx);
  // exact boxes: a leaf's from its rows, an inner node's the union of its children's
  for (let node = firstLeaf; node < nNodes; node++) {
    store<i32>(splitDim + (<usize>node << 2), -1);
    const box = boxes + <usize>node * boxBytes;
    const start = i32At(nodeStart, node);
    const end = i32At(nodeEnd, node);
    for (let j = 0; j < d; j++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = start; i < end; i++) {
        const v = value(out, f32, <usize>i * d + j);
        lo = min(lo, v);
        hi = max(hi, v);
      }
      store<f64>(box + (<usize>j << 3), lo);
      store<f64>(box + (<usize>(d + j) << 3), hi);
    }
  }
  for (let node = firstLeaf - 1; node >= 0; node--) {
    const box = boxes + <usize>node * boxBytes;
    const lb = boxes + <usize>(2 * node + 1) * boxBytes;
    const rb = lb + boxBytes;
    for (let j = 0; j < d; j++) {
      const o = <usize>j << 3;
      const h = <usize>(d + j) << 3;
      store<f64>(box + o, min(load<f64>(lb + o), load<f64>(rb + o)));
      store<f64>(box + h, max(load<f64>(lb + h), load<f64>(rb + h)));
    }
  }
}
