package dev.trueno.simd.vector.kernels;

import static dev.trueno.simd.vector.kernels.Columns.isSelected;
import static dev.trueno.simd.vector.kernels.Columns.isValid;
import static dev.trueno.simd.vector.kernels.Columns.selWord;
import static dev.trueno.simd.vector.kernels.Columns.validWord;
import static dev.trueno.simd.vector.kernels.Lanes.DOUBLES;
import static dev.trueno.simd.vector.kernels.Lanes.INTS;
import static dev.trueno.simd.vector.kernels.Lanes.INTS_AS_LONGS;
import static dev.trueno.simd.vector.kernels.Lanes.LONGS;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import org.apache.arrow.vector.BaseFixedWidthVector;

/**
 * Null-aware reductions (COUNT, SUM, MIN, MAX) over one Arrow column, read in place, over the rows
 * that are valid and, when a selection bitmap is given, selected.
 *
 * <p>Int kernels read 4-byte columns (IntVector, DateDayVector), long kernels 8-byte integral
 * columns (BigIntVector, TimeStampVector), double kernels Float8Vector. A selection is a bitmap in
 * {@link Bitmaps} form covering the column's rows, or null for every row. Results follow the scalar
 * backend's accumulators, which follow Spark: sums of integers wrap (with optional detection of the
 * overflow ANSI mode reports), MIN and MAX order doubles with NaN above every number and -0.0 equal
 * to 0.0, and among equal values return the first one in row order.
 */
public final class Reductions {
  private Reductions() {}

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final int L = LONGS.length();
  private static final int IL = INTS.length();

  /** The number of valid, selected rows (COUNT of the column). */
  public static long countValid(BaseFixedWidthVector column, long[] selection) {
    int rows = column.getValueCount();
    ByteBuffer valid = Columns.validity(column);
    if (valid == null && selection == null) {
      return rows;
    }
    int words = Bitmaps.words(rows);
    long n = 0;
    for (int w = 0; w < words; w++) {
      long bits = validWord(valid, w) & selWord(selection, w);
      if (w == words - 1) {
        bits &= Columns.tailMask(rows);
      }
      n += Long.bitCount(bits);
    }
    return n;
  }

  /**
   * SUM of a 4-byte integer column as a long, starting from {@code initial}.
   *
   * @param detectOverflow whether to report (in {@link LongAggregate#overflowed()}) that adding in
   *     row order from {@code initial} leaves the long range at some step, as ANSI mode needs
   */
  public static LongAggregate sumInt(
      BaseFixedWidthVector column, long[] selection, long initial, boolean detectOverflow) {
    int rows = column.getValueCount();
    ByteBuffer data = Columns.data(column, 4);
    ByteBuffer valid = Columns.validity(column);
    LongVector acc = LongVector.zero(LONGS);
    long count = 0;
    int full = rows >>> 6;
    for (int w = 0; w < full; w++) {
      long bits = validWord(valid, w) & selWord(selection, w);
      if (bits == 0) {
        continue;
      }
      count += Long.bitCount(bits);
      int base = w << 8;
      if (bits == -1L) {
        for (int j = 0; j < 64; j += L) {
          acc = acc.add(widen(data, base + (j << 2)));
        }
      } else {
        for (int j = 0; j < 64; j += L) {
          LongVector v = widen(data, base + (j << 2));
          acc = acc.add(LongVector.zero(LONGS).blend(v, Lanes.longMask(bits >>> j)));
        }
      }
    }
    long sum = acc.reduceLanes(VectorOperators.ADD);
    for (int r = full << 6; r < rows; r++) {
      if (isValid(valid, r) && isSelected(selection, r)) {
        sum += data.getInt(r << 2);
        count++;
      }
    }
    boolean overflowed = false;
    // |each prefix sum - initial| <= count * 2^31: check the bound before paying for an exact walk.
    if (detectOverflow
        && count > 0
        && !fits(initial, count, Integer.MIN_VALUE, Integer.MAX_VALUE)) {
      overflowed = walkOverflows(data, 4, valid, selection, rows, initial);
    }
    return new LongAggregate(initial + sum, count, overflowed);
  }

