package dev.trueno.benchmarks.jmh;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.simd.vector.VectorBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Grouped aggregation ({@code SELECT k, SUM(v), COUNT(*), MIN(x), MAX(x) GROUP BY k}) over 10
 * million rows in 64K-row Arrow batches, with 1e2, 1e5 and 1e7 groups, on the scalar and the SIMD
 * backend, through the Backend SPI as the Spark operator calls it. Keys arrive in random order.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx6g"})
public class HashAggregateBenchmark {
  private static final int ROWS = 10_000_000;
  private static final int BATCH_ROWS = 65_536;

  @Param({"100", "100000", "10000000"})
  public int groups;

  @Param({"scalar", "simd"})
  public String backend;

  private BufferAllocator allocator;
  private final List<VectorSchemaRoot> batches = new ArrayList<>();
  private AggregatePlan plan;
  private Backend engine;

  /** Builds the batches once per parameter combination. */
  @Setup(Level.Trial)
  public void setUp() {
    allocator = new RootAllocator(Long.MAX_VALUE);
    List<Field> input =
        List.of(
            new Field("k", DataType.LONG, true),
            new Field("v", DataType.LONG, true),
            new Field("x", DataType.DOUBLE, true));
    Schema schema = dev.trueno.core.arrow.ArrowSchemas.arrowSchema(input);
    SplittableRandom random = new SplittableRandom(42);
    for (int start = 0; start < ROWS; start += BATCH_ROWS) {
      int n = Math.min(BATCH_ROWS, ROWS - start);
      VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
      root.getFieldVectors().forEach(vector -> vector.setInitialCapacity(n));
      root.allocateNew();
      BigIntVector k = (BigIntVector) root.getVector(0);
      BigIntVector v = (BigIntVector) root.getVector(1);
      Float8Vector x = (Float8Vector) root.getVector(2);
      for (int i = 0; i < n; i++) {
        k.set(i, random.nextInt(groups));
        v.set(i, random.nextLong(1_000_000));
        x.set(i, random.nextDouble());
      }
      root.setRowCount(n);
      batches.add(root);
    }
    Expr k = new ColumnRef(0, DataType.LONG, "k");
    Expr v = new ColumnRef(1, DataType.LONG, "v");
    Expr x = new ColumnRef(2, DataType.DOUBLE, "x");
    plan =
        new AggregatePlan(
            input,
            List.of(k),
            List.of("k"),
            List.of(
                call(AggregateFunction.SUM, v, DataType.LONG),
                call(AggregateFunction.COUNT_STAR, null, DataType.LONG),
                call(AggregateFunction.MIN, x, DataType.DOUBLE),
                call(AggregateFunction.MAX, x, DataType.DOUBLE)),
            AggregateMode.COMPLETE,
            List.of(),
            List.of());
    engine = backend.equals("simd") ? new VectorBackend() : new ScalarBackend();
  }

  private static AggregateCall call(AggregateFunction f, Expr argument, DataType result) {
    DataType argumentType = argument == null ? DataType.LONG : argument.type();
    return new AggregateCall(f, argument, argumentType, result, List.of(), null, false);
  }

  /** Aggregates every batch and reads every result batch; returns the number of groups. */
  @Benchmark
  public long aggregate() {
    long groupsOut = 0;
    try (Aggregator aggregator = engine.createAggregator(plan, allocator)) {
      for (VectorSchemaRoot batch : batches) {
        aggregator.consume(batch);
      }
      VectorSchemaRoot result;
      while ((result = aggregator.nextResult(BATCH_ROWS)) != null) {
        groupsOut += result.getRowCount();
        result.close();
      }
    }
    return groupsOut;
  }

  /** Frees the batches; the allocator's close checks for leaks. */
  @TearDown(Level.Trial)
  public void tearDown() {
    batches.forEach(VectorSchemaRoot::close);
    batches.clear();
    allocator.close();
  }
}
