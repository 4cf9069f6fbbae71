package dev.trueno.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.simd.scalar.ScalarBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU global aggregates equal the scalar backend's, bit for bit, on seeded random data with nulls,
 * NaN, -0.0, extremes, empty and one-row batches and many batches. Skipped with the discovery
 * reason where no GPU can be used; failing instead under {@code -Dtrueno.requireGpu=true}.
 */
@Tag("gpu")
class GpuGlobalAggregateTest {
  private static final DataType[] TYPES = {DataType.INT, DataType.LONG, DataType.DOUBLE};
  private static final long NAN_PAYLOAD = 0x7ff8_0000_0000_0001L;

  private CudaDevice device;
  private BufferAllocator allocator;
  private DeviceMemoryPool pool;

  // Checked per test (discovery is cached) so that every test reports itself skipped, with the
  // reason, where no GPU can be used.
  @BeforeEach
  void open() {
    device = GpuTests.deviceOrSkip();
    allocator = new RootAllocator(512L << 20);
    pool = DeviceMemoryPool.create(device, "test", 256L << 20);
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

  /** Every function this slice runs over a column of {@code type}. */
  private static AggregatePlan planFor(DataType type, AggregateMode mode, boolean ansi) {
    ColumnRef x = new ColumnRef(0, type, "x");
    List<AggregateCall> calls = new ArrayList<>();
    calls.add(call(AggregateFunction.COUNT_STAR, null, ansi));
    calls.add(call(AggregateFunction.COUNT, x, ansi));
    calls.add(call(AggregateFunction.MIN, x, ansi));
    calls.add(call(AggregateFunction.MAX, x, ansi));
    if (type.kind() != TypeKind.DOUBLE) {
      calls.add(call(AggregateFunction.SUM, x, ansi));
      calls.add(call(AggregateFunction.AVG, x, ansi));
    }
    return new AggregatePlan(
        List.of(new Field("x", type, true)),
        List.of(),
        List.of(),
        calls,
        mode,
        List.of(),
        List.of());
  }

  /**
   * COUNT(*), COUNT, SUM and AVG of an integer column: no MIN or MAX reads it, so the aggregator
   * runs the lean {@code global_sum_*} kernel over it.
   */
  private static AggregatePlan sumPlanFor(DataType type, AggregateMode mode, boolean ansi) {
    ColumnRef x = new ColumnRef(0, type, "x");
    List<AggregateCall> calls =
        List.of(
            call(AggregateFunction.COUNT_STAR, null, ansi),
            call(AggregateFunction.COUNT, x, ansi),
            call(AggregateFunction.SUM, x, ansi),
            call(AggregateFunction.AVG, x, ansi));
    return new AggregatePlan(
        List.of(new Field("x", type, true)),
        List.of(),
        List.of(),
        calls,
        mode,
        List.of(),
        List.of());
  }

  private static Object randomValue(
      Random random, DataType type, double nullRate, boolean extremes) {
    if (random.nextDouble() < nullRate) {
      return null;
    }
    int pick = random.nextInt(extremes ? 12 : 10);
    return switch (type.kind()) {
      case INT ->
          pick == 10
              ? Integer.MAX_VALUE
              : pick == 11 ? Integer.MIN_VALUE : random.nextInt(2001) - 1000;
      case LONG ->
          pick == 10
              ? Long.MAX_VALUE
              : pick == 11 ? Long.MIN_VALUE : random.nextInt(2_000_001) - 1_000_000L;
      default ->
          switch (random.nextInt(14)) {
            case 0 -> Double.NaN;
            case 1 -> Double.longBitsToDouble(NAN_PAYLOAD);
            case 2 -> -0.0;
            case 3 -> 0.0;
            case 4 -> Double.POSITIVE_INFINITY;
            case 5 -> Double.NEGATIVE_INFINITY;
            case 6 -> extremes ? Double.MAX_VALUE : 1.5;
            case 7 -> extremes ? -Double.MAX_VALUE : -1.5;
            case 8 -> Double.MIN_VALUE;
            default -> random.nextGaussian() * 1e6;
          };
    };
  }

  private VectorSchemaRoot batch(DataType type, List<Object> values) {
    VectorSchemaRoot root =
        VectorSchemaRoot.create(
            ArrowSchemas.arrowSchema(List.of(new Field("x", type, true))), allocator);
    root.allocateNew();
    FieldVector v = root.getVector(0);
    for (int r = 0; r < values.size(); r++) {
      Object value = values.get(r);
      if (value == null) {
        v.setNull(r);
      } else if (v instanceof IntVector i) {
        i.setSafe(r, (Integer) value);
      } else if (v instanceof BigIntVector l) {
        l.setSafe(r, (Long) value);
      } else {
        ((Float8Vector) v).setSafe(r, (Double) value);
      }
    }
    root.setRowCount(values.size());
    return root;
  }

  /** The result rows, or the error's code and message, so that ANSI overflows compare too. */
  private List<Object> run(
      Backend backend, AggregatePlan plan, DataType type, List<List<Object>> batches) {
    List<Object> out = new ArrayList<>();
    try (Aggregator agg = backend.createAggregator(plan, allocator)) {
      for (List<Object> values : batches) {
        try (VectorSchemaRoot b = batch(type, values)) {
          agg.consume(b);
        }
      }
      VectorSchemaRoot result;
      while ((result = agg.nextResult(4)) != null) {
        try (VectorSchemaRoot r = result) {
          for (int row = 0; row < r.getRowCount(); row++) {
            for (FieldVector v : r.getFieldVectors()) {
              Object o = v.isNull(row) ? null : v.getObject(row);
              // Raw bits, so that -0.0 vs 0.0 and NaN payloads must match too.
              out.add(
                  o instanceof Double d
                      ? "double:" + Long.toHexString(Double.doubleToRawLongBits(d))
                      : o);
            }
          }
        }
      }
    } catch (TruenoException e) {
      out.add("error " + e.code() + ": " + e.getMessage());
    }
    return out;
  }

  private void assertSameAsScalar(
      AggregatePlan plan, DataType type, List<List<Object>> batches, long seed) {
    assertThat(new GpuBackend(pool).unsupportedReason(plan)).isNull();
    List<Object> expected = run(new ScalarBackend(), plan, type, batches);
    List<Object> actual = run(new GpuBackend(pool), plan, type, batches);
    assertThat(actual)
        .as(
            "seed %d, %s %s ansi=%s, %d batches",
            seed, type, plan.mode(), plan.calls().get(0).ansi(), batches.size())
        .isEqualTo(expected);
    assertThat(pool.usedBytes()).as("device memory after the aggregator closed").isZero();
  }

  private static List<List<Object>> randomBatches(
      Random random,
      DataType type,
      int batchCount,
      int maxRows,
      double nullRate,
      boolean extremes) {
    List<List<Object>> batches = new ArrayList<>();
    for (int b = 0; b < batchCount; b++) {
      int rows =
          switch (random.nextInt(6)) {
            case 0 -> 0;
            case 1 -> 1;
            default -> random.nextInt(maxRows + 1);
          };
      List<Object> values = new ArrayList<>(rows);
      for (int r = 0; r < rows; r++) {
        values.add(randomValue(random, type, nullRate, extremes));
      }
      batches.add(values);
    }
    return batches;
  }

  // ---- tests ----

  @Test
  void randomBatchesMatchScalarForEveryTypeModeAndAnsi() {
    for (int round = 0; round < 12; round++) {
      long seed = 4242L + round;
      Random random = new Random(seed);
      for (DataType type : TYPES) {
        List<List<Object>> batches =
            randomBatches(
                random,
                type,
                1 + random.nextInt(8),
                5000,
                round % 3 == 0 ? 0.0 : 0.3,
                round % 2 == 1);
        for (AggregateMode mode :
            new AggregateMode[] {AggregateMode.COMPLETE, AggregateMode.PARTIAL}) {
          for (boolean ansi : new boolean[] {false, true}) {
            assertSameAsScalar(planFor(type, mode, ansi), type, batches, seed);
          }
        }
      }
    }
  }

  @Test
  void countSumAndAvgWithoutMinMaxMatchScalarThroughTheLeanKernel() {
    for (int round = 0; round < 12; round++) {
      long seed = 5151L + round;
      Random random = new Random(seed);
      for (DataType type : new DataType[] {DataType.INT, DataType.LONG}) {
        List<List<Object>> batches =
            randomBatches(
                random,
                type,
                1 + random.nextInt(8),
                round < 2 ? 300_000 : 5000,
                round % 3 == 0 ? 0.0 : round % 3 == 1 ? 0.3 : 1.0,
                round % 2 == 1);
        for (AggregateMode mode :
            new AggregateMode[] {AggregateMode.COMPLETE, AggregateMode.PARTIAL}) {
          for (boolean ansi : new boolean[] {false, true}) {
            assertSameAsScalar(sumPlanFor(type, mode, ansi), type, batches, seed);
          }
        }
      }
    }
    // ANSI overflow in row order, and AVG handing over to Spark's row-order double sum.
    List<Object> big = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      big.add((1L << 53) + 2L * i + 1);
      big.add(-(1L << 52) - i);
    }
    for (boolean ansi : new boolean[] {false, true}) {
      for (List<List<Object>> batches :
          List.<List<List<Object>>>of(
              List.of(List.of(Long.MAX_VALUE, 1L, -1L)),
              List.of(List.of(Long.MAX_VALUE, -1L, 1L)),
              List.of(List.of(Long.MAX_VALUE), List.of(1L)),
              List.of(List.of(5L, 3L), big, big))) {
        assertSameAsScalar(
            sumPlanFor(DataType.LONG, AggregateMode.COMPLETE, ansi), DataType.LONG, batches, 0);
      }
    }
  }

