/** Input checks shared by the histogram statistics: bad counts are a caller's bug, so they throw. */

export function assertSameBins(statistic: string, reference: number[], current: number[]): void {
  if (reference.length !== current.length) {
    throw new Error(`${statistic} needs the same bins on both sides: reference has ${reference.length}, current ${current.length}`);
  }
}

export function positiveTotal(statistic: string, side: string, counts: number[]): number {
  let sum = 0;
  for (const c of counts) {
    if (!(c >= 0 && c < Infinity)) throw new Error(`${statistic} needs finite non-negative counts: ${side} has ${c}`);
    sum += c;
  }
  if (!(sum > 0)) throw new Error(`${statistic} needs a positive total: the ${side} total is ${sum}`);
  return sum;
}

/** Sorted copy of a raw sample; NaN has no place in an order, so it is refused here. */
export function sortedSample(statistic: string, side: string, values: number[]): Float64Array {
  if (values.length === 0) throw new Error(`${statistic} needs a non-empty ${side} sample`);
  for (const v of values) {
    if (!Number.isFinite(v)) throw new Error(`${statistic} needs finite values: ${side} has ${v}`);
  }
  return Float64Array.from(values).sort();
}
