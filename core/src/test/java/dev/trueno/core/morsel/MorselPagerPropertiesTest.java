package dev.trueno.core.morsel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.morsel.TestColumns.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.UniqueElements;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.statistics.Statistics;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The pager keeps every row exactly once and in order, within the budget and as full as the budget
 * allows, on random streams of nullable int/long/double/string batches (0-row batches included),
 * random needed columns and budgets small enough to split batches and rows larger than the budget.
 * The producer refills one root, as scans do, while all morsels stay open to the end. Each try's
 * allocators are closed after it: a leak fails it.
 */
class MorselPagerPropertiesTest {
  private BufferAllocator root;
  private BufferAllocator producer;
  private BufferAllocator pagerMemory;

  @BeforeTry
  void openAllocators() {
    root = new RootAllocator();
    producer = root.newChildAllocator("producer", 0, Long.MAX_VALUE);
    pagerMemory = root.newChildAllocator("pager", 0, Long.MAX_VALUE);
  }

  @AfterTry
  void closeAllocators() {
    pagerMemory.close();
    producer.close();
    root.close();
  }

  @Provide
  Arbitrary<List<Type>> types() {
    return Arbitraries.of(Type.class).list().ofMinSize(1).ofMaxSize(5);
  }

  @Provide
  Arbitrary<List<Integer>> batchSizes() {
    return Arbitraries.frequencyOf(
            Tuple.of(2, Arbitraries.just(0)),
            Tuple.of(2, Arbitraries.integers().between(1, 9)),
            Tuple.of(5, Arbitraries.integers().between(0, 700)))
        .list()
        .ofMaxSize(12);
  }

  @Provide
  Arbitrary<Long> budgets() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(1, 64),
        Arbitraries.longs().between(1, 2_000),
        Arbitraries.longs().between(1, 50_000));
  }

  @Property(tries = 300)
  void morselsConcatenateToTheInputWithinTheBudget(
      @ForAll("types") List<Type> types,
      @ForAll @Size(max = 5) @UniqueElements List<@IntRange(min = 0, max = 4) Integer> ordinals,
      @ForAll("batchSizes") List<Integer> batchSizes,
      @ForAll("budgets") long maxBytes,
      @ForAll long seed) {
    List<Integer> needed = ordinals.stream().filter(o -> o < types.size()).toList();
    Random random = new Random(seed);
    double nullRate = random.nextInt(4) / 3.0;
    List<List<Object>> expectedRows = new ArrayList<>();
    List<long[]> expectedPositions = new ArrayList<>();
    List<Morsel> morsels = new ArrayList<>();
    try (VectorSchemaRoot batch = TestColumns.root(producer, types);
        MorselPager pager = new MorselPager(pagerMemory, needed, maxBytes)) {
      for (int b = 0; b < batchSizes.size(); b++) {
        List<List<Object>> rows =
            TestColumns.randomRows(random, types, batchSizes.get(b), nullRate);
        TestColumns.fill(batch, rows);
        for (int r = 0; r < rows.size(); r++) {
          expectedRows.add(TestColumns.project(rows.get(r), needed));
          expectedPositions.add(new long[] {b, r});
        }
        morsels.addAll(pager.add(batch));
      }
      pager.flush().ifPresent(morsels::add);
      assertThat(pager.pendingRows()).isZero();

      List<List<Object>> actualRows = new ArrayList<>();
      List<long[]> actualPositions = new ArrayList<>();
      for (Morsel morsel : morsels) {
        assertThat(morsel.rowCount()).isPositive();
        actualRows.addAll(TestColumns.rows(morsel));
        long bytes = 0;
        int rowCount = 0;
        for (Morsel.Slice slice : morsel.slices()) {
          assertThat(slice.rowCount()).isPositive();
          assertThat(slice.columns()).hasSize(needed.size());
          assertThat(slice.byteSize())
              .isEqualTo(SliceBytes.ofColumns(slice.columns(), slice.fromRow(), slice.rowCount()));
          bytes += slice.byteSize();
          rowCount += slice.rowCount();
          for (int r = 0; r < slice.rowCount(); r++) {
            actualPositions.add(new long[] {slice.batch(), slice.fromRow() + r});
          }
        }
        assertThat(morsel.byteSize()).isEqualTo(bytes);
        assertThat(morsel.rowCount()).isEqualTo(rowCount);
        if (morsel.rowCount() > 1) {
          assertThat(morsel.byteSize()).isLessThanOrEqualTo(maxBytes);
        }
      }
      assertThat(actualPositions).containsExactlyElementsOf(expectedPositions);
      assertThat(actualRows).containsExactlyElementsOf(expectedRows);
      for (int i = 0; i + 1 < morsels.size(); i++) {
        assertThat(morsels.get(i).byteSize() + nextRowBytes(morsels.get(i), morsels.get(i + 1)))
            .as("morsel %d was emitted although the next row fit", i)
            .isGreaterThan(maxBytes);
      }
      collectCoverage(morsels, maxBytes);
    } finally {
      // Morsels outlive the pager and may be closed in any order.
      Collections.shuffle(morsels, random);
      morsels.forEach(Morsel::close);
    }
    assertThat(pagerMemory.getAllocatedMemory()).isZero();
  }

  /** Records which shapes a try produced, and checks over all tries that each shape occurs. */
  private static void collectCoverage(List<Morsel> morsels, long maxBytes) {
    boolean spansBatches = morsels.stream().anyMatch(m -> m.slices().size() > 1);
    boolean oversized = morsels.stream().anyMatch(m -> m.byteSize() > maxBytes);
    boolean splitsABatch = false;
    for (int i = 0; i + 1 < morsels.size(); i++) {
      List<Morsel.Slice> slices = morsels.get(i).slices();
      splitsABatch |=
          slices.get(slices.size() - 1).batch() == morsels.get(i + 1).slices().get(0).batch();
    }
    Statistics.label("spans batches").collect(spansBatches);
    Statistics.label("oversized row").collect(oversized);
    Statistics.label("splits a batch").collect(splitsABatch);
    Statistics.label("spans batches").coverage(c -> c.check(true).percentage(p -> p >= 10));
    Statistics.label("oversized row").coverage(c -> c.check(true).percentage(p -> p >= 5));
    Statistics.label("splits a batch").coverage(c -> c.check(true).percentage(p -> p >= 20));
  }

  /** What the first row of {@code next} would have added to {@code morsel}. */
  private static long nextRowBytes(Morsel morsel, Morsel next) {
    Morsel.Slice last = morsel.slices().get(morsel.slices().size() - 1);
    Morsel.Slice first = next.slices().get(0);
    if (first.batch() == last.batch() && first.fromRow() == last.fromRow() + last.rowCount()) {
      return SliceBytes.ofColumns(last.columns(), last.fromRow(), last.rowCount() + 1)
          - last.byteSize();
    }
    return SliceBytes.ofColumns(first.columns(), first.fromRow(), 1);
  }
}
