package dev.trueno.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.simd.scalar.ScalarBackend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The GPU hash group-by equals the scalar backend's (as multisets of rows, and in fact in the same
 * first-seen order) on seeded random data: 1 and 2 int/bigint keys with nulls, few and many groups,
 * several batches, empty input, extreme values with wrapping and ANSI SUM. Skipped with the
 * discovery reason where no GPU can be used; failing instead under {@code
 * -Dtrueno.requireGpu=true}.
 *
 * <p>Input columns: k1 int, k2 bigint, x int, y bigint (all nullable).
 */
@Tag("gpu")
class GpuGroupedAggregateTest {
  private static final List<Field> INPUT =
      List.of(
          new Field("k1", DataType.INT, true),
          new Field("k2", DataType.LONG, true),
          new Field("x", DataType.INT, true),
          new Field("y", DataType.LONG, true));
  private static final ColumnRef K1 = new ColumnRef(0, DataType.INT, "k1");
  private static final ColumnRef K2 = new ColumnRef(1, DataType.LONG, "k2");
  private static final ColumnRef X = new ColumnRef(2, DataType.INT, "x");
  private static final ColumnRef Y = new ColumnRef(3, DataType.LONG, "y");

  private CudaDevice device;
  private BufferAllocator allocator;
  private DeviceMemoryPool pool;

  @BeforeEach
  void open() {
    device = GpuTests.deviceOrSkip();
    allocator = new RootAllocator(4L << 30);
    pool = DeviceMemoryPool.create(device, "test", 2L << 30);
  }

  @AfterEach
  void close() {
    if (allocator != null) {
      allocator.close();
    }
    if (pool != null) {
      pool.close(); // fails the test on a device memory leak
    }
  }

  // ---- helpers ----

  private static AggregateCall call(AggregateFunction f, ColumnRef arg, boolean ansi) {
    return GpuTests.call(f, arg, ansi);
  }

  /** Every function the GPU group-by runs, over both value columns, grouped by {@code keys}. */
  private static AggregatePlan plan(List<ColumnRef> keys, AggregateMode mode, boolean ansi) {
    List<AggregateCall> calls = new ArrayList<>();
    calls.add(call(AggregateFunction.COUNT_STAR, null, ansi));
    for (ColumnRef v : List.of(X, Y)) {
      calls.add(call(AggregateFunction.COUNT, v, ansi));
      calls.add(call(AggregateFunction.SUM, v, ansi));
      calls.add(call(AggregateFunction.MIN, v, ansi));
      calls.add(call(AggregateFunction.MAX, v, ansi));
    }
    return new AggregatePlan(
        INPUT,
        List.<Expr>copyOf(keys),
        keys.stream().map(ColumnRef::name).toList(),
        calls,
        mode,
        List.of(),
        List.of());
  }

  /** One input row: k1, k2, x, y (Integer, Long, Integer, Long or null). */
  private record Row(Integer k1, Long k2, Integer x, Long y) {}

  /** How random rows are drawn. */
  private record Shape(int groups, double nullRate, boolean extremes) {}

  private static Row randomRow(Random random, Shape shape) {
    Integer k1 =
        random.nextDouble() < shape.nullRate
            ? null
            : random.nextInt(shape.groups) - shape.groups / 2;
    Long k2 =
        random.nextDouble() < shape.nullRate
            ? null
            : (long) random.nextInt(Math.max(1, shape.groups / 7 + 1)) * 1_000_000_007L;
    Integer x = random.nextDouble() < shape.nullRate ? null : randomInt(random, shape.extremes);
    Long y = random.nextDouble() < shape.nullRate ? null : randomLong(random, shape.extremes);
    return new Row(k1, k2, x, y);
  }

  private static int randomInt(Random random, boolean extremes) {
    return switch (extremes ? random.nextInt(4) : 3) {
      case 0 -> Integer.MAX_VALUE;
      case 1 -> Integer.MIN_VALUE;
      default -> random.nextInt(2001) - 1000;
    };
  }

  private static long randomLong(Random random, boolean extremes) {
    return switch (extremes ? random.nextInt(4) : 3) {
      case 0 -> Long.MAX_VALUE;
      case 1 -> Long.MIN_VALUE;
      default -> random.nextInt(2_000_001) - 1_000_000L;
    };
  }

  private static List<List<Row>> randomBatches(
      Random random, Shape shape, int batchCount, int maxRows) {
    List<List<Row>> batches = new ArrayList<>();
    for (int b = 0; b < batchCount; b++) {
      int rows =
          switch (random.nextInt(6)) {
            case 0 -> 0;
            case 1 -> 1;
            default -> random.nextInt(maxRows + 1);
          };
      List<Row> batch = new ArrayList<>(rows);
      for (int r = 0; r < rows; r++) {
        batch.add(randomRow(random, shape));
      }
      batches.add(batch);
    }
    return batches;
  }

