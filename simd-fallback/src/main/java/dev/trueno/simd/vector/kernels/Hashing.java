package dev.trueno.simd.vector.kernels;

import static dev.trueno.simd.vector.kernels.Lanes.LONGS;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import org.apache.arrow.vector.BaseFixedWidthVector;

/**
 * 64-bit hashes of grouping and join keys, one per row, for hash tables (not Spark's Murmur3
 * partitioning hash). Keys equal under Spark's key equality hash alike: a 4-byte and an 8-byte
 * integer of the same value, -0.0 and 0.0, every NaN. A NULL key hashes to {@link #NULL_HASH}, so
 * NULL forms a group of its own.
 *
 * <p>A multi-column key hashes the first column with a {@code hash*} method and folds in each
 * further column with the matching {@code combine*} method. Output arrays must hold at least the
 * column's row count.
 */
public final class Hashing {
  private Hashing() {}

  /** The hash of a NULL key value. */
  public static final long NULL_HASH = 0x5bd1e9955bd1e995L;

  private static final long C1 = 0xff51afd7ed558ccdL;
  private static final long C2 = 0xc4ceb9fe1a85ec53L;
  private static final long COMBINE = 0x9e3779b97f4a7c15L;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final int L = LONGS.length();

  /** The hash of one 64-bit key value (Murmur3's 64-bit finalizer). */
  public static long hash(long value) {
    long x = value;
    x ^= x >>> 33;
    x *= C1;
    x ^= x >>> 33;
    x *= C2;
    x ^= x >>> 33;
    return x;
  }

  /** The hash of one double key value: -0.0 as 0.0 and every NaN as one NaN. */
  public static long hash(double value) {
    return hash(value == 0.0 ? 0L : Double.doubleToLongBits(value));
  }

  /** Folds the hash of a further key column's value into the hash so far. */
  public static long combine(long hashSoFar, long valueHash) {
    return hashSoFar * COMBINE + valueHash;
  }

  private static LongVector hash(LongVector v) {
    LongVector x = v.lanewise(VectorOperators.XOR, v.lanewise(VectorOperators.LSHR, 33));
    x = x.mul(C1);
    x = x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.LSHR, 33));
    x = x.mul(C2);
    return x.lanewise(VectorOperators.XOR, x.lanewise(VectorOperators.LSHR, 33));
  }

  /** Hashes a 4-byte integer key column into {@code out}. */
  public static void hashInts(BaseFixedWidthVector column, long[] out) {
    run(column, 4, out, false);
  }

  /** Hashes an 8-byte integer key column into {@code out}. */
  public static void hashLongs(BaseFixedWidthVector column, long[] out) {
    run(column, 8, out, false);
  }

  /** Hashes a double key column into {@code out}. */
  public static void hashDoubles(BaseFixedWidthVector column, long[] out) {
    run(column, 0, out, false);
  }

  /** Folds a further 4-byte integer key column into the hashes in {@code hashes}. */
  public static void combineInts(BaseFixedWidthVector column, long[] hashes) {
    run(column, 4, hashes, true);
  }

  /** Folds a further 8-byte integer key column into the hashes in {@code hashes}. */
  public static void combineLongs(BaseFixedWidthVector column, long[] hashes) {
    run(column, 8, hashes, true);
  }

  /** Folds a further double key column into the hashes in {@code hashes}. */
  public static void combineDoubles(BaseFixedWidthVector column, long[] hashes) {
    run(column, 0, hashes, true);
  }

  // width 4: ints, 8: longs, 0: doubles (8 bytes, normalized first).
  private static void run(BaseFixedWidthVector column, int width, long[] out, boolean combine) {
    int rows = column.getValueCount();
    ByteBuffer data = Columns.data(column, width == 4 ? 4 : 8);
    ByteBuffer valid = Columns.validity(column);
    LongVector nullHash = LongVector.broadcast(LONGS, NULL_HASH);
    int full = rows >>> 6;
    for (int w = 0; w < full; w++) {
      long bits = Columns.validWord(valid, w);
      for (int j = 0; j < 64; j += L) {
        int r = (w << 6) + j;
        LongVector v;
        if (width == 4) {
          v =
              (LongVector)
                  IntVector.fromByteBuffer(Lanes.INTS_AS_LONGS, data, r << 2, LE)
                      .castShape(LONGS, 0);
        } else {
          v = LongVector.fromByteBuffer(LONGS, data, r << 3, LE);
          if (width == 0) {
            v = Lanes.normalizedBits(v);
          }
        }
        LongVector h = hash(v);
        if (bits != -1L) {
          h = nullHash.blend(h, Lanes.longMask(bits >>> j));
        }
        if (combine) {
          h = LongVector.fromArray(LONGS, out, r).mul(COMBINE).add(h);
        }
        h.intoArray(out, r);
      }
    }
    for (int r = full << 6; r < rows; r++) {
      long h;
      if (!Columns.isValid(valid, r)) {
        h = NULL_HASH;
      } else if (width == 4) {
        h = hash((long) data.getInt(r << 2));
      } else if (width == 8) {
        h = hash(data.getLong(r << 3));
      } else {
        h = hash(data.getDouble(r << 3));
      }
      out[r] = combine ? combine(out[r], h) : h;
    }
  }
}
