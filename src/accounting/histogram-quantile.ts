/**
 * Quantile of a cumulative histogram given as increases per upper bound (`le` strings as vLLM
 * prints them, `+Inf` included), interpolated linearly inside the bucket the way PromQL's
 * `histogram_quantile` does. Undefined when the histogram is empty.
 */
export function histogramQuantile(q: number, buckets: Readonly<Record<string, number>>): number | undefined {
  const bounds = Object.keys(buckets)
    .map((le) => ({ upper: Number(le === '+Inf' ? Infinity : le), count: buckets[le]! }))
    .filter((b) => !Number.isNaN(b.upper))
    .sort((a, b) => a.upper - b.upper);
  const total = bounds.at(-1)?.count;
  if (total === undefined || !(total > 0)) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { upper, count } of bounds) {
    if (count >= rank) {
      if (upper === Infinity) return lowerBound; // like PromQL: the highest finite bound
      if (count === lowerCount) return upper;
      return lowerBound + ((upper - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = upper;
    lowerCount = count;
  }
  return lowerBound;
}