  private VectorSchemaRoot batch(List<Row> rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(ArrowSchemas.arrowSchema(INPUT), allocator);
    root.allocateNew();
    IntVector k1 = (IntVector) root.getVector(0);
    BigIntVector k2 = (BigIntVector) root.getVector(1);
    IntVector x = (IntVector) root.getVector(2);
    BigIntVector y = (BigIntVector) root.getVector(3);
    for (int r = 0; r < rows.size(); r++) {
      Row row = rows.get(r);
      if (row.k1 == null) {
        k1.setNull(r);
      } else {
        k1.setSafe(r, row.k1);
      }
      if (row.k2 == null) {
        k2.setNull(r);
      } else {
        k2.setSafe(r, row.k2);
      }
      if (row.x == null) {
        x.setNull(r);
      } else {
        x.setSafe(r, row.x);
      }
      if (row.y == null) {
        y.setNull(r);
      } else {
        y.setSafe(r, row.y);
      }
    }
    root.setRowCount(rows.size());
    return root;
  }

  /** The result rows in output order, or the error's code and message. */
  private List<List<Object>> run(Backend backend, AggregatePlan plan, List<List<Row>> batches) {
    List<List<Object>> out = new ArrayList<>();
    try (Aggregator agg = backend.createAggregator(plan, allocator)) {
      long rows = 0;
      for (List<Row> rowsOfBatch : batches) {
        try (VectorSchemaRoot b = batch(rowsOfBatch)) {
          agg.consume(b);
        }
        rows += rowsOfBatch.size();
      }
      assertThat(agg.inputRows()).isEqualTo(rows);
      VectorSchemaRoot result;
      while ((result = agg.nextResult(1000)) != null) {
        try (VectorSchemaRoot r = result) {
          assertThat(r.getRowCount()).isBetween(1, 1000);
          for (int row = 0; row < r.getRowCount(); row++) {
            List<Object> values = new ArrayList<>();
            for (FieldVector v : r.getFieldVectors()) {
              values.add(v.isNull(row) ? null : v.getObject(row));
            }
            out.add(values);
          }
        }
      }
    } catch (TruenoException e) {
      out.add(List.of("error " + e.code() + ": " + e.getMessage()));
    }
    return out;
  }

  private static Map<List<Object>, Integer> multiset(List<List<Object>> rows) {
    Map<List<Object>, Integer> counts = new HashMap<>();
    for (List<Object> row : rows) {
      counts.merge(row, 1, Integer::sum);
    }
    return counts;
  }

  private void assertSameAsScalar(AggregatePlan plan, List<List<Row>> batches, long seed) {
    assertThat(new GpuBackend(pool).unsupportedReason(plan)).isNull();
    List<List<Object>> expected = run(new ScalarBackend(), plan, batches);
    List<List<Object>> actual = run(new GpuBackend(pool), plan, batches);
    String what =
        String.format(
            "seed %d, keys %s, %s ansi=%s, %d batches",
            seed, plan.groupingNames(), plan.mode(), plan.calls().get(0).ansi(), batches.size());
    assertThat(actual).as(what + ": group count").hasSameSizeAs(expected);
    assertThat(multiset(actual)).as(what).isEqualTo(multiset(expected));
    assertThat(pool.usedBytes()).as("device memory after the aggregator closed").isZero();
  }

  private static final List<List<ColumnRef>> KEY_SETS =
      List.of(List.of(K1), List.of(K2), List.of(K1, K2), List.of(K2, K1));

  // ---- tests ----

  @Test
  void randomBatchesMatchScalarForOneAndTwoKeysEveryModeAndAnsi() {
    for (int round = 0; round < 8; round++) {
      long seed = 1717L + round;
      Random random = new Random(seed);
      Shape shape =
          new Shape(round % 2 == 0 ? 10 : 5000, round % 3 == 0 ? 0.0 : 0.2, round % 4 == 1);
      List<List<Row>> batches = randomBatches(random, shape, 1 + random.nextInt(6), 20_000);
      for (List<ColumnRef> keys : KEY_SETS) {
        for (AggregateMode mode :
            new AggregateMode[] {AggregateMode.COMPLETE, AggregateMode.PARTIAL}) {
          for (boolean ansi : new boolean[] {false, true}) {
            assertSameAsScalar(plan(keys, mode, ansi), batches, seed);
          }
        }
      }
    }
  }