  private static LongVector widen(ByteBuffer data, int byteOffset) {
    return (LongVector)
        IntVector.fromByteBuffer(INTS_AS_LONGS, data, byteOffset, LE).castShape(LONGS, 0);
  }

  /**
   * SUM of an 8-byte integer column, wrapping, starting from {@code initial}.
   *
   * @param detectOverflow whether to report (in {@link LongAggregate#overflowed()}) that adding in
   *     row order from {@code initial} leaves the long range at some step, as ANSI mode needs
   */
  public static LongAggregate sumLong(
      BaseFixedWidthVector column, long[] selection, long initial, boolean detectOverflow) {
    int rows = column.getValueCount();
    ByteBuffer data = Columns.data(column, 8);
    ByteBuffer valid = Columns.validity(column);
    LongVector acc = LongVector.zero(LONGS);
    LongVector lo = LongVector.broadcast(LONGS, Long.MAX_VALUE);
    LongVector hi = LongVector.broadcast(LONGS, Long.MIN_VALUE);
    long count = 0;
    int full = rows >>> 6;
    for (int w = 0; w < full; w++) {
      long bits = validWord(valid, w) & selWord(selection, w);
      if (bits == 0) {
        continue;
      }
      count += Long.bitCount(bits);
      int base = w << 9;
      if (bits == -1L) {
        for (int j = 0; j < 64; j += L) {
          LongVector v = LongVector.fromByteBuffer(LONGS, data, base + (j << 3), LE);
          acc = acc.add(v);
          if (detectOverflow) {
            lo = lo.min(v);
            hi = hi.max(v);
          }
        }
      } else {
        for (int j = 0; j < 64; j += L) {
          VectorMask<Long> m = Lanes.longMask(bits >>> j);
          LongVector v = LongVector.fromByteBuffer(LONGS, data, base + (j << 3), LE);
          acc = acc.add(LongVector.zero(LONGS).blend(v, m));
          if (detectOverflow) {
            lo = lo.min(LongVector.broadcast(LONGS, Long.MAX_VALUE).blend(v, m));
            hi = hi.max(LongVector.broadcast(LONGS, Long.MIN_VALUE).blend(v, m));
          }
        }
      }
    }
    long sum = acc.reduceLanes(VectorOperators.ADD);
    long min = lo.reduceLanes(VectorOperators.MIN);
    long max = hi.reduceLanes(VectorOperators.MAX);
    for (int r = full << 6; r < rows; r++) {
      if (isValid(valid, r) && isSelected(selection, r)) {
        long v = data.getLong(r << 3);
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
        count++;
      }
    }
    boolean overflowed = false;
    // Every prefix sum lies in [initial + count*min(min,0), initial + count*max(max,0)]: when that
    // range fits no step can overflow, and only otherwise do we walk the rows in order.
    if (detectOverflow && count > 0 && !fits(initial, count, min, max)) {
      overflowed = walkOverflows(data, 8, valid, selection, rows, initial);
    }
    return new LongAggregate(initial + sum, count, overflowed);
  }

  private static boolean fits(long initial, long count, long min, long max) {
    try {
      Math.addExact(initial, Math.multiplyExact(count, Math.min(min, 0L)));
      Math.addExact(initial, Math.multiplyExact(count, Math.max(max, 0L)));
      return true;
    } catch (ArithmeticException e) {
      return false;
    }
  }

  private static boolean walkOverflows(
      ByteBuffer data, int width, ByteBuffer valid, long[] selection, int rows, long initial) {
    long sum = initial;
    for (int r = 0; r < rows; r++) {
      if (isValid(valid, r) && isSelected(selection, r)) {
        long v = width == 8 ? data.getLong(r << 3) : data.getInt(r << 2);
        long next = sum + v;
        if (((sum ^ next) & (v ^ next)) < 0) {
          return true;
        }
        sum = next;
      }
    }
    return false;
  }