  @Test
  void noRowsGiveInitialBuffersAndNullResults() {
    for (DataType type : TYPES) {
      for (AggregateMode mode :
          new AggregateMode[] {AggregateMode.COMPLETE, AggregateMode.PARTIAL}) {
        assertSameAsScalar(planFor(type, mode, false), type, List.of(), 0);
        assertSameAsScalar(planFor(type, mode, false), type, List.of(List.of(), List.of()), 0);
        if (type.kind() != TypeKind.DOUBLE) {
          assertSameAsScalar(sumPlanFor(type, mode, false), type, List.of(List.of(), List.of()), 0);
        }
      }
    }
  }

  @Test
  void allNullsAndOneRow() {
    List<Object> nulls = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      nulls.add(null);
    }
    for (DataType type : TYPES) {
      Object one =
          type.kind() == TypeKind.INT
              ? (Object) 7
              : type.kind() == TypeKind.LONG ? (Object) 7L : (Object) (-0.0);
      assertSameAsScalar(planFor(type, AggregateMode.COMPLETE, false), type, List.of(nulls), 1);
      assertSameAsScalar(
          planFor(type, AggregateMode.COMPLETE, false), type, List.of(List.of(one)), 1);
      assertSameAsScalar(
          planFor(type, AggregateMode.PARTIAL, false),
          type,
          List.of(nulls, List.of(one), nulls),
          1);
    }
  }

  @Test
  void largeBatchesSpanManyBlocks() {
    Random random = new Random(99);
    for (DataType type : TYPES) {
      // 3M rows: 1024 blocks of about 3000 rows, unaligned to bytes of the validity bitmap.
      List<List<Object>> batches = randomBatches(random, type, 1, 0, 0.1, false);
      batches.set(0, new ArrayList<>());
      for (int r = 0; r < 3_000_003; r++) {
        batches.get(0).add(randomValue(random, type, 0.1, r % 100_000 == 0));
      }
      batches.add(List.of());
      batches.add(batches.get(0).subList(0, 12_345));
      assertSameAsScalar(planFor(type, AggregateMode.COMPLETE, false), type, batches, 99);
      assertSameAsScalar(planFor(type, AggregateMode.PARTIAL, true), type, batches, 99);
    }
  }

  @Test
  void minAndMaxKeepTheFirstOfEqualValuesLikeSpark() {
    double nan2 = Double.longBitsToDouble(NAN_PAYLOAD);
    List<Object> zeros = new ArrayList<>();
    List<Object> nans = new ArrayList<>();
    for (int i = 0; i < 50_000; i++) {
      zeros.add(i % 2 == 0 ? 0.0 : -0.0);
      nans.add(i % 3 == 0 ? Double.NaN : nan2);
    }
    List<Object> negFirst = new ArrayList<>(zeros.subList(1, zeros.size()));
    negFirst.add(0.0);
    for (List<List<Object>> batches :
        List.<List<List<Object>>>of(
            List.of(zeros),
            List.of(negFirst),
            List.of(nans),
            List.<List<Object>>of(List.of(1.0), nans.subList(1, 100), nans))) {
      assertSameAsScalar(
          planFor(DataType.DOUBLE, AggregateMode.COMPLETE, false), DataType.DOUBLE, batches, 0);
    }
  }

  @Test
  void integerSumWrapsAndAnsiOverflowMatchesSparkOrder() {
    // MAX + 1 - 1 overflows in row order under ANSI although the total fits.
    List<Object> overflowThenBack = List.of(Long.MAX_VALUE, 1L, -1L);
    List<Object> fits = List.of(Long.MAX_VALUE, -1L, 1L);
    for (boolean ansi : new boolean[] {false, true}) {
      assertSameAsScalar(
          planFor(DataType.LONG, AggregateMode.COMPLETE, ansi),
          DataType.LONG,
          List.of(overflowThenBack),
          0);
      assertSameAsScalar(
          planFor(DataType.LONG, AggregateMode.COMPLETE, ansi), DataType.LONG, List.of(fits), 0);
      assertSameAsScalar(
          planFor(DataType.LONG, AggregateMode.COMPLETE, ansi),
          DataType.LONG,
          List.of(List.of(Long.MAX_VALUE), List.of(1L)),
          0);
    }
  }

  @Test
  void avgOfLargeIntegersFollowsSparksRowOrderDoubleSum() {
    // Beyond 2^53 the double sum rounds, so the GPU's exact sum must hand over to row order.
    List<Object> big = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      big.add((1L << 53) + 2L * i + 1);
      big.add(-(1L << 52) - i);
    }
    assertSameAsScalar(
        planFor(DataType.LONG, AggregateMode.COMPLETE, false),
        DataType.LONG,
        List.of(List.of(5L, 3L), big, big),
        0);
    assertSameAsScalar(
        planFor(DataType.LONG, AggregateMode.PARTIAL, false),
        DataType.LONG,
        List.of(big, List.of(1L)),
        0);
  }

  @Test
  void sameInputGivesSameBitsOnEveryRun() {
    Random random = new Random(7);
    List<List<Object>> batches = randomBatches(random, DataType.DOUBLE, 4, 100_000, 0.2, true);
    AggregatePlan plan = planFor(DataType.DOUBLE, AggregateMode.COMPLETE, false);
    List<Object> first = run(new GpuBackend(pool), plan, DataType.DOUBLE, batches);
    for (int i = 0; i < 5; i++) {
      assertThat(run(new GpuBackend(pool), plan, DataType.DOUBLE, batches)).isEqualTo(first);
    }
  }

  @Test
  void exhaustedPoolIsATypedErrorNamingTheBudget() {
    try (DeviceMemoryPool tiny = DeviceMemoryPool.create(device, "tiny", 1024)) {
      List<Object> values = new ArrayList<>();
      for (int i = 0; i < 10_000; i++) {
        values.add((long) i);
      }
      AggregatePlan plan = planFor(DataType.LONG, AggregateMode.COMPLETE, false);
      assertThatThrownBy(
              () -> {
                try (Aggregator agg = new GpuBackend(tiny).createAggregator(plan, allocator);
                    VectorSchemaRoot b = batch(DataType.LONG, values)) {
                  agg.consume(b);
                }
              })
          .isInstanceOf(TruenoException.class)
          .hasMessageContaining("MEMORY_EXHAUSTED")
          .hasMessageContaining("budget of 1024 bytes");
      assertThat(tiny.usedBytes()).isZero();
    }
  }

  @Test
  void discoveredDeviceDescribesItself() {
    assertThat(new GpuBackend().unavailableReason()).isNull();
    assertThat(device.computeCapability())
        .isGreaterThanOrEqualTo(CudaDevice.MIN_COMPUTE_CAPABILITY);
    assertThat(device.toString()).contains("compute capability").contains(device.name());
    long[] memory = device.memoryInfo();
    assertThat(memory[0]).isPositive().isLessThanOrEqualTo(memory[1]);
  }

  @Test
  void deviceIsUsableFromSeveralThreads() throws Exception {
    Random random = new Random(11);
    List<List<Object>> batches = randomBatches(random, DataType.LONG, 3, 50_000, 0.2, false);
    AggregatePlan plan = planFor(DataType.LONG, AggregateMode.COMPLETE, false);
    List<Object> expected = run(new ScalarBackend(), plan, DataType.LONG, batches);
    List<Thread> threads = new ArrayList<>();
    List<Object> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < 4; t++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 5; i++) {
                    List<Object> got = run(new GpuBackend(pool), plan, DataType.LONG, batches);
                    if (!got.equals(expected)) {
                      failures.add(got);
                    }
                  }
                } catch (Throwable e) {
                  failures.add(e);
                }
              });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertThat(failures).isEmpty();
    assertThat(pool.usedBytes()).isZero();
  }
}
