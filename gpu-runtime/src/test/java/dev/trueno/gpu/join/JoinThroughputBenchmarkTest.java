package dev.trueno.gpu.join;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.GpuTests;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.simd.vector.VectorBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Build + probe throughput of an inner join of 10M probe rows with 1M build rows (int64 keys and
 * one int64 column per side; build keys distinct, probe keys uniform over twice their range, so
 * about half the probe rows match once; batches of 64K rows, output batches of at most 64K rows),
 * on the GPU and on each CPU backend that runs joins, side by side in one JVM; the GPU also with
 * probe batches of 1M rows. Times include building the Arrow output and reading it once. Prints
 * lines starting with {@code BENCH }; asserts only that every backend returns the same row count
 * and key checksum. Runs with {@code -Dtrueno.joinBenchmark=true}.
 */
@Tag("gpu")
@EnabledIfSystemProperty(named = "trueno.joinBenchmark", matches = "true")
class JoinThroughputBenchmarkTest {
  private static final int BUILD_ROWS = 1_000_000;
  private static final int PROBE_ROWS = 10_000_000;
  private static final int BATCH_ROWS = 1 << 16;
  private static final int MAX_ROWS = 1 << 16;

  private static final List<Field> LEFT =
      List.of(new Field("lk", DataType.LONG, true), new Field("lv", DataType.LONG, true));
  private static final List<Field> RIGHT =
      List.of(new Field("rk", DataType.LONG, true), new Field("rv", DataType.LONG, true));
  private static final JoinPlan PLAN =
      new JoinPlan(
          JoinType.INNER,
          BuildSide.RIGHT,
          LEFT,
          RIGHT,
          List.of(new ColumnRef(0, DataType.LONG, "lk")),
          List.of(new ColumnRef(0, DataType.LONG, "rk")),
          null);

  @Test
  void gpuAgainstCpuBackends() {
    GpuTests.deviceOrSkip();
    long[] buildKeys = new long[BUILD_ROWS];
    for (int i = 0; i < BUILD_ROWS; i++) {
      buildKeys[i] = i * 3L;
    }
    Random r = new Random(2026);
    for (int i = BUILD_ROWS - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      long t = buildKeys[i];
      buildKeys[i] = buildKeys[j];
      buildKeys[j] = t;
    }
    long[] probeKeys = new long[PROBE_ROWS];
    for (int i = 0; i < PROBE_ROWS; i++) {
      probeKeys[i] = r.nextInt(2 * BUILD_ROWS) * 3L;
    }
    try (BufferAllocator allocator = new RootAllocator(24L << 30);
        DeviceMemoryPool pool =
            DeviceMemoryPool.create(GpuTests.deviceOrSkip(), "join-bench", 16L << 30)) {
      List<Backend> backends = new ArrayList<>();
      backends.add(new GpuBackend(pool));
      backends.add(new ScalarBackend());
      backends.add(new VectorBackend());
      long[] reference = null;
      double gpuSeconds = Double.NaN;
      for (Backend b : backends) {
        String why =
            b.unavailableReason() != null ? b.unavailableReason() : b.unsupportedReason(PLAN);
        if (why != null) {
          System.out.println("BENCH join backend=" + b.name() + " skipped: " + why);
          continue;
        }
        long[] result = null;
        double best = Double.MAX_VALUE;
        int reps = b instanceof GpuBackend ? 3 : 2; // the first of each warms up the JIT
        for (int rep = 0; rep < reps; rep++) {
          List<VectorSchemaRoot> build = batches(allocator, RIGHT, buildKeys, BATCH_ROWS);
          List<VectorSchemaRoot> probe = batches(allocator, LEFT, probeKeys, BATCH_ROWS);
          long start = System.nanoTime();
          result = run(b, allocator, build, probe);
          best = Math.min(best, (System.nanoTime() - start) / 1e9);
        }
        System.out.printf(
            "BENCH join backend=%s build=%d probe=%d out=%d best_of_%d=%.3f s (%.1f M probe rows/s)%n",
            b.name(), BUILD_ROWS, PROBE_ROWS, result[0], reps, best, PROBE_ROWS / best / 1e6);
        if (reference == null) {
          reference = result;
          gpuSeconds = best;
          // The same on probe batches of 1M rows: what the per-batch overhead costs.
          double big = Double.MAX_VALUE;
          for (int rep = 0; rep < 3; rep++) {
            List<VectorSchemaRoot> build = batches(allocator, RIGHT, buildKeys, BATCH_ROWS);
            List<VectorSchemaRoot> probe = batches(allocator, LEFT, probeKeys, 1 << 20);
            long start = System.nanoTime();
            assertThat(run(b, allocator, build, probe)).containsExactly(reference);
            big = Math.min(big, (System.nanoTime() - start) / 1e9);
          }
          System.out.printf(
              "BENCH join backend=%s probe batches of 1M rows: best_of_3=%.3f s (%.1f M probe"
                  + " rows/s)%n",
              b.name(), big, PROBE_ROWS / big / 1e6);
        } else {
          assertThat(result).containsExactly(reference);
          System.out.printf("BENCH join ratio %s/gpu time = %.2fx%n", b.name(), best / gpuSeconds);
        }
      }
    }
  }

  /** Row count and a checksum of the output keys and values. */
  private static long[] run(
      Backend backend,
      BufferAllocator allocator,
      List<VectorSchemaRoot> buildBatches,
      List<VectorSchemaRoot> probeBatches) {
    long rows = 0;
    long sum = 0;
    try (JoinBuild build = backend.createJoinBuild(PLAN, allocator, Long.MAX_VALUE)) {
      for (VectorSchemaRoot batch : buildBatches) {
        try (batch) {
          build.add(batch);
        }
      }
      build.finish();
      try (JoinProbe probe = backend.createJoinProbe(PLAN, build, allocator)) {
        for (VectorSchemaRoot batch : probeBatches) {
          try (batch) {
            probe.probe(batch);
            while (true) {
              VectorSchemaRoot out = probe.next(MAX_ROWS);
              if (out == null) {
                break;
              }
              try (out) {
                int n = out.getRowCount();
                rows += n;
                BigIntVector lk = (BigIntVector) out.getVector(0);
                BigIntVector rv = (BigIntVector) out.getVector(3);
                for (int i = 0; i < n; i++) {
                  sum += lk.get(i) * 31 + rv.get(i);
                }
              }
            }
          }
        }
      }
    }
    return new long[] {rows, sum};
  }

  private static List<VectorSchemaRoot> batches(
      BufferAllocator allocator, List<Field> fields, long[] keys, int batchRows) {
    List<VectorSchemaRoot> out = new ArrayList<>();
    for (int from = 0; from < keys.length; from += batchRows) {
      int n = Math.min(batchRows, keys.length - from);
      VectorSchemaRoot root = VectorSchemaRoot.create(ArrowSchemas.arrowSchema(fields), allocator);
      BigIntVector k = (BigIntVector) root.getVector(0);
      BigIntVector v = (BigIntVector) root.getVector(1);
      k.allocateNew(n);
      v.allocateNew(n);
      for (int i = 0; i < n; i++) {
        k.set(i, keys[from + i]);
        v.set(i, keys[from + i] ^ 0x5555);
      }
      root.setRowCount(n);
      out.add(root);
    }
    return out;
  }
}
