package dev.trueno.simd.vector.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.expr.ComparisonOp;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Spark corner cases of the kernels, one by one; the allocator is a leak check. */
class KernelExamplesTest {
  private BufferAllocator allocator;

  @BeforeEach
  void openAllocator() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void closeAllocator() {
    allocator.close();
  }

  private BigIntVector longs(Long... values) {
    BigIntVector v = new BigIntVector("l", allocator);
    v.allocateNew(values.length);
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        v.setNull(i);
      } else {
        v.set(i, values[i]);
      }
    }
    v.setValueCount(values.length);
    return v;
  }

  private Float8Vector doubles(Double... values) {
    Float8Vector v = new Float8Vector("d", allocator);
    v.allocateNew(values.length);
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        v.setNull(i);
      } else {
        v.set(i, values[i]);
      }
    }
    v.setValueCount(values.length);
    return v;
  }

  private IntVector ints(int rows, int value) {
    IntVector v = new IntVector("i", allocator);
    v.allocateNew(rows);
    for (int i = 0; i < rows; i++) {
      v.set(i, value);
    }
    v.setValueCount(rows);
    return v;
  }

  @Test
  void sumOfAllNullsCountsNoRows() {
    try (BigIntVector v = longs(null, null, null)) {
      assertThat(Reductions.sumLong(v, null, 0, true)).isEqualTo(new LongAggregate(0, 0, false));
      assertThat(Reductions.maxLong(v, null).count()).isZero();
      assertThat(Reductions.countValid(v, null)).isZero();
    }
  }

  @Test
  void sumOfAnEmptyColumnCountsNoRows() {
    try (BigIntVector v = longs()) {
      assertThat(Reductions.sumLong(v, null, 7, false)).isEqualTo(new LongAggregate(7, 0, false));
    }
  }

  @Test
  void overflowInTheMiddleIsReportedEvenWhenTheTotalFits() {
    try (BigIntVector v = longs(Long.MAX_VALUE, 1L, -1L)) {
      LongAggregate sum = Reductions.sumLong(v, null, 0, true);
      assertThat(sum.value()).isEqualTo(Long.MAX_VALUE);
      assertThat(sum.overflowed()).isTrue();
    }
  }

  @Test
  void sumWrapsWithoutOverflowDetection() {
    try (BigIntVector v = longs(Long.MAX_VALUE, 1L)) {
      assertThat(Reductions.sumLong(v, null, 0, false))
          .isEqualTo(new LongAggregate(Long.MIN_VALUE, 2, false));
    }
  }

  @Test
  void intSumOfManyMaximaDoesNotOverflowALong() {
    try (IntVector v = ints(1003, Integer.MAX_VALUE)) {
      assertThat(Reductions.sumInt(v, null, 0, true))
          .isEqualTo(new LongAggregate(1003L * Integer.MAX_VALUE, 1003, false));
    }
  }

  @Test
  void minAndMaxKeepTheFirstOfEqualZeros() {
    try (Float8Vector a = doubles(0.0, -0.0, null);
        Float8Vector b = doubles(null, -0.0, 0.0)) {
      assertThat(Double.doubleToRawLongBits(Reductions.minDouble(a, null).value())).isZero();
      assertThat(Reductions.minDouble(b, null).value()).isEqualTo(-0.0);
      assertThat(Double.doubleToRawLongBits(Reductions.maxDouble(a, null).value())).isZero();
      assertThat(Reductions.maxDouble(b, null).value()).isEqualTo(-0.0);
    }
  }

  @Test
  void nanIsTheMaximumAndOnlyTheMinimumOfAllNaN() {
    try (Float8Vector mixed = doubles(1.0, Double.NaN, Double.POSITIVE_INFINITY, -3.0);
        Float8Vector nans = doubles(Double.NaN, null, Double.NaN)) {
      assertThat(Reductions.maxDouble(mixed, null).value()).isNaN();
      assertThat(Reductions.minDouble(mixed, null).value()).isEqualTo(-3.0);
      assertThat(Reductions.minDouble(nans, null).value()).isNaN();
    }
  }

  @Test
  void selectionRestrictsReductions() {
    try (BigIntVector v = longs(5L, 10L, null, 20L)) {
      long[] sel = Bitmaps.allocate(4);
      Bitmaps.set(sel, 1);
      Bitmaps.set(sel, 2);
      assertThat(Reductions.sumLong(v, sel, 0, false)).isEqualTo(new LongAggregate(10, 1, false));
    }
  }

  @Test
  void negativeZeroEqualsZeroAndNaNEqualsNaNInComparisons() {
    try (Float8Vector v = doubles(-0.0, Double.NaN, 1.0, null)) {
      long[] value = Bitmaps.allocate(4);
      long[] valid = Bitmaps.allocate(4);
      Filters.compareDouble(v, ComparisonOp.EQUAL, 0.0, value, valid);
      assertThat(value[0]).isEqualTo(0b0001);
      assertThat(valid[0]).isEqualTo(0b0111);
      Filters.compareDouble(v, ComparisonOp.GREATER_THAN, Double.POSITIVE_INFINITY, value, valid);
      assertThat(value[0]).isEqualTo(0b0010);
      Filters.compareDouble(v, ComparisonOp.NULL_SAFE_EQUAL, Double.NaN, value, valid);
      assertThat(value[0]).isEqualTo(0b0010);
      assertThat(valid[0]).isEqualTo(0b1111);
    }
  }

  @Test
  void intColumnAgainstALiteralBeyondTheIntRange() {
    try (IntVector v = ints(9, Integer.MAX_VALUE)) {
      long[] value = Bitmaps.allocate(9);
      long[] valid = Bitmaps.allocate(9);
      Filters.compareInt(v, ComparisonOp.LESS_THAN, 1L << 40, value, valid);
      assertThat(value[0]).isEqualTo(0x1FFL);
      Filters.compareInt(v, ComparisonOp.EQUAL, 1L << 40, value, valid);
      assertThat(value[0]).isZero();
    }
  }

  @Test
  void zerosAndNaNsHashAlikeAndNullHasItsOwnHash() {
    try (Float8Vector v =
        doubles(0.0, -0.0, Double.NaN, Double.longBitsToDouble(0xfff8000000000001L), null)) {
      long[] h = new long[5];
      Hashing.hashDoubles(v, h);
      assertThat(h[0]).isEqualTo(h[1]);
      assertThat(h[2]).isEqualTo(h[3]);
      assertThat(h[4]).isEqualTo(Hashing.NULL_HASH);
    }
  }

  @Test
  void aKernelRejectsAColumnOfTheWrongWidth() {
    try (IntVector v = ints(3, 1)) {
      assertThatThrownBy(() -> Reductions.sumLong(v, null, 0, false))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("4-byte values")
          .hasMessageContaining("reads 8-byte values");
    }
  }
}
