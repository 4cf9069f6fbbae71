package dev.trueno.core.morsel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The size of a run of rows equals what Arrow reports for exactly those rows: {@code
 * splitAndTransfer} them into a vector of their own and take its {@code getBufferSize()} (which, as
 * documented on {@link SliceBytes}, leaves out allocation padding). Exact, not approximate.
 */
class SliceBytesTest {
  private BufferAllocator allocator;

  @BeforeTry
  void openAllocator() {
    allocator = new RootAllocator();
  }

  @AfterTry
  void closeAllocator() {
    allocator.close();
  }

  /** The vector kinds Trueno's types map to, plus the large string type. */
  enum Kind {
    INT,
    LONG,
    DOUBLE,
    BOOLEAN,
    DECIMAL,
    DATE,
    TIMESTAMP,
    STRING,
    LARGE_STRING
  }

  @Provide
  Arbitrary<Integer> lengths() {
    return Arbitraries.oneOf(
        Arbitraries.of(1, 7, 8, 9, 63, 64, 65), Arbitraries.integers().between(1, 500));
  }

  @Property(tries = 400)
  void sizeOfRowsEqualsArrowsBufferSizeOfThoseRowsSplitOff(
      @ForAll Kind kind,
      @ForAll("lengths") int length,
      @ForAll @IntRange(min = 0, max = 1000) int fromSeed,
      @ForAll @IntRange(min = 0, max = 1000) int countSeed,
      @ForAll long seed) {
    int from = fromSeed % length;
    int count = countSeed % (length - from + 1);
    try (FieldVector vector = randomVector(kind, length, new Random(seed))) {
      TransferPair pair = vector.getTransferPair(allocator);
      pair.splitAndTransfer(from, count);
      try (ValueVector split = pair.getTo()) {
        assertThat(SliceBytes.of(vector, from, count)).isEqualTo(split.getBufferSize());
      }
      assertThat(SliceBytes.of(vector, 0, length)).isEqualTo(vector.getBufferSize());
    }
  }

  @Property(tries = 100)
  void sizeOfColumnsIsTheSumOverTheColumns(@ForAll("lengths") int length, @ForAll long seed) {
    Random random = new Random(seed);
    try (FieldVector a = randomVector(Kind.STRING, length, random);
        FieldVector b = randomVector(Kind.LONG, length, random)) {
      int from = random.nextInt(length);
      int count = random.nextInt(length - from + 1);
      assertThat(SliceBytes.ofColumns(List.of(a, b), from, count))
          .isEqualTo(SliceBytes.of(a, from, count) + SliceBytes.of(b, from, count));
    }
  }

  @Example
  void fixedWidthRowsCountValuesAndOneValidityBitEach() {
    try (IntVector v = new IntVector("x", allocator)) {
      v.allocateNew(20);
      v.setValueCount(20);
      // 9 values of 4 bytes, and 9 validity bits rounded up to 2 bytes.
      assertThat(SliceBytes.of(v, 3, 9)).isEqualTo(9 * 4 + 2);
      assertThat(SliceBytes.of(v, 3, 0)).isZero();
    }
  }

  @Example
  void stringRowsCountOffsetsAndOnlyTheirOwnBytes() {
    try (VarCharVector v = new VarCharVector("s", allocator)) {
      v.allocateNew();
      v.setSafe(0, "hello".getBytes(StandardCharsets.UTF_8));
      v.setNull(1);
      v.setSafe(2, "ü".getBytes(StandardCharsets.UTF_8));
      v.setSafe(3, "later".getBytes(StandardCharsets.UTF_8));
      v.setValueCount(4);
      // Rows 1..2: a NULL (no bytes) and a 2-byte character, 3 offsets, 1 validity byte.
      assertThat(SliceBytes.of(v, 1, 2)).isEqualTo(2 + 3 * 4 + 1);
    }
  }

  @Example
  void rowsOutsideTheVectorAreRejected() {
    try (IntVector v = new IntVector("x", allocator)) {
      v.allocateNew(4);
      v.setValueCount(4);
      assertThatThrownBy(() -> SliceBytes.of(v, 2, 3))
          .isInstanceOf(IndexOutOfBoundsException.class)
          .hasMessageContaining("2")
          .hasMessageContaining("4");
    }
  }

  @Example
  void nestedColumnsAreUnsupportedNamingTheColumn() {
    try (ListVector v = ListVector.empty("tags", allocator)) {
      assertThatThrownBy(() -> SliceBytes.of(v, 0, 0))
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining("tags")
          .hasMessageContaining("ListVector")
          .satisfies(
              e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.UNSUPPORTED));
    }
  }

  /** A vector of {@code length} random values, about a third of them NULL. */
  private FieldVector randomVector(Kind kind, int length, Random random) {
    FieldVector vector =
        switch (kind) {
          case INT -> new IntVector("v", allocator);
          case LONG -> new BigIntVector("v", allocator);
          case DOUBLE -> new Float8Vector("v", allocator);
          case BOOLEAN -> new BitVector("v", allocator);
          case DECIMAL -> new DecimalVector("v", allocator, 18, 2);
          case DATE -> new DateDayVector("v", allocator);
          case TIMESTAMP -> new TimeStampMicroTZVector("v", allocator, "UTC");
          case STRING -> new VarCharVector("v", allocator);
          case LARGE_STRING -> new LargeVarCharVector("v", allocator);
        };
    vector.allocateNew();
    for (int i = 0; i < length; i++) {
      if (random.nextInt(3) == 0) {
        vector.setNull(i);
        continue;
      }
      byte[] text = new byte[random.nextInt(30)];
      random.nextBytes(text);
      switch (kind) {
        case INT -> ((IntVector) vector).setSafe(i, random.nextInt());
        case LONG -> ((BigIntVector) vector).setSafe(i, random.nextLong());
        case DOUBLE -> ((Float8Vector) vector).setSafe(i, random.nextDouble());
        case BOOLEAN -> ((BitVector) vector).setSafe(i, random.nextInt(2));
        case DECIMAL ->
            ((DecimalVector) vector).setSafe(i, BigDecimal.valueOf(random.nextInt(1_000_000), 2));
        case DATE -> ((DateDayVector) vector).setSafe(i, random.nextInt(30_000));
        case TIMESTAMP -> ((TimeStampMicroTZVector) vector).setSafe(i, random.nextLong());
        case STRING -> ((VarCharVector) vector).setSafe(i, text);
        case LARGE_STRING -> ((LargeVarCharVector) vector).setSafe(i, text);
      }
    }
    vector.setValueCount(length);
    return vector;
  }
}