  /**
   * SUM of a double column in row order, starting from {@code initial}: the result Spark computes
   * (a fresh Spark buffer starts from 0.0). Floating-point addition is not associative, so this
   * kernel adds one row at a time; it is the only double sum that matches Spark bit for bit.
   */
  public static DoubleAggregate sumDouble(
      BaseFixedWidthVector column, long[] selection, double initial) {
    int rows = column.getValueCount();
    ByteBuffer data = Columns.data(column, 8);
    ByteBuffer valid = Columns.validity(column);
    double sum = initial;
    long count = 0;
    int words = Bitmaps.words(rows);
    for (int w = 0; w < words; w++) {
      long bits = validWord(valid, w) & selWord(selection, w);
      if (w == words - 1) {
        bits &= Columns.tailMask(rows);
      }
      int base = w << 6;
      if (bits == -1L) {
        for (int j = 0; j < 64; j++) {
          sum += data.getDouble((base + j) << 3);
        }
        count += 64;
      } else {
        count += Long.bitCount(bits);
        while (bits != 0) {
          int j = Long.numberOfTrailingZeros(bits);
          sum += data.getDouble((base + j) << 3);
          bits &= bits - 1;
        }
      }
    }
    return new DoubleAggregate(sum, count);
  }

  /**
   * SUM of a double column with lanes added in parallel, for benchmarks only: the additions are
   * reordered, so the last bits can differ from Spark's {@link #sumDouble}.
   */
  public static DoubleAggregate sumDoubleReordered(BaseFixedWidthVector column, long[] selection) {
    int rows = column.getValueCount();
    ByteBuffer data = Columns.data(column, 8);
    ByteBuffer valid = Columns.validity(column);
    DoubleVector acc = DoubleVector.zero(DOUBLES);
    long count = 0;
    int full = rows >>> 6;
    for (int w = 0; w < full; w++) {
      long bits = validWord(valid, w) & selWord(selection, w);
      if (bits == 0) {
        continue;
      }
      count += Long.bitCount(bits);
      int base = w << 9;
      if (bits == -1L) {
        for (int j = 0; j < 64; j += L) {
          acc = acc.add(DoubleVector.fromByteBuffer(DOUBLES, data, base + (j << 3), LE));
        }
      } else {
        for (int j = 0; j < 64; j += L) {
          DoubleVector v = DoubleVector.fromByteBuffer(DOUBLES, data, base + (j << 3), LE);
          acc = acc.add(DoubleVector.zero(DOUBLES).blend(v, Lanes.doubleMask(bits >>> j)));
        }
      }
    }
    double sum = acc.reduceLanes(VectorOperators.ADD);
    for (int r = full << 6; r < rows; r++) {
      if (isValid(valid, r) && isSelected(selection, r)) {
        sum += data.getDouble(r << 3);
        count++;
      }
    }
    return new DoubleAggregate(sum, count);
  }

  /** MIN of a 4-byte integer column. */
  public static LongAggregate minInt(BaseFixedWidthVector column, long[] selection) {
    return extremeInt(column, selection, false);
  }

  /** MAX of a 4-byte integer column. */
  public static LongAggregate maxInt(BaseFixedWidthVector column, long[] selection) {
    return extremeInt(column, selection, true);
  }

  private static LongAggregate extremeInt(
      BaseFixedWidthVector column, long[] selection, boolean max) {
    int rows = column.getValueCount();
    ByteBuffer data = Columns.data(column, 4);
    ByteBuffer valid = Columns.validity(column);
    int identity = max ? Integer.MIN_VALUE : Integer.MAX_VALUE;
    IntVector acc = IntVector.broadcast(INTS, identity);
    long count = 0;
    int full = rows >>> 6;
    for (int w = 0; w < full; w++) {
      long bits = validWord(valid, w) & selWord(selection, w);
      if (bits == 0) {
        continue;
      }
      count += Long.bitCount(bits);
      int base = w << 8;
      for (int j = 0; j < 64; j += IL) {
        IntVector v = IntVector.fromByteBuffer(INTS, data, base + (j << 2), LE);
        if (bits != -1L) {
          v = IntVector.broadcast(INTS, identity).blend(v, Lanes.intMask(bits >>> j));
        }
        acc = max ? acc.max(v) : acc.min(v);
      }
    }
    int best = acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
    for (int r = full << 6; r < rows; r++) {
      if (isValid(valid, r) && isSelected(selection, r)) {
        int v = data.getInt(r << 2);
        best = max ? Math.max(best, v) : Math.min(best, v);
        count++;
      }
    }
    return new LongAggregate(best, count, false);
  }

