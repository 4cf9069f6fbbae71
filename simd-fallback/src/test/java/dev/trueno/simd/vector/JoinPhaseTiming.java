package dev.trueno.simd.vector;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A quick timing (not a benchmark, no assertion) of the SIMD inner hash join's build and probe
 * phases apart, on pre-generated bigint batches (key and payload per side), so that data generation
 * is not timed: unique build keys with probe keys uniform over them (1M x 1M and 1M build x 10M
 * probe), and build keys with about 4 rows each. Run with {@code -Dtrueno.timing=true}; {@code
 * -Dtrueno.timing.build=N}, {@code -Dtrueno.timing.probe=N} and {@code -Dtrueno.timing.rounds=N}
 * change the sizes and repetitions.
 */
@EnabledIfSystemProperty(named = "trueno.timing", matches = "true")
class JoinPhaseTiming {
  private static final int BUILD = Integer.getInteger("trueno.timing.build", 1_000_000);
  private static final int PROBE = Integer.getInteger("trueno.timing.probe", 1_000_000);
  private static final int ROUNDS = Integer.getInteger("trueno.timing.rounds", 5);
  private static final int BATCH = 8192;
  private static final List<Field> SIDE =
      List.of(new Field("k", DataType.LONG, true), new Field("v", DataType.LONG, true));

  @Test
  void printPhaseTimings() {
    JoinPlan plan =
        new JoinPlan(
            JoinType.INNER,
            BuildSide.RIGHT,
            SIDE,
            SIDE,
            List.of(new ColumnRef(0, DataType.LONG, "k")),
            List.of(new ColumnRef(0, DataType.LONG, "k")),
            null);
    try (BufferAllocator allocator = new RootAllocator()) {
      run(allocator, plan, "unique", BUILD, PROBE, 1);
      run(allocator, plan, "unique", BUILD, 10 * PROBE, 1);
      run(allocator, plan, "4 rows/key", BUILD, PROBE, 4);
    }
  }

  private static void run(
      BufferAllocator allocator,
      JoinPlan plan,
      String what,
      int buildRows,
      int probeRows,
      int dup) {
    Random random = new Random(7);
    int keys = buildRows / dup;
    long[] buildKeys = new long[buildRows];
    for (int i = 0; i < buildRows; i++) {
      buildKeys[i] = i % keys;
    }
    for (int i = buildRows - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      long t = buildKeys[i];
      buildKeys[i] = buildKeys[j];
      buildKeys[j] = t;
    }
    long[] probeKeys = new long[probeRows];
    for (int i = 0; i < probeRows; i++) {
      probeKeys[i] = random.nextInt(keys);
    }
    List<VectorSchemaRoot> build = batches(allocator, buildKeys);
    List<VectorSchemaRoot> probe = batches(allocator, probeKeys);
    VectorBackend backend = new VectorBackend();
    long[] buildMs = new long[ROUNDS];
    long[] probeMs = new long[ROUNDS];
    long out = 0;
    try {
      for (int round = 0; round < ROUNDS; round++) {
        long t0 = System.nanoTime();
        try (JoinBuild b = backend.createJoinBuild(plan, allocator, Long.MAX_VALUE)) {
          for (VectorSchemaRoot r : build) {
            // The build takes the batch's buffers over: hand it a copy.
            b.add(copy(allocator, r));
          }
          b.finish();
          long t1 = System.nanoTime();
          out = 0;
          try (JoinProbe p = backend.createJoinProbe(plan, b, allocator)) {
            for (VectorSchemaRoot r : probe) {
              p.probe(r);
              for (VectorSchemaRoot o; (o = p.next(BATCH)) != null; ) {
                out += o.getRowCount();
                o.close();
              }
            }
          }
          long t2 = System.nanoTime();
          buildMs[round] = (t1 - t0) / 1_000_000;
          probeMs[round] = (t2 - t1) / 1_000_000;
        }
      }
    } finally {
      build.forEach(VectorSchemaRoot::close);
      probe.forEach(VectorSchemaRoot::close);
    }
    System.out.printf(
        "TIMING inner %s %,d build x %,d probe -> %,d rows: build ms %s, probe ms %s%n",
        what,
        buildRows,
        probeRows,
        out,
        java.util.Arrays.toString(buildMs),
        java.util.Arrays.toString(probeMs));
  }

  private static VectorSchemaRoot copy(BufferAllocator allocator, VectorSchemaRoot from) {
    VectorSchemaRoot root = VectorSchemaRoot.create(from.getSchema(), allocator);
    int n = from.getRowCount();
    root.allocateNew();
    for (int c = 0; c < 2; c++) {
      ((BigIntVector) root.getVector(c)).allocateNew(n);
      for (int i = 0; i < n; i++) {
        ((BigIntVector) root.getVector(c)).set(i, ((BigIntVector) from.getVector(c)).get(i));
      }
    }
    root.setRowCount(n);
    return root;
  }

  private static List<VectorSchemaRoot> batches(BufferAllocator allocator, long[] keys) {
    List<VectorSchemaRoot> out = new ArrayList<>();
    for (int from = 0; from < keys.length; from += BATCH) {
      int rows = Math.min(BATCH, keys.length - from);
      VectorSchemaRoot root = VectorSchemaRoot.create(ArrowSchemas.arrowSchema(SIDE), allocator);
      BigIntVector k = (BigIntVector) root.getVector(0);
      BigIntVector v = (BigIntVector) root.getVector(1);
      k.allocateNew(rows);
      v.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        k.set(i, keys[from + i]);
        v.set(i, from + i);
      }
      root.setRowCount(rows);
      out.add(root);
    }
    return out;
  }
}
