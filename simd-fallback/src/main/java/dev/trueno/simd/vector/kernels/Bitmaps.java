package dev.trueno.simd.vector.kernels;

import java.nio.ByteBuffer;
import org.apache.arrow.vector.BaseFixedWidthVector;

/**
 * Row bitmaps as the kernels exchange them: a {@code long[]} of 64-row words, row r at bit {@code r
 * & 63} of word {@code r >>> 6} (the same bit order as an Arrow validity buffer read as
 * little-endian longs). Bits of rows at or past the row count are zero in every bitmap a kernel
 * writes.
 */
public final class Bitmaps {
  private Bitmaps() {}

  /** The number of words a bitmap of {@code rows} rows needs. */
  public static int words(int rows) {
    return (rows + 63) >>> 6;
  }

  /** A new bitmap of {@code rows} rows, all clear. */
  public static long[] allocate(int rows) {
    return new long[words(rows)];
  }

  /** Writes the validity of {@code column} (1 = not null) into {@code out}. */
  public static void validity(BaseFixedWidthVector column, long[] out) {
    int rows = column.getValueCount();
    ByteBuffer validity = Columns.validity(column);
    int words = words(rows);
    for (int w = 0; w < words; w++) {
      out[w] = Columns.validWord(validity, w);
    }
    if (words > 0) {
      out[words - 1] &= Columns.tailMask(rows);
    }
  }

  /** The number of set bits among the first {@code rows} rows. */
  public static long count(long[] bits, int rows) {
    int full = rows >>> 6;
    long n = 0;
    for (int w = 0; w < full; w++) {
      n += Long.bitCount(bits[w]);
    }
    if ((rows & 63) != 0) {
      n += Long.bitCount(bits[full] & Columns.tailMask(rows));
    }
    return n;
  }

  /** Whether row {@code row} is set. */
  public static boolean get(long[] bits, int row) {
    return (bits[row >>> 6] & (1L << row)) != 0;
  }

  /** Sets row {@code row}. */
  public static void set(long[] bits, int row) {
    bits[row >>> 6] |= 1L << row;
  }
}
