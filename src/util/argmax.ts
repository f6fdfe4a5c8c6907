// The index of the largest value: the class a classifier output predicts (the first, on a tie).

/** Index of the largest value of `values` (bigints from int64 tensors compare as numbers); 0 for an empty array. */
export function argmax(values: ArrayLike<number | bigint>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Number(values[i]) > Number(values[best])) best = i;
  return best;
}
