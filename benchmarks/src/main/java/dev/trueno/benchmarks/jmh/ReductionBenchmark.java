package dev.trueno.benchmarks.jmh;

import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.vector.kernels.Reductions;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
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
 * SUM, MIN and MAX over one Arrow column of 1M rows: the Vector API kernel vs the scalar reference
 * backend (a keyless aggregate through its public Aggregator) vs a plain loop over the vector's
 * getters. All three give Spark's result (the double SUM kernel adds in row order).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class ReductionBenchmark {

  @Param({"INT", "LONG", "DOUBLE"})
  public String type;

  @Param({"SUM", "MIN", "MAX"})
  public String op;

  @Param({"0.0", "0.1"})
  public double nullFraction;

  @Param({"1000000"})
  public int rows;

  private BufferAllocator allocator;
  private BaseFixedWidthVector column;
  private VectorSchemaRoot batch;
  private AggregatePlan plan;

  @Setup(Level.Trial)
  public void setUp() {
    allocator = new RootAllocator();
    Random random = new Random(42);
    DataType dataType;
    switch (type) {
      case "INT" -> {
        IntVector v = new IntVector("x", allocator);
        v.allocateNew(rows);
        for (int r = 0; r < rows; r++) {
          v.set(r, random.nextInt(1_000_000) - 500_000);
        }
        column = v;
        dataType = DataType.INT;
      }
      case "LONG" -> {
        BigIntVector v = new BigIntVector("x", allocator);
        v.allocateNew(rows);
        for (int r = 0; r < rows; r++) {
          v.set(r, random.nextLong() >> 20);
        }
        column = v;
        dataType = DataType.LONG;
      }
      default -> {
        Float8Vector v = new Float8Vector("x", allocator);
        v.allocateNew(rows);
        for (int r = 0; r < rows; r++) {
          v.set(r, random.nextGaussian());
        }
        column = v;
        dataType = DataType.DOUBLE;
      }
    }
    for (int r = 0; r < rows; r++) {
      if (random.nextDouble() < nullFraction) {
        column.setNull(r);
      }
    }
    column.setValueCount(rows);
    batch = VectorSchemaRoot.of(column);
    batch.setRowCount(rows);
    AggregateFunction function = AggregateFunction.valueOf(op);
    DataType resultType =
        function == AggregateFunction.SUM
            ? (dataType == DataType.DOUBLE ? DataType.DOUBLE : DataType.LONG)
            : dataType;
    plan =
        BenchmarkBatches.globalAggregate(
            List.of(new Field("x", dataType, true)),
            BenchmarkBatches.call(function, new ColumnRef(0, dataType, "x"), resultType));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    batch.close();
    allocator.close();
  }

  /** The Vector API kernel. */
  @Benchmark
  public Object simd() {
    return switch (type) {
      case "INT" ->
          switch (op) {
            case "SUM" -> Reductions.sumInt(column, null, 0, false);
            case "MIN" -> Reductions.minInt(column, null);
            default -> Reductions.maxInt(column, null);
          };
      case "LONG" ->
          switch (op) {
            case "SUM" -> Reductions.sumLong(column, null, 0, false);
            case "MIN" -> Reductions.minLong(column, null);
            default -> Reductions.maxLong(column, null);
          };
      default ->
          switch (op) {
            case "SUM" -> Reductions.sumDouble(column, null, 0.0);
            case "MIN" -> Reductions.minDouble(column, null);
            default -> Reductions.maxDouble(column, null);
          };
    };
  }

  /** The scalar reference backend, row by row through its public Aggregator API. */
  @Benchmark
  public Object scalar() {
    return BenchmarkBatches.runScalar(plan, batch, allocator);
  }

  /** A plain Java loop over the Arrow vector's getters, with Spark's semantics. */
  @Benchmark
  public Object loop() {
    int n = column.getValueCount();
    boolean max = op.equals("MAX");
    boolean sum = op.equals("SUM");
    switch (type) {
      case "INT" -> {
        IntVector v = (IntVector) column;
        long acc = sum ? 0 : (max ? Long.MIN_VALUE : Long.MAX_VALUE);
        for (int r = 0; r < n; r++) {
          if (!v.isNull(r)) {
            int x = v.get(r);
            acc = sum ? acc + x : (max ? Math.max(acc, x) : Math.min(acc, x));
          }
        }
        return acc;
      }
      case "LONG" -> {
        BigIntVector v = (BigIntVector) column;
        long acc = sum ? 0 : (max ? Long.MIN_VALUE : Long.MAX_VALUE);
        for (int r = 0; r < n; r++) {
          if (!v.isNull(r)) {
            long x = v.get(r);
            acc = sum ? acc + x : (max ? Math.max(acc, x) : Math.min(acc, x));
          }
        }
        return acc;
      }
      default -> {
        Float8Vector v = (Float8Vector) column;
        double acc = 0.0;
        boolean any = false;
        for (int r = 0; r < n; r++) {
          if (!v.isNull(r)) {
            double x = v.get(r);
            if (sum) {
              acc += x;
            } else if (!any) {
              acc = x;
            } else {
              int cmp = x == acc ? 0 : Double.compare(x, acc);
              if (max ? cmp > 0 : cmp < 0) {
                acc = x;
              }
            }
            any = true;
          }
        }
        return acc;
      }
    }
  }
}
