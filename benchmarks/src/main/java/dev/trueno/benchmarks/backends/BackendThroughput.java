package dev.trueno.benchmarks.backends;

import dev.trueno.core.arrow.ArrowSchemas;
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
import dev.trueno.gpu.GpuBackend;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.simd.vector.VectorBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Grouped aggregation throughput of each backend on the same data, through the Backend SPI as the
 * Spark operator calls it: {@code SELECT k, SUM(v), COUNT(*), MIN(v), MAX(v) GROUP BY k} over
 * bigint columns in 1M-row Arrow batches, keys uniform over the groups in random order. Prints rows
 * per second (best of the measured repeats, after one warm-up) and the ratios.
 *
 * <p>Usage: {@code BackendThroughput ROWS GROUPS[,GROUPS...] BACKEND[,BACKEND...] REPEATS}, with
 * backends among {@code scalar}, {@code simd}, {@code gpu}.
 */
public final class BackendThroughput {
  private static final int BATCH_ROWS = 1 << 20;

  private BackendThroughput() {}

  /**
   * Runs the measurement.
   *
   * @param args rows, comma-separated group counts, comma-separated backends, repeats
   */
  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: BackendThroughput ROWS GROUPS[,GROUPS...] BACKENDS REPEATS");
      System.exit(2);
    }
    long rows = Long.parseLong(args[0]);
    String[] groupCounts = args[1].split(",");
    String[] backends = args[2].split(",");
    int repeats = Integer.parseInt(args[3]);
    System.out.printf(
        Locale.ROOT, "%-10s %-8s %14s %10s%n", "groups", "backend", "rows/s", "best ms");
    try (BufferAllocator allocator = new RootAllocator(Long.MAX_VALUE)) {
      for (String g : groupCounts) {
        long groups = Long.parseLong(g);
        List<VectorSchemaRoot> batches = data(allocator, rows, groups);
        try {
          for (String name : backends) {
            Backend backend = backend(name);
            if (backend.unavailableReason() != null) {
              System.out.println(name + " unavailable: " + backend.unavailableReason());
              continue;
            }
            long best = Long.MAX_VALUE;
            for (int i = 0; i <= repeats; i++) {
              long start = System.nanoTime();
              long out = run(backend, batches, allocator);
              long elapsed = System.nanoTime() - start;
              if (out > groups) {
                throw new IllegalStateException(name + " returned " + out + " groups");
              }
              if (i > 0) {
                best = Math.min(best, elapsed);
              }
            }
            System.out.printf(
                Locale.ROOT,
                "%-10d %-8s %14.0f %10.1f%n",
                groups,
                name,
                rows / (best / 1e9),
                best / 1e6);
          }
        } finally {
          batches.forEach(VectorSchemaRoot::close);
        }
      }
    }
  }

  private static Backend backend(String name) {
    return switch (name) {
      case "scalar" -> new ScalarBackend();
      case "simd" -> new VectorBackend();
      case "gpu" -> new GpuBackend();
      default -> throw new IllegalArgumentException("unknown backend " + name);
    };
  }

  private static List<VectorSchemaRoot> data(BufferAllocator allocator, long rows, long groups) {
    List<Field> fields =
        List.of(new Field("k", DataType.LONG, true), new Field("v", DataType.LONG, true));
    SplittableRandom random = new SplittableRandom(7);
    List<VectorSchemaRoot> batches = new ArrayList<>();
    for (long start = 0; start < rows; start += BATCH_ROWS) {
      int n = (int) Math.min(BATCH_ROWS, rows - start);
      VectorSchemaRoot root = VectorSchemaRoot.create(ArrowSchemas.arrowSchema(fields), allocator);
      root.getFieldVectors().forEach(v -> v.setInitialCapacity(n));
      root.allocateNew();
      BigIntVector k = (BigIntVector) root.getVector(0);
      BigIntVector v = (BigIntVector) root.getVector(1);
      for (int i = 0; i < n; i++) {
        k.set(i, random.nextLong(groups));
        v.set(i, random.nextLong(1_000_000));
      }
      root.setRowCount(n);
      batches.add(root);
    }
    return batches;
  }

  private static long run(Backend backend, List<VectorSchemaRoot> batches, BufferAllocator alloc) {
    Expr k = new ColumnRef(0, DataType.LONG, "k");
    Expr v = new ColumnRef(1, DataType.LONG, "v");
    AggregatePlan plan =
        new AggregatePlan(
            List.of(new Field("k", DataType.LONG, true), new Field("v", DataType.LONG, true)),
            List.of(k),
            List.of("k"),
            List.of(
                call(AggregateFunction.SUM, v),
                call(AggregateFunction.COUNT_STAR, null),
                call(AggregateFunction.MIN, v),
                call(AggregateFunction.MAX, v)),
            AggregateMode.COMPLETE,
            List.of(),
            List.of());
    long groupsOut = 0;
    try (Aggregator aggregator = backend.createAggregator(plan, alloc)) {
      for (VectorSchemaRoot batch : batches) {
        // A slice shares the buffers: the GPU backend may take the slice's over, and the batch
        // stays readable for the next backend and repeat (every backend gets the same treatment).
        try (VectorSchemaRoot view = batch.slice(0, batch.getRowCount())) {
          aggregator.consume(view);
        }
      }
      VectorSchemaRoot result;
      while ((result = aggregator.nextResult(BATCH_ROWS)) != null) {
        groupsOut += result.getRowCount();
        result.close();
      }
    }
    return groupsOut;
  }

  private static AggregateCall call(AggregateFunction f, Expr argument) {
    return new AggregateCall(f, argument, DataType.LONG, DataType.LONG, List.of(), null, false);
  }
}
