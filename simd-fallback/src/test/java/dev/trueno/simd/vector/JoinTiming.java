package dev.trueno.simd.vector;

import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Comparison;
import dev.trueno.core.expr.ComparisonOp;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.simd.scalar.ScalarBackend;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A quick side-by-side timing (not a benchmark, no assertion) of 1M x 1M hash joins on a long key
 * with a long payload per side, SIMD vs scalar. Run with {@code -Dtrueno.timing=true} (and
 * optionally {@code -Dtrueno.timing.rows=N}, {@code -Dtrueno.timing.scalar=false}); JMH benchmarks
 * belong in benchmarks/.
 */
@EnabledIfSystemProperty(named = "trueno.timing", matches = "true")
class JoinTiming {
  private static final int ROWS = Integer.getInteger("trueno.timing.rows", 1_000_000);
  private static final int BATCH = 8192;
  private static final boolean SCALAR =
      Boolean.parseBoolean(System.getProperty("trueno.timing.scalar", "true"));
  private static final List<Field> SIDE =
      List.of(new Field("k", DataType.LONG, true), new Field("v", DataType.LONG, true));

  @Test
  void printJoinTimings() {
    Expr condition =
        new Comparison(
            ComparisonOp.LESS_THAN,
            new ColumnRef(1, DataType.LONG, "l.v"),
            new ColumnRef(3, DataType.LONG, "r.v"));
    for (JoinType type : List.of(JoinType.INNER, JoinType.LEFT_OUTER, JoinType.LEFT_SEMI)) {
      for (Expr c : new Expr[] {null, condition}) {
        JoinPlan plan =
            new JoinPlan(
                type,
                BuildSide.RIGHT,
                SIDE,
                SIDE,
                List.of(new ColumnRef(0, DataType.LONG, "k")),
                List.of(new ColumnRef(0, DataType.LONG, "k")),
                c);
        long simd = time(new VectorBackend(), plan);
        long scalar = SCALAR ? time(new ScalarBackend(), plan) : -1;
        System.out.printf(
            "%s%s %,d x %,d: simd %d ms, scalar %d ms, %.1fx%n",
            type,
            c == null ? "" : " with condition",
            ROWS,
            ROWS,
            simd,
            scalar,
            (double) scalar / simd);
      }
    }
  }

  private static long time(Backend backend, JoinPlan plan) {
    long best = Long.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      try (BufferAllocator allocator = new RootAllocator()) {
        long start = System.nanoTime();
        long out = 0;
        try (JoinBuild build = backend.createJoinBuild(plan, allocator, Long.MAX_VALUE)) {
          Random random = new Random(1);
          for (int from = 0; from < ROWS; from += BATCH) {
            try (VectorSchemaRoot b = batch(allocator, random, Math.min(BATCH, ROWS - from))) {
              build.add(b);
            }
          }
          build.finish();
          try (JoinProbe probe = backend.createJoinProbe(plan, build, allocator)) {
            for (int from = 0; from < ROWS; from += BATCH) {
              try (VectorSchemaRoot b = batch(allocator, random, Math.min(BATCH, ROWS - from))) {
                probe.probe(b);
                for (VectorSchemaRoot r; (r = probe.next(BATCH)) != null; ) {
                  out += r.getRowCount();
                  r.close();
                }
              }
            }
            for (VectorSchemaRoot r; (r = probe.finish(BATCH)) != null; ) {
              out += r.getRowCount();
              r.close();
            }
          }
        }
        best = Math.min(best, (System.nanoTime() - start) / 1_000_000);
        if (out < 0) {
          throw new AssertionError();
        }
      }
      if (backend instanceof ScalarBackend) {
        break;
      }
    }
    return best;
  }

  private static VectorSchemaRoot batch(BufferAllocator allocator, Random random, int rows) {
    VectorSchemaRoot root =
        VectorSchemaRoot.create(dev.trueno.core.arrow.ArrowSchemas.arrowSchema(SIDE), allocator);
    root.allocateNew();
    BigIntVector k = (BigIntVector) root.getVector(0);
    BigIntVector v = (BigIntVector) root.getVector(1);
    for (int i = 0; i < rows; i++) {
      k.setSafe(i, random.nextInt(ROWS));
      v.setSafe(i, random.nextInt(1000));
    }
    root.setRowCount(rows);
    return root;
  }
}