  /** MIN of an 8-byte integer column. */
  public static LongAggregate minLong(BaseFixedWidthVector column, long[] selection) {
    return extremeLong(column, selection, false, false);
  }

  /** MAX of an 8-byte integer column. */
  public static LongAggregate maxLong(BaseFixedWidthVector column, long[] selection) {
    return extremeLong(column, selection, true, false);
  }

  /**
   * MIN of a double column in Spark's order: NaN only when every value is NaN, -0.0 and 0.0 equal
   * (the one that comes first in row order is returned, as Spark's {@code Least} keeps it).
   */
  public static DoubleAggregate minDouble(BaseFixedWidthVector column, long[] selection) {
    return extremeDouble(column, selection, false);
  }

  /**
   * MAX of a double column in Spark's order: NaN when any value is NaN, -0.0 and 0.0 equal (the one
   * that comes first in row order is returned).
   */
  public static DoubleAggregate maxDouble(BaseFixedWidthVector column, long[] selection) {
    return extremeDouble(column, selection, true);
  }

  private static DoubleAggregate extremeDouble(
      BaseFixedWidthVector column, long[] selection, boolean max) {
    LongAggregate key = extremeLong(column, selection, max, true);
    if (key.count() == 0) {
      return new DoubleAggregate(0.0, 0);
    }
    double best = Lanes.fromSortKey(key.value());
    if (best == 0.0 || Double.isNaN(best)) {
      // Several bit patterns share this key; Spark keeps the first of them in row order.
      best = firstEqual(column, selection, best);
    }
    return new DoubleAggregate(best, key.count());
  }

  private static double firstEqual(BaseFixedWidthVector column, long[] selection, double value) {
    ByteBuffer data = Columns.data(column, 8);
    ByteBuffer valid = Columns.validity(column);
    long key = Lanes.sortKey(value);
    int rows = column.getValueCount();
    for (int r = 0; r < rows; r++) {
      if (isValid(valid, r) && isSelected(selection, r)) {
        double v = data.getDouble(r << 3);
        if (Lanes.sortKey(v) == key) {
          return v;
        }
      }
    }
    return value;
  }

  /** MIN or MAX over 8-byte lanes, of the values or (for doubles) of their sort keys. */
  private static LongAggregate extremeLong(
      BaseFixedWidthVector column, long[] selection, boolean max, boolean doubleKeys) {
    int rows = column.getValueCount();
    ByteBuffer data = Columns.data(column, 8);
    ByteBuffer valid = Columns.validity(column);
    long identity = max ? Long.MIN_VALUE : Long.MAX_VALUE;
    LongVector acc = LongVector.broadcast(LONGS, identity);
    long count = 0;
    int full = rows >>> 6;
    for (int w = 0; w < full; w++) {
      long bits = validWord(valid, w) & selWord(selection, w);
      if (bits == 0) {
        continue;
      }
      count += Long.bitCount(bits);
      int base = w << 9;
      for (int j = 0; j < 64; j += L) {
        LongVector v = LongVector.fromByteBuffer(LONGS, data, base + (j << 3), LE);
        if (doubleKeys) {
          v = Lanes.sortKeys(v);
        }
        if (bits != -1L) {
          v = LongVector.broadcast(LONGS, identity).blend(v, Lanes.longMask(bits >>> j));
        }
        acc = max ? acc.max(v) : acc.min(v);
      }
    }
    long best = acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
    for (int r = full << 6; r < rows; r++) {
      if (isValid(valid, r) && isSelected(selection, r)) {
        long v = data.getLong(r << 3);
        if (doubleKeys) {
          v = Lanes.sortKey(Double.longBitsToDouble(v));
        }
        best = max ? Math.max(best, v) : Math.min(best, v);
        count++;
      }
    }
    return new LongAggregate(best, count, false);
  }
}