  @Test
  void fewGroupsOverManyRowsAndBatches() {
    Random random = new Random(10);
    Shape shape = new Shape(10, 0.1, false);
    List<List<Row>> batches = new ArrayList<>();
    for (int b = 0; b < 5; b++) {
      List<Row> rows = new ArrayList<>();
      for (int r = 0; r < 200_000 + b; r++) {
        rows.add(randomRow(random, shape));
      }
      batches.add(rows);
    }
    for (List<ColumnRef> keys : KEY_SETS) {
      assertSameAsScalar(plan(keys, AggregateMode.COMPLETE, true), batches, 10);
    }
  }

  @Test
  void manyGroups() {
    for (int rows : new int[] {100_000, 1_000_000}) {
      Random random = new Random(rows);
      Shape shape = new Shape(rows / 2, 0.05, false);
      List<Row> batch = new ArrayList<>(rows);
      for (int r = 0; r < rows; r++) {
        batch.add(randomRow(random, shape));
      }
      // The same rows again as a second batch: every group is merged across batches.
      List<List<Row>> batches = List.of(batch, batch.subList(0, rows / 3));
      assertSameAsScalar(plan(List.of(K1), AggregateMode.COMPLETE, false), batches, rows);
      assertSameAsScalar(plan(List.of(K1, K2), AggregateMode.PARTIAL, true), batches, rows);
    }
  }

  @Test
  void distinctKeysEveryRowAndAllNullKeys() {
    List<Row> distinct = new ArrayList<>();
    List<Row> nullKeys = new ArrayList<>();
    for (int r = 0; r < 300_000; r++) {
      distinct.add(new Row(r, (long) -r, r % 7 == 0 ? null : r, (long) r * r));
      nullKeys.add(new Row(null, null, r, r % 5 == 0 ? null : (long) r));
    }
    for (List<ColumnRef> keys : KEY_SETS) {
      assertSameAsScalar(plan(keys, AggregateMode.COMPLETE, false), List.of(distinct), 0);
      assertSameAsScalar(plan(keys, AggregateMode.PARTIAL, true), List.of(nullKeys, distinct), 0);
    }
  }

  @Test
  void noRowsGiveNoGroups() {
    for (List<ColumnRef> keys : KEY_SETS) {
      for (AggregateMode mode :
          new AggregateMode[] {AggregateMode.COMPLETE, AggregateMode.PARTIAL}) {
        assertSameAsScalar(plan(keys, mode, false), List.of(), 0);
        assertSameAsScalar(plan(keys, mode, false), List.of(List.of(), List.of()), 0);
        assertThat(run(new GpuBackend(pool), plan(keys, mode, false), List.of())).isEmpty();
      }
    }
  }

