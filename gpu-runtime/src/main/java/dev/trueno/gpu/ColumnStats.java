package dev.trueno.gpu;

import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;

/**
 * Null-aware statistics of a run of rows of one column, as the kernel computes them per block.
 *
 * @param count non-null rows
 * @param sum the sum of the non-null values modulo 2^64 (integer columns only)
 * @param absSum the sum of their absolute values as an unsigned long, saturating at 2^64-1: a bound
 *     on every partial sum, whatever the order of the rows
 * @param minBits the smallest value in Spark's order, the first such row on ties (long, or double
 *     bits); meaningless when count is 0
 * @param maxBits the largest value likewise
 */
record ColumnStats(long count, long sum, long absSum, long minBits, long maxBits) {
  static final ColumnStats EMPTY = new ColumnStats(0, 0, 0, 0, 0);

  /** These rows followed by {@code later}'s: on ties MIN and MAX keep the earlier value. */
  ColumnStats then(ColumnStats later, DataType type) {
    if (later.count == 0) {
      return this;
    }
    if (count == 0) {
      return later;
    }
    long min = compare(later.minBits, minBits, type) < 0 ? later.minBits : minBits;
    long max = compare(later.maxBits, maxBits, type) > 0 ? later.maxBits : maxBits;
    return new ColumnStats(
        count + later.count, sum + later.sum, saturatingAdd(absSum, later.absSum), min, max);
  }

  /** Spark's order of two values of {@code type} given as long or double bits. */
  static int compare(long a, long b, DataType type) {
    if (type.kind() == TypeKind.DOUBLE) {
      double x = Double.longBitsToDouble(a);
      double y = Double.longBitsToDouble(b);
      // SQLOrderingUtil.compareDoubles: -0.0 == 0.0; NaN == NaN and above everything.
      return x == y ? 0 : Double.compare(x, y);
    }
    return Long.compare(a, b);
  }

  /** Unsigned addition that sticks at 2^64-1 instead of wrapping. */
  static long saturatingAdd(long a, long b) {
    long s = a + b;
    return Long.compareUnsigned(s, a) < 0 ? -1L : s;
  }
}
