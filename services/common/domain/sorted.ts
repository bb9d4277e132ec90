/** How many values of an ascending array are at or below `x` (binary search): where `x` would go after its equals. */
export function countAtOrBelow(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The index of the first value of an ascending array at or above `x`, i.e. how many are below it:
 * the bin of `x` when the array holds bins' upper edges. NaN compares false everywhere and lands
 * past the end (the last bin).
 */
export function firstAtOrAbove(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= sorted[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
