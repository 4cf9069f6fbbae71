package dev.trueno.simd.vector;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.scalar.ScalarBackend;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A quick side-by-side timing (not a benchmark, no assertion) of grouped SUM(long) over 10M rows
 * with 1e2, 1e5 and 1e7 groups, SIMD vs scalar. Run with {@code -Dtrueno.timing=true}; JMH
 * benchmarks belong in benchmarks/.
 */
@EnabledIfSystemProperty(named = "trueno.timing", matches = "true")
class GroupedSumTiming {
  private static final int ROWS = 10_000_000;
  private static final int BATCH = 8192;

  @Test
  void printGroupedSumTimings() {
    List<Field> input =
        List.of(new Field("k", DataType.LONG, true), new Field("x", DataType.LONG, true));
    AggregatePlan plan =
        new AggregatePlan(
            input,
            List.of(new ColumnRef(0, DataType.LONG, "k")),
            List.of("k"),
            List.of(
                new AggregateCall(
                    AggregateFunction.SUM,
                    new ColumnRef(1, DataType.LONG, "x"),
                    DataType.LONG,
                    DataType.LONG,
                    List.of(),
                    null,
                    false)),
            AggregateMode.COMPLETE,
            List.of(),
            List.of());
    try (BufferAllocator allocator = new RootAllocator()) {
      for (long groups : new long[] {100, 100_000, 10_000_000}) {
        List<VectorSchemaRoot> batches = batches(allocator, input, groups);
        try {
          double simd = Double.MAX_VALUE;
          double scalar = Double.MAX_VALUE;
          for (int rep = 0; rep < 2; rep++) {
            simd = Math.min(simd, time(new VectorBackend(), plan, batches, allocator));
            scalar = Math.min(scalar, time(new ScalarBackend(), plan, batches, allocator));
          }
          System.out.printf(
              "grouped SUM, %,d rows, %,d groups: simd %.0f ms, scalar %.0f ms, ratio %.1fx%n",
              ROWS, groups, simd, scalar, scalar / simd);
        } finally {
          batches.forEach(VectorSchemaRoot::close);
        }
      }
    }
  }

  private static List<VectorSchemaRoot> batches(
      BufferAllocator allocator, List<Field> input, long groups) {
    List<VectorSchemaRoot> out = new ArrayList<>();
    for (int from = 0; from < ROWS; from += BATCH) {
      int n = Math.min(BATCH, ROWS - from);
      VectorSchemaRoot root =
          VectorSchemaRoot.create(dev.trueno.core.arrow.ArrowSchemas.arrowSchema(input), allocator);
      BigIntVector k = (BigIntVector) root.getVector(0);
      BigIntVector x = (BigIntVector) root.getVector(1);
      k.allocateNew(n);
      x.allocateNew(n);
      for (int i = 0; i < n; i++) {
        long r = from + i;
        // A scattered key order, so that consecutive rows hit different groups.
        k.set(i, (r * 0x9E3779B1L) % groups);
        x.set(i, r);
      }
      root.setRowCount(n);
      out.add(root);
    }
    return out;
  }

  private static double time(
      Backend backend, AggregatePlan plan, List<VectorSchemaRoot> batches, BufferAllocator a) {
    long start = System.nanoTime();
    long rows = 0;
    try (Aggregator agg = backend.createAggregator(plan, a)) {
      for (VectorSchemaRoot b : batches) {
        agg.consume(b);
      }
      VectorSchemaRoot r;
      while ((r = agg.nextResult(8192)) != null) {
        rows += r.getRowCount();
        r.close();
      }
    }
    if (rows == 0) {
      throw new AssertionError("no output");
    }
    return (System.nanoTime() - start) / 1e6;
  }
}
