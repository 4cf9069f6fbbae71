package dev.trueno.simd.vector.kernels;

import static dev.trueno.simd.vector.kernels.Lanes.INTS;
import static dev.trueno.simd.vector.kernels.Lanes.LONGS;

import dev.trueno.core.expr.ComparisonOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.apache.arrow.vector.BaseFixedWidthVector;

/**
 * Predicates over Arrow columns read in place, with SQL's three-valued logic: a boolean column is a
 * pair of bitmaps in {@link Bitmaps} form, {@code value} and {@code valid}, where a clear valid bit
 * is NULL and a value bit is only ever set where the valid bit is set.
 *
 * <p>Comparisons follow Spark: NULL when either side is NULL, except null-safe equality ({@code
 * <=>}), which is never NULL and true when both sides are NULL; doubles compare with -0.0 equal to
 * 0.0 and NaN equal to NaN and greater than every other value. A NULL literal is the caller's to
 * fold (every row NULL, or for {@code <=>} the column's IS NULL). Output bitmaps must hold {@link
 * Bitmaps#words} words for the column's rows; they are overwritten.
 */
public final class Filters {
  private Filters() {}

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final int L = LONGS.length();
  private static final int IL = INTS.length();

  /** Compares a 4-byte integer column with a literal: {@code column op literal}. */
  public static void compareInt(
      BaseFixedWidthVector column, ComparisonOp op, long literal, long[] value, long[] valid) {
    int rows = column.getValueCount();
    ByteBuffer data = Columns.data(column, 4);
    if (literal < Integer.MIN_VALUE || literal > Integer.MAX_VALUE) {
      // Every int is below (or above) the literal: the comparison is the same on every row.
      int sign = literal > 0 ? -1 : 1;
      java.util.Arrays.fill(value, 0, Bitmaps.words(rows), holds(op, sign) ? -1L : 0L);
    } else {
      IntVector lit = IntVector.broadcast(INTS, (int) literal);
      int full = rows >>> 6;
      for (int w = 0; w < full; w++) {
        long bits = 0;
        for (int j = 0; j < 64; j += IL) {
          IntVector v = IntVector.fromByteBuffer(INTS, data, (w << 8) + (j << 2), LE);
          bits |= Lanes.bits(compare(v, lit, op)) << j;
        }
        value[w] = bits;
      }
      for (int r = full << 6; r < rows; r++) {
        setBit(value, r, holds(op, Integer.compare(data.getInt(r << 2), (int) literal)));
      }
    }
    finishWithLiteral(column, op, value, valid);
  }

  /** Compares an 8-byte integer column with a literal: {@code column op literal}. */
  public static void compareLong(
      BaseFixedWidthVector column, ComparisonOp op, long literal, long[] value, long[] valid) {
    compareLongLanes(column, op, literal, false, value);
    finishWithLiteral(column, op, value, valid);
  }

  /** Compares a double column with a literal in Spark's order: {@code column op literal}. */
  public static void compareDouble(
      BaseFixedWidthVector column, ComparisonOp op, double literal, long[] value, long[] valid) {
    compareLongLanes(column, op, Lanes.sortKey(literal), true, value);
    finishWithLiteral(column, op, value, valid);
  }

  /** Compares two 4-byte integer columns of the same length row by row: {@code left op right}. */
  public static void compareInts(
      BaseFixedWidthVector left,
      ComparisonOp op,
      BaseFixedWidthVector right,
      long[] value,
      long[] valid) {
    int rows = rowsOf(left, right);
    ByteBuffer a = Columns.data(left, 4);
    ByteBuffer b = Columns.data(right, 4);
    int full = rows >>> 6;
    for (int w = 0; w < full; w++) {
      long bits = 0;
      for (int j = 0; j < 64; j += IL) {
        int at = (w << 8) + (j << 2);
        IntVector x = IntVector.fromByteBuffer(INTS, a, at, LE);
        IntVector y = IntVector.fromByteBuffer(INTS, b, at, LE);
        bits |= Lanes.bits(compare(x, y, op)) << j;
      }
      value[w] = bits;
    }
    for (int r = full << 6; r < rows; r++) {
      setBit(value, r, holds(op, Integer.compare(a.getInt(r << 2), b.getInt(r << 2))));
    }
    finishWithColumns(left, right, op, value, valid);
  }

