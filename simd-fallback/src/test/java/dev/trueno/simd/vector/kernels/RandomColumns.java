package dev.trueno.simd.vector.kernels;

import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;

/**
 * Seeded random columns with nulls over garbage values (so a kernel that reads under a NULL is
 * caught), extremes, NaNs of several bit patterns, -0.0 and 0.0.
 */
final class RandomColumns {
  private final Random random;
  private final double nullRate;

  RandomColumns(long seed, double nullRate) {
    this.random = new Random(seed);
    this.nullRate = nullRate;
  }

  static final double[] SPECIAL_DOUBLES = {
    Double.NaN,
    Double.longBitsToDouble(0x7ff8000000000001L),
    Double.longBitsToDouble(0xfff8000000000000L),
    -0.0,
    0.0,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    Double.MIN_VALUE,
    -Double.MAX_VALUE,
    Double.MAX_VALUE,
    1.0,
    -1.0
  };

  long nextLong() {
    return switch (random.nextInt(8)) {
      case 0 -> Long.MAX_VALUE;
      case 1 -> Long.MIN_VALUE;
      case 2 -> 0L;
      case 3 -> Long.MAX_VALUE - random.nextInt(10);
      case 4 -> random.nextLong();
      default -> random.nextInt(21) - 10;
    };
  }

  int nextInt() {
    return switch (random.nextInt(7)) {
      case 0 -> Integer.MAX_VALUE;
      case 1 -> Integer.MIN_VALUE;
      case 2 -> 0;
      case 3 -> random.nextInt();
      default -> random.nextInt(21) - 10;
    };
  }

  double nextDouble() {
    return switch (random.nextInt(4)) {
      case 0 -> SPECIAL_DOUBLES[random.nextInt(SPECIAL_DOUBLES.length)];
      case 1 -> random.nextInt(5) - 2;
      default -> random.nextGaussian() * 1e3;
    };
  }

  private boolean nextNull() {
    return random.nextDouble() < nullRate;
  }

  BigIntVector longs(BufferAllocator allocator, int rows) {
    BigIntVector v = new BigIntVector("l", allocator);
    v.allocateNew(rows);
    for (int r = 0; r < rows; r++) {
      v.set(r, nextLong());
      if (nextNull()) {
        v.setNull(r);
      }
    }
    v.setValueCount(rows);
    return v;
  }

  IntVector ints(BufferAllocator allocator, int rows) {
    IntVector v = new IntVector("i", allocator);
    v.allocateNew(rows);
    for (int r = 0; r < rows; r++) {
      v.set(r, nextInt());
      if (nextNull()) {
        v.setNull(r);
      }
    }
    v.setValueCount(rows);
    return v;
  }

  Float8Vector doubles(BufferAllocator allocator, int rows) {
    Float8Vector v = new Float8Vector("d", allocator);
    v.allocateNew(rows);
    for (int r = 0; r < rows; r++) {
      v.set(r, nextDouble());
      if (nextNull()) {
        v.setNull(r);
      }
    }
    v.setValueCount(rows);
    return v;
  }

  /** A random selection bitmap, or null (every row) one time in three. */
  long[] selection(int rows) {
    if (random.nextInt(3) == 0) {
      return null;
    }
    long[] bits = Bitmaps.allocate(rows);
    double keep = random.nextDouble();
    for (int r = 0; r < rows; r++) {
      if (random.nextDouble() < keep) {
        Bitmaps.set(bits, r);
      }
    }
    return bits;
  }

  /** A random three-valued boolean column as canonical (value, valid) bitmaps. */
  long[][] booleans(int rows) {
    long[] value = Bitmaps.allocate(rows);
    long[] valid = Bitmaps.allocate(rows);
    for (int r = 0; r < rows; r++) {
      if (!nextNull()) {
        Bitmaps.set(valid, r);
        if (random.nextBoolean()) {
          Bitmaps.set(value, r);
        }
      }
    }
    return new long[][] {value, valid};
  }
}
