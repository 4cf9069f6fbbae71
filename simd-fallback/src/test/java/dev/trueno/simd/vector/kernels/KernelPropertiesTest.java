package dev.trueno.simd.vector.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.expr.ComparisonOp;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;

/**
 * Every kernel equals a plain row-at-a-time loop with the scalar backend's semantics, on seeded
 * random columns with nulls, extremes, NaN and -0.0, at lengths around the vector width and 64-row
 * words, with and without a selection. Each try's allocator is closed after it: a leak fails it.
 */
class KernelPropertiesTest {
  private BufferAllocator allocator;

  @BeforeTry
  void openAllocator() {
    allocator = new RootAllocator();
  }

  @AfterTry
  void closeAllocator() {
    allocator.close();
  }

  @Provide
  Arbitrary<Integer> lengths() {
    return Arbitraries.oneOf(
        Arbitraries.of(0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1003),
        Arbitraries.integers().between(0, 300));
  }

  @Provide
  Arbitrary<Double> nullRates() {
    return Arbitraries.of(0.0, 0.1, 0.5, 1.0);
  }

  @Provide
  Arbitrary<Long> initials() {
    return Arbitraries.of(0L, Long.MAX_VALUE - 5, Long.MIN_VALUE + 5, 12345L);
  }

  @Property(tries = 300)
  void longReductionsEqualALoop(
      @ForAll("lengths") int rows,
      @ForAll("nullRates") double nullRate,
      @ForAll("initials") long initial,
      @ForAll long seed) {
    RandomColumns random = new RandomColumns(seed, nullRate);
    try (BigIntVector v = random.longs(allocator, rows)) {
      long[] sel = random.selection(rows);
      long sum = initial;
      long count = 0;
      long min = Long.MAX_VALUE;
      long max = Long.MIN_VALUE;
      boolean overflowed = false;
      for (int r = 0; r < rows; r++) {
        if (v.isNull(r) || (sel != null && !Bitmaps.get(sel, r))) {
          continue;
        }
        long x = v.get(r);
        if (!overflowed) {
          try {
            Math.addExact(sum, x);
          } catch (ArithmeticException e) {
            overflowed = true;
          }
        }
        sum += x;
        count++;
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      assertThat(Reductions.sumLong(v, sel, initial, true))
          .isEqualTo(new LongAggregate(sum, count, overflowed));
      assertThat(Reductions.sumLong(v, sel, initial, false))
          .isEqualTo(new LongAggregate(sum, count, false));
      assertThat(Reductions.countValid(v, sel)).isEqualTo(count);
      if (count > 0) {
        assertThat(Reductions.minLong(v, sel).value()).isEqualTo(min);
        assertThat(Reductions.maxLong(v, sel).value()).isEqualTo(max);
      }
      assertThat(Reductions.minLong(v, sel).count()).isEqualTo(count);
    }
  }

  @Property(tries = 300)
  void intReductionsEqualALoop(
      @ForAll("lengths") int rows,
      @ForAll("nullRates") double nullRate,
      @ForAll("initials") long initial,
      @ForAll long seed) {
    RandomColumns random = new RandomColumns(seed, nullRate);
    try (IntVector v = random.ints(allocator, rows)) {
      long[] sel = random.selection(rows);
      long sum = initial;
      long count = 0;
      long min = Long.MAX_VALUE;
      long max = Long.MIN_VALUE;
      boolean overflowed = false;
      for (int r = 0; r < rows; r++) {
        if (v.isNull(r) || (sel != null && !Bitmaps.get(sel, r))) {
          continue;
        }
        long x = v.get(r);
        if (!overflowed) {
          try {
            Math.addExact(sum, x);
          } catch (ArithmeticException e) {
            overflowed = true;
          }
        }
        sum += x;
        count++;
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      assertThat(Reductions.sumInt(v, sel, initial, true))
          .isEqualTo(new LongAggregate(sum, count, overflowed));
      assertThat(Reductions.countValid(v, sel)).isEqualTo(count);
      if (count > 0) {
        assertThat(Reductions.minInt(v, sel).value()).isEqualTo(min);
        assertThat(Reductions.maxInt(v, sel).value()).isEqualTo(max);
      }
      assertThat(Reductions.maxInt(v, sel).count()).isEqualTo(count);
    }
  }

  @Property(tries = 300)
  void doubleReductionsEqualALoop(
      @ForAll("lengths") int rows, @ForAll("nullRates") double nullRate, @ForAll long seed) {
    RandomColumns random = new RandomColumns(seed, nullRate);
    try (Float8Vector v = random.doubles(allocator, rows)) {
      long[] sel = random.selection(rows);
      double sum = 0.0;
      long count = 0;
      Double min = null;
      Double max = null;
      for (int r = 0; r < rows; r++) {
        if (v.isNull(r) || (sel != null && !Bitmaps.get(sel, r))) {
          continue;
        }
        double x = v.get(r);
        sum += x;
        count++;
        // The scalar MinMax accumulator: replace only on a strict improvement.
        if (min == null || Reference.compareDoubles(x, min) < 0) {
          min = x;
        }
        if (max == null || Reference.compareDoubles(x, max) > 0) {
          max = x;
        }
      }
      DoubleAggregate s = Reductions.sumDouble(v, sel, 0.0);
      // Java leaves the payload of a NaN that arithmetic produces open: compare NaN as one value.
      assertThat(Double.doubleToLongBits(s.value())).isEqualTo(Double.doubleToLongBits(sum));
      assertThat(s.count()).isEqualTo(count);
      assertThat(Reductions.sumDoubleReordered(v, sel).count()).isEqualTo(count);
      DoubleAggregate lo = Reductions.minDouble(v, sel);
      DoubleAggregate hi = Reductions.maxDouble(v, sel);
      assertThat(lo.count()).isEqualTo(count);
      if (count > 0) {
        assertThat(Double.doubleToRawLongBits(lo.value()))
            .isEqualTo(Double.doubleToRawLongBits(min));
        assertThat(Double.doubleToRawLongBits(hi.value()))
            .isEqualTo(Double.doubleToRawLongBits(max));
      }
    }
  }

  @Property(tries = 200)
  void comparisonsWithALiteralEqualALoop(
      @ForAll("lengths") int rows,
      @ForAll("nullRates") double nullRate,
      @ForAll ComparisonOp op,
      @ForAll long seed) {
    RandomColumns random = new RandomColumns(seed, nullRate);
    try (IntVector i = random.ints(allocator, rows);
        BigIntVector l = random.longs(allocator, rows);
        Float8Vector d = random.doubles(allocator, rows)) {
      long[] value = Bitmaps.allocate(rows);
      long[] valid = Bitmaps.allocate(rows);

      long intLiteral = random.nextInt() + (seed % 5 == 0 ? (long) Integer.MAX_VALUE * 3 : 0);
      Filters.compareInt(i, op, intLiteral, value, valid);
      for (int r = 0; r < rows; r++) {
        Integer cmp = i.isNull(r) ? null : Long.compare(i.get(r), intLiteral);
        assertThat(Reference.read(value, valid, r))
            .as("row %d of %s %s %d", r, i.getObject(r), op, intLiteral)
            .isEqualTo(Reference.compare(cmp, i.isNull(r), false, op));
      }
      assertCanonical(value, valid, rows);

      long longLiteral = random.nextLong();
      Filters.compareLong(l, op, longLiteral, value, valid);
      for (int r = 0; r < rows; r++) {
        Integer cmp = l.isNull(r) ? null : Long.compare(l.get(r), longLiteral);
        assertThat(Reference.read(value, valid, r))
            .isEqualTo(Reference.compare(cmp, l.isNull(r), false, op));
      }
      assertCanonical(value, valid, rows);

      double doubleLiteral = random.nextDouble();
      Filters.compareDouble(d, op, doubleLiteral, value, valid);
      for (int r = 0; r < rows; r++) {
        Integer cmp = d.isNull(r) ? null : Reference.compareDoubles(d.get(r), doubleLiteral);
        assertThat(Reference.read(value, valid, r))
            .as("row %d of %s %s %s", r, d.getObject(r), op, doubleLiteral)
            .isEqualTo(Reference.compare(cmp, d.isNull(r), false, op));
      }
      assertCanonical(value, valid, rows);
    }
  }

  @Property(tries = 200)
  void comparisonsOfTwoColumnsEqualALoop(
      @ForAll("lengths") int rows,
      @ForAll("nullRates") double nullRate,
      @ForAll ComparisonOp op,
      @ForAll long seed) {
    RandomColumns random = new RandomColumns(seed, nullRate);
    try (IntVector i1 = random.ints(allocator, rows);
        IntVector i2 = random.ints(allocator, rows);
        BigIntVector l1 = random.longs(allocator, rows);
        BigIntVector l2 = random.longs(allocator, rows);
        Float8Vector d1 = random.doubles(allocator, rows);
        Float8Vector d2 = random.doubles(allocator, rows)) {
      long[] value = Bitmaps.allocate(rows);
      long[] valid = Bitmaps.allocate(rows);

      Filters.compareInts(i1, op, i2, value, valid);
      for (int r = 0; r < rows; r++) {
        boolean anyNull = i1.isNull(r) || i2.isNull(r);
        Integer cmp = anyNull ? null : Integer.compare(i1.get(r), i2.get(r));
        assertThat(Reference.read(value, valid, r))
            .isEqualTo(Reference.compare(cmp, i1.isNull(r), i2.isNull(r), op));
      }
      assertCanonical(value, valid, rows);

      Filters.compareLongs(l1, op, l2, value, valid);
      for (int r = 0; r < rows; r++) {
        boolean anyNull = l1.isNull(r) || l2.isNull(r);
        Integer cmp = anyNull ? null : Long.compare(l1.get(r), l2.get(r));
        assertThat(Reference.read(value, valid, r))
            .isEqualTo(Reference.compare(cmp, l1.isNull(r), l2.isNull(r), op));
      }
      assertCanonical(value, valid, rows);

      Filters.compareDoubles(d1, op, d2, value, valid);
      for (int r = 0; r < rows; r++) {
        boolean anyNull = d1.isNull(r) || d2.isNull(r);
        Integer cmp = anyNull ? null : Reference.compareDoubles(d1.get(r), d2.get(r));
        assertThat(Reference.read(value, valid, r))
            .as("row %d: %s %s %s", r, d1.getObject(r), op, d2.getObject(r))
            .isEqualTo(Reference.compare(cmp, d1.isNull(r), d2.isNull(r), op));
      }
      assertCanonical(value, valid, rows);
    }
  }

  @Property(tries = 200)
  void threeValuedLogicEqualsALoop(
      @ForAll("lengths") int rows, @ForAll("nullRates") double nullRate, @ForAll long seed) {
    RandomColumns random = new RandomColumns(seed, nullRate);
    long[][] a = random.booleans(rows);
    long[][] b = random.booleans(rows);
    long[] and = Bitmaps.allocate(rows);
    long[] andValid = Bitmaps.allocate(rows);
    long[] or = Bitmaps.allocate(rows);
    long[] orValid = Bitmaps.allocate(rows);
    long[] not = Bitmaps.allocate(rows);
    long[] notValid = Bitmaps.allocate(rows);
    long[] selected = Bitmaps.allocate(rows);
    Filters.and(a[0], a[1], b[0], b[1], and, andValid, rows);
    Filters.or(a[0], a[1], b[0], b[1], or, orValid, rows);
    Filters.not(a[0], a[1], not, notValid, rows);
    Filters.selection(a[0], a[1], selected, rows);
    for (int r = 0; r < rows; r++) {
      Boolean x = Reference.read(a[0], a[1], r);
      Boolean y = Reference.read(b[0], b[1], r);
      Boolean expectedAnd =
          Boolean.FALSE.equals(x) || Boolean.FALSE.equals(y)
              ? Boolean.FALSE
              : (x == null || y == null ? null : Boolean.TRUE);
      Boolean expectedOr =
          Boolean.TRUE.equals(x) || Boolean.TRUE.equals(y)
              ? Boolean.TRUE
              : (x == null || y == null ? null : Boolean.FALSE);
      assertThat(Reference.read(and, andValid, r)).isEqualTo(expectedAnd);
      assertThat(Reference.read(or, orValid, r)).isEqualTo(expectedOr);
      assertThat(Reference.read(not, notValid, r)).isEqualTo(x == null ? null : !x);
      assertThat(Bitmaps.get(selected, r)).isEqualTo(Boolean.TRUE.equals(x));
    }
    assertCanonical(and, andValid, rows);
    assertCanonical(or, orValid, rows);
    assertCanonical(not, notValid, rows);
  }

  @Property(tries = 200)
  void hashesEqualTheScalarHashOfEachRow(
      @ForAll("lengths") int rows, @ForAll("nullRates") double nullRate, @ForAll long seed) {
    RandomColumns random = new RandomColumns(seed, nullRate);
    try (IntVector i = random.ints(allocator, rows);
        BigIntVector l = random.longs(allocator, rows);
        Float8Vector d = random.doubles(allocator, rows)) {
      long[] h = new long[rows];
      Hashing.hashInts(i, h);
      Hashing.combineLongs(l, h);
      Hashing.combineDoubles(d, h);
      long[] dh = new long[rows];
      Hashing.hashDoubles(d, dh);
      long[] lh = new long[rows];
      Hashing.hashLongs(l, lh);
      for (int r = 0; r < rows; r++) {
        long hi = i.isNull(r) ? Hashing.NULL_HASH : Hashing.hash((long) i.get(r));
        long hl = l.isNull(r) ? Hashing.NULL_HASH : Hashing.hash(l.get(r));
        long hd = d.isNull(r) ? Hashing.NULL_HASH : Hashing.hash(d.get(r));
        assertThat(h[r]).isEqualTo(Hashing.combine(Hashing.combine(hi, hl), hd));
        assertThat(dh[r]).isEqualTo(hd);
        assertThat(lh[r]).isEqualTo(hl);
      }
    }
  }

  /** Value bits only where valid, and no bits at or past the row count. */
  private static void assertCanonical(long[] value, long[] valid, int rows) {
    for (int w = 0; w < Bitmaps.words(rows); w++) {
      assertThat(value[w] & ~valid[w]).as("value bits outside valid, word %d", w).isZero();
    }
    if ((rows & 63) != 0) {
      long past = ~((1L << (rows & 63)) - 1);
      assertThat(valid[rows >>> 6] & past).as("valid bits past the end").isZero();
    }
  }
}