  /** Compares two 8-byte integer columns of the same length row by row: {@code left op right}. */
  public static void compareLongs(
      BaseFixedWidthVector left,
      ComparisonOp op,
      BaseFixedWidthVector right,
      long[] value,
      long[] valid) {
    compareLongLanes(left, op, right, false, value);
    finishWithColumns(left, right, op, value, valid);
  }

  /** Compares two double columns of the same length row by row in Spark's order. */
  public static void compareDoubles(
      BaseFixedWidthVector left,
      ComparisonOp op,
      BaseFixedWidthVector right,
      long[] value,
      long[] valid) {
    compareLongLanes(left, op, right, true, value);
    finishWithColumns(left, right, op, value, valid);
  }

  /** SQL AND: false when either side is false, else NULL when either is NULL, else true. */
  public static void and(
      long[] aValue,
      long[] aValid,
      long[] bValue,
      long[] bValid,
      long[] outValue,
      long[] outValid,
      int rows) {
    int words = Bitmaps.words(rows);
    for (int w = 0; w < words; w++) {
      long aFalse = aValid[w] & ~aValue[w];
      long bFalse = bValid[w] & ~bValue[w];
      long v = aValue[w] & bValue[w];
      outValid[w] = (aValid[w] & bValid[w]) | aFalse | bFalse;
      outValue[w] = v;
    }
  }

  /** SQL OR: true when either side is true, else NULL when either is NULL, else false. */
  public static void or(
      long[] aValue,
      long[] aValid,
      long[] bValue,
      long[] bValid,
      long[] outValue,
      long[] outValid,
      int rows) {
    int words = Bitmaps.words(rows);
    for (int w = 0; w < words; w++) {
      long v = aValue[w] | bValue[w];
      outValid[w] = (aValid[w] & bValid[w]) | v;
      outValue[w] = v;
    }
  }

  /** SQL NOT: NULL stays NULL. */
  public static void not(long[] value, long[] valid, long[] outValue, long[] outValid, int rows) {
    int words = Bitmaps.words(rows);
    for (int w = 0; w < words; w++) {
      long ok = valid[w];
      outValue[w] = ok & ~value[w];
      outValid[w] = ok;
    }
  }

  /** The rows a filter keeps: those where the predicate is true (valid and set). */
  public static void selection(long[] value, long[] valid, long[] out, int rows) {
    int words = Bitmaps.words(rows);
    for (int w = 0; w < words; w++) {
      out[w] = value[w] & valid[w];
    }
  }

  // Raw comparison bits of every row (nulls included) over 8-byte lanes; `right` is a Long literal
  // (already a sort key for doubles) or a column.
  private static void compareLongLanes(
      BaseFixedWidthVector left, ComparisonOp op, Object right, boolean doubles, long[] out) {
    int rows = left.getValueCount();
    ByteBuffer a = Columns.data(left, 8);
    ByteBuffer b = null;
    long literal = 0;
    if (right instanceof BaseFixedWidthVector column) {
      rowsOf(left, column);
      b = Columns.data(column, 8);
    } else {
      literal = (Long) right;
    }
    LongVector lit = LongVector.broadcast(LONGS, literal);
    int full = rows >>> 6;
    for (int w = 0; w < full; w++) {
      long bits = 0;
      for (int j = 0; j < 64; j += L) {
        int at = (w << 9) + (j << 3);
        LongVector x = LongVector.fromByteBuffer(LONGS, a, at, LE);
        LongVector y = b == null ? lit : LongVector.fromByteBuffer(LONGS, b, at, LE);
        if (doubles) {
          x = Lanes.sortKeys(x);
          if (b != null) {
            y = Lanes.sortKeys(y);
          }
        }
        bits |= Lanes.bits(compare(x, y, op)) << j;
      }
      out[w] = bits;
    }
    for (int r = full << 6; r < rows; r++) {
      long x = a.getLong(r << 3);
      long y = b == null ? literal : b.getLong(r << 3);
      if (doubles) {
        x = Lanes.sortKey(Double.longBitsToDouble(x));
        if (b != null) {
          y = Lanes.sortKey(Double.longBitsToDouble(y));
        }
      }
      setBit(out, r, holds(op, Long.compare(x, y)));
    }
  }

