package dev.trueno.core.morsel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.TestColumns.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Worked examples of the pager's cutting, ownership and error rules; each test is a leak check. */
class MorselPagerTest {
  private BufferAllocator root;
  private BufferAllocator producer;
  private BufferAllocator pagerMemory;
  private final List<Morsel> morsels = new ArrayList<>();

  @BeforeEach
  void openAllocators() {
    root = new RootAllocator();
    producer = root.newChildAllocator("producer", 0, Long.MAX_VALUE);
    pagerMemory = root.newChildAllocator("pager", 0, Long.MAX_VALUE);
  }

  @AfterEach
  void closeAllocators() {
    morsels.forEach(Morsel::close);
    pagerMemory.close();
    producer.close();
    root.close();
  }

  @Test
  void morselSpansBatchesAndEndsInsideOne() {
    // 4 ints cost 4 * 4 + 1 validity byte = 17; 1 int costs 5. A budget of 40 takes 4 + 4 + 1.
    try (VectorSchemaRoot batch = TestColumns.root(producer, List.of(Type.INT));
        MorselPager pager = new MorselPager(pagerMemory, List.of(0), 40)) {
      for (int b = 0; b < 3; b++) {
        TestColumns.fill(batch, ints(b * 4, 4));
        morsels.addAll(pager.add(batch));
      }
      pager.flush().ifPresent(morsels::add);
    }
    assertThat(morsels).hasSize(2);
    Morsel first = morsels.get(0);
    assertThat(first.slices())
        .extracting(s -> List.of(s.batch(), (long) s.fromRow(), (long) s.rowCount(), s.byteSize()))
        .containsExactly(
            List.of(0L, 0L, 4L, 17L), List.of(1L, 0L, 4L, 17L), List.of(2L, 0L, 1L, 5L));
    assertThat(first.byteSize()).isEqualTo(39);
    assertThat(TestColumns.rows(first)).isEqualTo(ints(0, 9));
    assertThat(morsels.get(1).slices())
        .extracting(s -> List.of(s.batch(), (long) s.fromRow(), (long) s.rowCount()))
        .containsExactly(List.of(2L, 1L, 3L));
    assertThat(TestColumns.rows(morsels.get(1))).isEqualTo(ints(9, 3));
  }

  @Test
  void singleRowLargerThanTheBudgetIsAMorselOfItsOwn() {
    String big = "x".repeat(1000);
    try (VectorSchemaRoot batch = TestColumns.root(producer, List.of(Type.STRING));
        MorselPager pager = new MorselPager(pagerMemory, List.of(0), 50)) {
      TestColumns.fill(batch, List.of(List.of("a"), List.of(big), List.of("b")));
      morsels.addAll(pager.add(batch));
      pager.flush().ifPresent(morsels::add);
    }
    assertThat(morsels).extracting(Morsel::rowCount).containsExactly(1, 1, 1);
    // One validity byte, two 4-byte offsets and the string's bytes.
    assertThat(morsels.get(1).byteSize()).isEqualTo(1 + 8 + 1000);
    assertThat(TestColumns.rows(morsels.get(1))).containsExactly(List.of(big));
  }

  @Test
  void rowsOfEarlierBatchesSurviveTheProducerRefillingItsRoot() {
    try (VectorSchemaRoot batch = TestColumns.root(producer, List.of(Type.INT));
        MorselPager pager = new MorselPager(pagerMemory, List.of(0), 1 << 20)) {
      TestColumns.fill(batch, ints(0, 10));
      assertThat(pager.add(batch)).isEmpty();
      assertThat(pager.pendingRows()).isEqualTo(10);
      TestColumns.fill(batch, ints(100, 10));
      assertThat(pager.add(batch)).isEmpty();
      morsels.add(pager.flush().orElseThrow());
    }
    List<List<Object>> expected = new ArrayList<>(ints(0, 10));
    expected.addAll(ints(100, 10));
    assertThat(TestColumns.rows(morsels.get(0))).isEqualTo(expected);
  }

  @Test
  void onlyTheNeededColumnsAreTakenFromTheBatch() {
    try (VectorSchemaRoot batch = TestColumns.root(producer, List.of(Type.INT, Type.LONG));
        MorselPager pager = new MorselPager(pagerMemory, List.of(1), 1 << 20)) {
      TestColumns.fill(batch, List.of(List.of(7, 70L), List.of(8, 80L)));
      pager.add(batch);
      assertThat(batch.getVector(0).getValueCount()).isEqualTo(2);
      assertThat(TestColumns.value(batch.getVector(0), 1)).isEqualTo(8);
      assertThat(batch.getVector(1).getValueCount()).isZero();
      morsels.add(pager.flush().orElseThrow());
    }
    assertThat(TestColumns.rows(morsels.get(0))).containsExactly(List.of(70L), List.of(80L));
    assertThat(pagerMemory.getAllocatedMemory()).isPositive();
  }

