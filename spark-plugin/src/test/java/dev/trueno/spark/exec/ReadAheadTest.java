package dev.trueno.spark.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The read-ahead that sizes a partition before its backend is chosen: it hands out every batch, in
 * order, with its rows and its "converted" flag, counts only the priced columns, stops at the
 * limit, and frees what it read when closed early.
 */
class ReadAheadTest {
  private static final Schema SCHEMA =
      new Schema(
          List.of(
              new Field("k", FieldType.nullable(new ArrowType.Int(32, true)), null),
              new Field("v", FieldType.nullable(new ArrowType.Int(64, true)), null)));

  private BufferAllocator allocator;

  @BeforeEach
  void open() {
    allocator = new RootAllocator(64L << 20);
  }

  @AfterEach
  void close() {
    allocator.close(); // fails on a leak
  }

  /** An input like ArrowInput's: one reused root, refilled with {@code rows} rows per batch. */
  private ArrowInput.Batches input(int batches, int rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
    return new ArrowInput.Batches(root) {
      int next;

      @Override
      public boolean hasNext() {
        return next < batches;
      }

      @Override
      public VectorSchemaRoot next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        IntVector k = (IntVector) root.getVector(0);
        BigIntVector v = (BigIntVector) root.getVector(1);
        k.reset();
        v.reset();
        for (int i = 0; i < rows; i++) {
          k.setSafe(i, next * rows + i);
          v.setSafe(i, (long) (next * rows + i) * 3);
        }
        root.setRowCount(rows);
        converted = next % 2 == 0;
        next++;
        return root;
      }
    };
  }

  private static List<Long> drain(ArrowInput.Batches in, List<Boolean> converted) {
    List<Long> firstValues = new ArrayList<>();
    while (in.hasNext()) {
      VectorSchemaRoot b = in.next();
      BigIntVector v = (BigIntVector) b.getVector(1);
      firstValues.add(v.get(0));
      assertThat(v.get(b.getRowCount() - 1)).isEqualTo(v.get(0) + 3L * (b.getRowCount() - 1));
      converted.add(in.lastBatchConverted());
    }
    return firstValues;
  }

  @Test
  void handsOutEveryBatchInOrderWithItsConvertedFlag() {
    List<Boolean> converted = new ArrayList<>();
    try (ReadAhead ahead = ReadAhead.of(input(6, 1000), allocator, 20_000, List.of(1))) {
      // 1000 bigints are 8000 data bytes (plus validity): the limit is reached after 3 batches.
      assertThat(ahead.complete()).isFalse();
      assertThat(ahead.bytes()).isGreaterThanOrEqualTo(20_000).isLessThan(30_000);
      assertThat(ahead.bytes(List.of(0))).isLessThan(ahead.bytes(List.of(1)));
      assertThat(drain(ahead, converted)).containsExactly(0L, 3000L, 6000L, 9000L, 12000L, 15000L);
    }
    assertThat(converted).containsExactly(true, false, true, false, true, false);
  }

  @Test
  void aShortInputIsReadCompletely() {
    try (ReadAhead ahead = ReadAhead.of(input(2, 100), allocator, 1L << 20, null)) {
      assertThat(ahead.complete()).isTrue();
      assertThat(ahead.bytes()).isEqualTo(ahead.bytes(List.of(0, 1)));
      assertThat(drain(ahead, new ArrayList<>())).containsExactly(0L, 300L);
      assertThatThrownBy(ahead::next).isInstanceOf(NoSuchElementException.class);
    }
  }

  @Test
  void closingBeforeReadingFreesTheBatchesReadAhead() {
    ReadAhead ahead = ReadAhead.of(input(5, 1000), allocator, 1L << 20, null);
    assertThat(allocator.getAllocatedMemory()).isPositive();
    ahead.close();
    assertThat(allocator.getAllocatedMemory()).isZero();
  }
}
