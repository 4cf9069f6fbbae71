package dev.trueno.simd.vector.kernels;

import dev.trueno.core.expr.ComparisonOp;

/** Plain row-at-a-time versions of the kernels' semantics (those of the scalar backend). */
final class Reference {
  private Reference() {}

  /** Spark's SQLOrderingUtil.compareDoubles. */
  static int compareDoubles(double x, double y) {
    return x == y ? 0 : Double.compare(x, y);
  }

  /** Three-valued comparison: null for NULL, as the scalar ExprEvaluator computes it. */
  static Boolean compare(Integer cmpOrNull, boolean leftNull, boolean rightNull, ComparisonOp op) {
    if (op == ComparisonOp.NULL_SAFE_EQUAL) {
      if (leftNull || rightNull) {
        return leftNull && rightNull;
      }
      return cmpOrNull == 0;
    }
    if (leftNull || rightNull) {
      return null;
    }
    int cmp = cmpOrNull;
    return switch (op) {
      case EQUAL, NULL_SAFE_EQUAL -> cmp == 0;
      case LESS_THAN -> cmp < 0;
      case LESS_THAN_OR_EQUAL -> cmp <= 0;
      case GREATER_THAN -> cmp > 0;
      case GREATER_THAN_OR_EQUAL -> cmp >= 0;
    };
  }

  static Boolean read(long[] value, long[] valid, int row) {
    return Bitmaps.get(valid, row) ? Bitmaps.get(value, row) : null;
  }
}
