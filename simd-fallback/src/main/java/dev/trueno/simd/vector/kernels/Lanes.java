package dev.trueno.simd.vector.kernels;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species the kernels use and the conversions between 64-row bitmap words and lane
 * masks. Every species' lane count divides 64, so a bitmap word is always a whole number of
 * vectors.
 */
final class Lanes {
  private Lanes() {}

  static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;
  static final VectorSpecies<Double> DOUBLES =
      VectorSpecies.of(double.class, VectorShape.forBitSize(LONGS.vectorBitSize()));
  static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;

  /** Ints with as many lanes as {@link #LONGS}, for widening int columns to long lanes. */
  static final VectorSpecies<Integer> INTS_AS_LONGS =
      VectorSpecies.of(int.class, VectorShape.forBitSize(LONGS.vectorBitSize() / 2));

  private static final LongVector LONG_LANE_BITS = laneBits(LONGS);
  private static final IntVector INT_LANE_BITS = intLaneBits(INTS);

  private static LongVector laneBits(VectorSpecies<Long> species) {
    long[] bits = new long[species.length()];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = 1L << i;
    }
    return LongVector.fromArray(species, bits, 0);
  }

  private static IntVector intLaneBits(VectorSpecies<Integer> species) {
    int[] bits = new int[species.length()];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = 1 << i;
    }
    return IntVector.fromArray(species, bits, 0);
  }

  /** The mask whose lane i is set when bit i of {@code bits} is set ({@link #LONGS} lanes). */
  static VectorMask<Long> longMask(long bits) {
    // broadcast-and-compare is intrinsified on JDK 17, VectorMask.fromLong is not everywhere.
    return LongVector.broadcast(LONGS, bits)
        .lanewise(VectorOperators.AND, LONG_LANE_BITS)
        .compare(VectorOperators.NE, 0L);
  }

  /** As {@link #longMask}, for doubles. */
  static VectorMask<Double> doubleMask(long bits) {
    return longMask(bits).cast(DOUBLES);
  }

  /** As {@link #longMask}, for {@link #INTS} lanes. */
  static VectorMask<Integer> intMask(long bits) {
    return IntVector.broadcast(INTS, (int) bits)
        .lanewise(VectorOperators.AND, INT_LANE_BITS)
        .compare(VectorOperators.NE, 0);
  }

  /** As {@link #longMask}, for {@link #INTS_AS_LONGS} lanes. */
  static VectorMask<Integer> narrowIntMask(long bits) {
    return longMask(bits).cast(INTS_AS_LONGS);
  }

  /** The mask as bits, lane i at bit i. */
  static long bits(VectorMask<?> mask) {
    return mask.toLong();
  }

  /**
   * Double bits with -0.0 made 0.0 and every NaN made the canonical NaN, the form in which Spark
   * compares, groups and hashes doubles ({@code NormalizeFloatingNumbers}).
   */
  static LongVector normalizedBits(LongVector bits) {
    LongVector b = bits.blend(0L, bits.compare(VectorOperators.EQ, Long.MIN_VALUE));
    VectorMask<Long> nan =
        b.lanewise(VectorOperators.AND, Long.MAX_VALUE)
            .compare(VectorOperators.GT, 0x7ff0000000000000L);
    return b.blend(0x7ff8000000000000L, nan);
  }

  /**
   * Keys whose signed long order is Spark's order of the doubles with these bits: -0.0 equals 0.0,
   * NaN equals NaN and is greater than every other value.
   */
  static LongVector sortKeys(LongVector bits) {
    LongVector b = normalizedBits(bits);
    return b.lanewise(
        VectorOperators.XOR,
        b.lanewise(VectorOperators.ASHR, 63).lanewise(VectorOperators.AND, Long.MAX_VALUE));
  }

  /** The scalar form of {@link #sortKeys}. */
  static long sortKey(double v) {
    long b = v == 0.0 ? 0L : Double.doubleToLongBits(v);
    return b ^ ((b >> 63) & Long.MAX_VALUE);
  }

  /** The inverse of {@link #sortKey} (on normalized values). */
  static double fromSortKey(long key) {
    return Double.longBitsToDouble(key ^ ((key >> 63) & Long.MAX_VALUE));
  }
}