  @Test
  void emptyBatchesProduceNothingAndKeepTheirColumns() {
    try (VectorSchemaRoot batch = TestColumns.root(producer, List.of(Type.STRING));
        MorselPager pager = new MorselPager(pagerMemory, List.of(0), 1)) {
      TestColumns.fill(batch, List.of());
      assertThat(pager.add(batch)).isEmpty();
      assertThat(pager.flush()).isEmpty();
      assertThat(pagerMemory.getAllocatedMemory()).isZero();
      assertThat(producer.getAllocatedMemory()).isPositive();
    }
  }

  @Test
  void withoutNeededColumnsRowsCostNothingAndOnlyTheRowLimitCuts() {
    try (VectorSchemaRoot batch = TestColumns.root(producer, List.of(Type.INT));
        MorselPager pager = new MorselPager(pagerMemory, List.of(), 1, 4)) {
      TestColumns.fill(batch, ints(0, 10));
      morsels.addAll(pager.add(batch));
      pager.flush().ifPresent(morsels::add);
    }
    assertThat(morsels).extracting(Morsel::rowCount).containsExactly(4, 4, 2);
    assertThat(morsels).extracting(Morsel::byteSize).containsOnly(0L);
  }

  @Test
  void closingThePagerDropsPendingRowsButNotReturnedMorsels() {
    try (VectorSchemaRoot batch = TestColumns.root(producer, List.of(Type.LONG))) {
      MorselPager pager = new MorselPager(pagerMemory, List.of(0), 100);
      TestColumns.fill(
          batch, IntStream.range(0, 30).mapToObj(i -> List.<Object>of((long) i)).toList());
      morsels.addAll(pager.add(batch));
      assertThat(pager.pendingRows()).isPositive();
      pager.close();
      pager.close();
      assertThat(pagerMemory.getAllocatedMemory()).isPositive();
      assertThat(TestColumns.rows(morsels.get(0)).get(0)).containsExactly(0L);
      assertThatThrownBy(() -> pager.add(batch))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
    }
    morsels.forEach(Morsel::close);
    morsels.forEach(Morsel::close); // closing twice is harmless
    assertThat(pagerMemory.getAllocatedMemory()).isZero();
  }

  @Test
  void nonPositiveBudgetIsAConfigErrorNamingTheKey() {
    assertThatThrownBy(() -> new MorselPager(pagerMemory, List.of(0), 0))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("spark.trueno.morselBytes")
        .hasMessageContaining("got 0")
        .satisfies(
            e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.INVALID_CONFIG));
  }

  @Test
  void repeatedOrdinalsAreRejected() {
    assertThatThrownBy(() -> new MorselPager(pagerMemory, List.of(1, 1), 10))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("distinct")
        .hasMessageContaining("[1, 1]");
  }

  @Test
  void ordinalOutsideTheBatchIsRejectedAndNothingIsTaken() {
    try (VectorSchemaRoot batch = TestColumns.root(producer, List.of(Type.INT));
        MorselPager pager = new MorselPager(pagerMemory, List.of(0, 3), 10)) {
      TestColumns.fill(batch, ints(0, 5));
      assertThatThrownBy(() -> pager.add(batch))
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining("column 3")
          .hasMessageContaining("only 1 columns");
      assertThat(batch.getVector(0).getValueCount()).isEqualTo(5);
      assertThat(pagerMemory.getAllocatedMemory()).isZero();
    }
  }

  @Test
  void nestedColumnIsUnsupportedAndNothingIsTaken() {
    try (IntVector ints = new IntVector("id", producer);
        ListVector tags = ListVector.empty("tags", producer)) {
      ints.allocateNew(2);
      ints.setSafe(0, 1);
      ints.setSafe(1, 2);
      ints.setValueCount(2);
      tags.allocateNew();
      tags.setValueCount(2);
      try (VectorSchemaRoot batch = new VectorSchemaRoot(List.<FieldVector>of(ints, tags));
          MorselPager pager = new MorselPager(pagerMemory, List.of(0, 1), 10)) {
        assertThatThrownBy(() -> pager.add(batch))
            .isInstanceOf(TruenoException.class)
            .hasMessageContaining("tags")
            .satisfies(
                e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.UNSUPPORTED));
        assertThat(ints.getValueCount()).isEqualTo(2);
      }
    }
  }

  /** {@code count} one-int rows counting up from {@code start}. */
  private static List<List<Object>> ints(int start, int count) {
    return IntStream.range(start, start + count).mapToObj(i -> List.<Object>of(i)).toList();
  }
}