  private static VectorMask<Long> compare(LongVector x, LongVector y, ComparisonOp op) {
    // One constant operator per branch: the Vector API only intrinsifies constant operators.
    switch (op) {
      case EQUAL:
      case NULL_SAFE_EQUAL:
        return x.compare(VectorOperators.EQ, y);
      case LESS_THAN:
        return x.compare(VectorOperators.LT, y);
      case LESS_THAN_OR_EQUAL:
        return x.compare(VectorOperators.LE, y);
      case GREATER_THAN:
        return x.compare(VectorOperators.GT, y);
      default:
        return x.compare(VectorOperators.GE, y);
    }
  }

  private static VectorMask<Integer> compare(IntVector x, IntVector y, ComparisonOp op) {
    switch (op) {
      case EQUAL:
      case NULL_SAFE_EQUAL:
        return x.compare(VectorOperators.EQ, y);
      case LESS_THAN:
        return x.compare(VectorOperators.LT, y);
      case LESS_THAN_OR_EQUAL:
        return x.compare(VectorOperators.LE, y);
      case GREATER_THAN:
        return x.compare(VectorOperators.GT, y);
      default:
        return x.compare(VectorOperators.GE, y);
    }
  }

  /** Whether {@code op} holds for two values whose comparison gave {@code cmp}. */
  private static boolean holds(ComparisonOp op, int cmp) {
    return switch (op) {
      case EQUAL, NULL_SAFE_EQUAL -> cmp == 0;
      case LESS_THAN -> cmp < 0;
      case LESS_THAN_OR_EQUAL -> cmp <= 0;
      case GREATER_THAN -> cmp > 0;
      case GREATER_THAN_OR_EQUAL -> cmp >= 0;
    };
  }

  private static void setBit(long[] bits, int row, boolean set) {
    if (set) {
      bits[row >>> 6] |= 1L << row;
    } else {
      bits[row >>> 6] &= ~(1L << row);
    }
  }

  private static int rowsOf(BaseFixedWidthVector left, BaseFixedWidthVector right) {
    if (left.getValueCount() != right.getValueCount()) {
      throw new IllegalArgumentException(
          "Cannot compare columns "
              + left.getName()
              + " and "
              + right.getName()
              + " row by row: they have "
              + left.getValueCount()
              + " and "
              + right.getValueCount()
              + " rows");
    }
    return left.getValueCount();
  }

  private static void finishWithLiteral(
      BaseFixedWidthVector column, ComparisonOp op, long[] value, long[] valid) {
    int rows = column.getValueCount();
    ByteBuffer validity = Columns.validity(column);
    int words = Bitmaps.words(rows);
    for (int w = 0; w < words; w++) {
      long ok = Columns.validWord(validity, w);
      long tail = w == words - 1 ? Columns.tailMask(rows) : -1L;
      value[w] &= ok & tail;
      // value <=> literal: a NULL row is simply false.
      valid[w] = op == ComparisonOp.NULL_SAFE_EQUAL ? tail : ok & tail;
    }
  }

  private static void finishWithColumns(
      BaseFixedWidthVector left,
      BaseFixedWidthVector right,
      ComparisonOp op,
      long[] value,
      long[] valid) {
    int rows = left.getValueCount();
    ByteBuffer va = Columns.validity(left);
    ByteBuffer vb = Columns.validity(right);
    int words = Bitmaps.words(rows);
    for (int w = 0; w < words; w++) {
      long a = Columns.validWord(va, w);
      long b = Columns.validWord(vb, w);
      long tail = w == words - 1 ? Columns.tailMask(rows) : -1L;
      if (op == ComparisonOp.NULL_SAFE_EQUAL) {
        value[w] = ((value[w] & a & b) | (~a & ~b)) & tail;
        valid[w] = tail;
      } else {
        value[w] &= a & b & tail;
        valid[w] = a & b & tail;
      }
    }
  }
}
