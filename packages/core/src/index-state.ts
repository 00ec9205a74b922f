import { BallTree, KDTree } from "./binary-tree.js";
import { BruteForce } from "./brute.js";
import { KnnInputError } from "./errors.js";
import type { KnnIndex } from "./index-base.js";
import { PrefilterIndex } from "./prefilter.js";
import type { IndexState } from "./shared.js";

const builders: Record<string, (state: IndexState) => KnnIndex> = {
  brute: (s) => BruteForce.fromShared(s),
  kd_tree: (s) => KDTree.fromShared(s),
  ball_tree: (s) => BallTree.fromShared(s),
  prefilter: (s) => PrefilterIndex.fromShared(s),
};

/** Rebuilds an index from its arrays and parameters (no copy, no rebuild). */
export function indexFromState(state: IndexState): KnnIndex {
  const build = builders[state.type];
  if (!build) throw new KnnInputError(`unknown index type "${state.type}"`);
  return build(state);
}
