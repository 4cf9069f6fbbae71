package dev.trueno.simd.scalar;

import dev.trueno.core.types.Utf8;
import java.math.BigDecimal;

/**
 * Spark's ordering of non-null values of one type: NaN equals NaN and is above every other number,
 * -0.0 equals 0.0 ({@code SQLOrderingUtil.compareDoubles}), false before true, decimals by value,
 * strings by unsigned UTF-8 bytes.
 */
final class SqlOrdering {
  private SqlOrdering() {}

  /** Negative, zero or positive as {@code left} sorts before, with or after {@code right}. */
  static int compare(Object left, Object right) {
    if (left instanceof Double l && right instanceof Double r) {
      return compareDoubles(l, r);
    }
    if (left instanceof Long l && right instanceof Long r) {
      return Long.compare(l, r);
    }
    if (left instanceof BigDecimal l && right instanceof BigDecimal r) {
      return l.compareTo(r);
    }
    if (left instanceof Utf8 l && right instanceof Utf8 r) {
      return l.compareTo(r);
    }
    if (left instanceof Boolean l && right instanceof Boolean r) {
      return Boolean.compare(l, r);
    }
    throw new IllegalArgumentException(
        "Cannot compare "
            + left.getClass().getSimpleName()
            + " with "
            + right.getClass().getSimpleName());
  }

  /** Spark's {@code SQLOrderingUtil.compareDoubles}. */
  static int compareDoubles(double x, double y) {
    // x == y makes -0.0 equal to 0.0; Double.compare then puts NaN above everything and
    // makes NaN equal to NaN.
    return x == y ? 0 : Double.compare(x, y);
  }
}