  @Test
  void extremeValuesWrapWithoutAnsi() {
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < 10_000; r++) {
      long y = r % 3 == 0 ? Long.MAX_VALUE : r % 3 == 1 ? Long.MIN_VALUE : Long.MAX_VALUE - r;
      int x = r % 2 == 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE;
      rows.add(new Row(r % 4, (long) (r % 3), x, y));
    }
    for (List<ColumnRef> keys : KEY_SETS) {
      assertSameAsScalar(plan(keys, AggregateMode.COMPLETE, false), List.of(rows, rows), 0);
    }
  }

  @Test
  void ansiOverflowRaisesTheScalarErrorOnlyWhenRowOrderOverflows() {
    // Group 1: MAX + 1 - 1 overflows in row order although the total fits.
    List<Row> overflowThenBack =
        List.of(
            new Row(1, 1L, 0, Long.MAX_VALUE),
            new Row(2, 2L, 0, Long.MAX_VALUE),
            new Row(1, 1L, 0, 1L),
            new Row(1, 1L, 0, -1L));
    // Near the edges but never beyond: the GPU must not raise what the scalar backend does not.
    List<Row> fits =
        List.of(
            new Row(1, 1L, 0, Long.MAX_VALUE),
            new Row(1, 1L, 0, -1L),
            new Row(1, 1L, 0, 1L),
            new Row(2, 2L, 0, Long.MIN_VALUE),
            new Row(2, 2L, 0, 5L),
            new Row(null, null, 0, Long.MIN_VALUE + 1),
            new Row(null, null, 0, -1L));
    for (List<ColumnRef> keys : KEY_SETS) {
      for (boolean ansi : new boolean[] {false, true}) {
        AggregatePlan p = plan(keys, AggregateMode.COMPLETE, ansi);
        assertSameAsScalar(p, List.of(overflowThenBack), 0);
        assertSameAsScalar(p, List.of(fits), 0);
        // Overflow across batches: each batch alone fits.
        assertSameAsScalar(
            p,
            List.of(List.of(new Row(3, 3L, 0, Long.MAX_VALUE)), List.of(new Row(3, 3L, 0, 1L))),
            0);
      }
      List<List<Object>> gpu =
          run(
              new GpuBackend(pool),
              plan(keys, AggregateMode.PARTIAL, true),
              List.of(overflowThenBack));
      assertThat(gpu).hasSize(1);
      assertThat(gpu.get(0).get(0).toString())
          .startsWith("error ARITHMETIC_OVERFLOW: ")
          .contains("long overflow. Use 'try_add'");
    }
    // Int SUM is a long sum: 2^31 - 1 twice does not overflow.
    List<Row> ints =
        List.of(new Row(1, 1L, Integer.MAX_VALUE, 0L), new Row(1, 1L, Integer.MAX_VALUE, 0L));
    assertSameAsScalar(plan(List.of(K1), AggregateMode.COMPLETE, true), List.of(ints), 0);
  }

  @Test
  void randomExtremesUnderAnsiMatchScalarIncludingTheError() {
    for (int round = 0; round < 6; round++) {
      long seed = 31L + round;
      Random random = new Random(seed);
      // Few extremes among small values: some seeds overflow, some do not.
      List<List<Row>> batches = new ArrayList<>();
      for (int b = 0; b < 3; b++) {
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < 5_000; r++) {
          Row row = randomRow(random, new Shape(50, 0.1, false));
          if (random.nextInt(2000) == 0) {
            row =
                new Row(
                    row.k1, row.k2, row.x, random.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE);
          }
          rows.add(row);
        }
        batches.add(rows);
      }
      for (List<ColumnRef> keys : KEY_SETS) {
        assertSameAsScalar(plan(keys, AggregateMode.COMPLETE, true), batches, seed);
      }
    }
  }

  @Test
  void sameInputGivesTheSameRowsInTheSameOrderOnEveryRun() {
    Random random = new Random(5);
    List<List<Row>> batches = randomBatches(random, new Shape(20_000, 0.1, true), 4, 100_000);
    for (List<ColumnRef> keys : List.of(List.of(K1), List.of(K1, K2))) {
      AggregatePlan p = plan(keys, AggregateMode.PARTIAL, false);
      List<List<Object>> first = run(new GpuBackend(pool), p, batches);
      // Groups come out in first-seen order, exactly as the scalar backend's.
      assertThat(first).isEqualTo(run(new ScalarBackend(), p, batches));
      for (int i = 0; i < 4; i++) {
        assertThat(run(new GpuBackend(pool), p, batches)).isEqualTo(first);
      }
    }
  }

  @Test
  void aTableTooLargeForThePoolFinishesOnTheCpuWithTheSameAnswer() {
    // 24 MiB holds the first tables and the transfers, not the table of 50k groups x 17
    // accumulators: the aggregation switches to the CPU in the middle of the input.
    try (DeviceMemoryPool small = DeviceMemoryPool.create(device, "small", 24L << 20)) {
      Random random = new Random(24);
      Shape shape = new Shape(50_000, 0.1, true);
      List<Row> rows = new ArrayList<>();
      for (int r = 0; r < 200_003; r++) {
        rows.add(randomRow(random, shape));
      }
      for (boolean ansi : new boolean[] {false, true}) {
        AggregatePlan p = plan(List.of(K1, K2), AggregateMode.PARTIAL, ansi);
        List<List<Row>> batches =
            List.of(rows.subList(0, 20_000), rows.subList(20_000, 200_003), rows.subList(5, 1005));
        List<List<Object>> expected = run(new ScalarBackend(), p, batches);
        // Same order too: the CPU continues from the GPU's groups in first-row order.
        GpuBackend gpu =
            new GpuBackend(small, dev.trueno.gpu.GpuSettings.DEFAULTS.withMorselBytes(1 << 20));
        assertThat(run(gpu, p, batches)).as("ansi=%s", ansi).isEqualTo(expected);
        assertThat(allocator.getAllocatedMemory()).as("Arrow memory, ansi=%s", ansi).isZero();
        assertThat(small.peakBytes()).isLessThanOrEqualTo(24L << 20);
        assertThat(small.usedBytes()).isZero();
      }
    }
  }

  @Test
  void poolTooSmallEvenForTheSmallestPieceIsATypedErrorNamingTheBudget() {
    try (DeviceMemoryPool tiny = DeviceMemoryPool.create(device, "tiny", 64 << 10)) {
      List<Row> rows = new ArrayList<>();
      for (int r = 0; r < 100_000; r++) {
        rows.add(new Row(r, (long) r, r, (long) r));
      }
      AggregatePlan p = plan(List.of(K1), AggregateMode.COMPLETE, false);
      assertThatThrownBy(
              () -> {
                try (Aggregator agg = new GpuBackend(tiny).createAggregator(p, allocator);
                    VectorSchemaRoot b = batch(rows)) {
                  agg.consume(b);
                }
              })
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining("MEMORY_EXHAUSTED")
          .hasMessageContaining("budget of 65536 bytes");
      assertThat(tiny.usedBytes()).isZero();
    }
  }
}
