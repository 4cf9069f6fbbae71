package dev.trueno.benchmarks.jmh;

import dev.trueno.core.expr.And;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.expr.Literal;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.vector.kernels.Bitmaps;
import dev.trueno.simd.vector.kernels.Filters;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The filter {@code a >= 10 AND b < 0.5 AND c = 3} (a int, b double, c bigint) over 1M rows,
 * counting the rows it keeps: Vector API kernels vs the scalar reference backend ({@code COUNT(*)
 * FILTER (WHERE ...)} through its public Aggregator) vs a plain loop over the vectors' getters.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class FilterBenchmark {

  @Param({"0.0", "0.1"})
  public double nullFraction;

  @Param({"1000000"})
  public int rows;

  private BufferAllocator allocator;
  private IntVector a;
  private Float8Vector b;
  private BigIntVector c;
  private VectorSchemaRoot batch;
  private AggregatePlan plan;
  private long[][] scratch;

  @Setup(Level.Trial)
  public void setUp() {
    allocator = new RootAllocator();
    Random random = new Random(42);
    a = new IntVector("a", allocator);
    b = new Float8Vector("b", allocator);
    c = new BigIntVector("c", allocator);
    a.allocateNew(rows);
    b.allocateNew(rows);
    c.allocateNew(rows);
    for (int r = 0; r < rows; r++) {
      a.set(r, random.nextInt(20));
      b.set(r, random.nextDouble());
      c.set(r, random.nextInt(10));
      if (random.nextDouble() < nullFraction) {
        a.setNull(r);
      }
      if (random.nextDouble() < nullFraction) {
        b.setNull(r);
      }
      if (random.nextDouble() < nullFraction) {
        c.setNull(r);
      }
    }
    a.setValueCount(rows);
    b.setValueCount(rows);
    c.setValueCount(rows);
    batch = VectorSchemaRoot.of(a, b, c);
    batch.setRowCount(rows);
    Expr predicate =
        new And(
            new And(
                new Comparison(
                    ComparisonOp.GREATER_THAN_OR_EQUAL,
                    new ColumnRef(0, DataType.INT, "a"),
                    new Literal(10L, DataType.INT)),
                new Comparison(
                    ComparisonOp.LESS_THAN,
                    new ColumnRef(1, DataType.DOUBLE, "b"),
                    new Literal(0.5, DataType.DOUBLE))),
            new Comparison(
                ComparisonOp.EQUAL,
                new ColumnRef(2, DataType.LONG, "c"),
                new Literal(3L, DataType.LONG)));
    AggregateCall count =
        new AggregateCall(
            AggregateFunction.COUNT_STAR,
            null,
            DataType.LONG,
            DataType.LONG,
            List.of(),
            predicate,
            false);
    plan =
        BenchmarkBatches.globalAggregate(
            List.of(
                new Field("a", DataType.INT, true),
                new Field("b", DataType.DOUBLE, true),
                new Field("c", DataType.LONG, true)),
            count);
    scratch = new long[7][Bitmaps.words(rows)];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    batch.close();
    allocator.close();
  }

  /** Vector API comparisons into (value, valid) bitmaps, SQL AND of the pairs, then a count. */
  @Benchmark
  public long simd() {
    long[][] s = scratch;
    Filters.compareInt(a, ComparisonOp.GREATER_THAN_OR_EQUAL, 10, s[0], s[1]);
    Filters.compareDouble(b, ComparisonOp.LESS_THAN, 0.5, s[2], s[3]);
    Filters.and(s[0], s[1], s[2], s[3], s[0], s[1], rows);
    Filters.compareLong(c, ComparisonOp.EQUAL, 3, s[2], s[3]);
    Filters.and(s[0], s[1], s[2], s[3], s[0], s[1], rows);
    Filters.selection(s[0], s[1], s[4], rows);
    return Bitmaps.count(s[4], rows);
  }

  /** The scalar reference backend: COUNT(*) FILTER (WHERE predicate), row by row. */
  @Benchmark
  public Object scalar() {
    return BenchmarkBatches.runScalar(plan, batch, allocator);
  }

  /** A plain Java loop over the vectors' getters (a NULL comparison keeps no row). */
  @Benchmark
  public long loop() {
    long n = 0;
    for (int r = 0; r < rows; r++) {
      if (!a.isNull(r)
          && a.get(r) >= 10
          && !b.isNull(r)
          && b.get(r) < 0.5
          && !c.isNull(r)
          && c.get(r) == 3) {
        n++;
      }
    }
    return n;
  }
}
