/** Thrown for every invalid argument; the message names the problem. */
export class KnnInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KnnInputError";
  }
}

/** Thrown when an estimator is used before `fit`. */
export class NotFittedError extends Error {
  constructor(what: string) {
    super(`${what} is not fitted yet: call fit() before using it`);
    this.name = "NotFittedError";
  }
}

/** A value as an error message shows it: numbers as they print, anything else with its type ('a string ("3")', 'null', 'an array'). */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case "number":
      return String(v);
    case "string":
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`;
    case "bigint":
      return `a bigint (${v}n)`;
    case "boolean":
      return `a boolean (${v})`;
    case "undefined":
      return "undefined";
    case "object":
      if (v === null) return "null";
      if (ArrayBuffer.isView(v)) return `${/^[AEIO]/.test(v.constructor.name) ? "an" : "a"} ${v.constructor.name}`;
      return Array.isArray(v) ? "an array" : "an object";
    default:
      return `a ${typeof v}`;
  }
}

export function checkPositiveInteger(value: unknown, name: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new KnnInputError(`${name} must be an integer >= 1, got ${describeValue(value)}`);
  }
}

/** scikit-learn's message for sparse input where dense data is required. */
export function sparseRefused(what: string): string {
  return `Sparse data was passed for ${what}, but dense data is required. Use '.toarray()' to convert to a dense numpy array.`;
}
