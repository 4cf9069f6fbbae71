package dev.trueno.benchmarks.jmh;

import dev.trueno.simd.vector.kernels.Reductions;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float8Vector;
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
 * What Spark's row-order double SUM costs: the ordered kernel (the only one that matches Spark) vs
 * the lane-parallel kernel that reorders additions (not usable for results).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
public class DoubleSumOrderBenchmark {

  @Param({"0.0", "0.1"})
  public double nullFraction;

  @Param({"1000000"})
  public int rows;

  private BufferAllocator allocator;
  private Float8Vector column;

  @Setup(Level.Trial)
  public void setUp() {
    allocator = new RootAllocator();
    Random random = new Random(42);
    column = new Float8Vector("x", allocator);
    column.allocateNew(rows);
    for (int r = 0; r < rows; r++) {
      column.set(r, random.nextGaussian());
      if (random.nextDouble() < nullFraction) {
        column.setNull(r);
      }
    }
    column.setValueCount(rows);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    column.close();
    allocator.close();
  }

  /** Row order: Spark's result. */
  @Benchmark
  public Object ordered() {
    return Reductions.sumDouble(column, null, 0.0);
  }

  /** Lane-parallel: reordered additions, benchmark only. */
  @Benchmark
  public Object reordered() {
    return Reductions.sumDoubleReordered(column, null);
  }
}
