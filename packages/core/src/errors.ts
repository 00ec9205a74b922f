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

export function checkPositiveInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new KnnInputError(`${name} must be an integer >= 1, got ${value}`);
  }
}
