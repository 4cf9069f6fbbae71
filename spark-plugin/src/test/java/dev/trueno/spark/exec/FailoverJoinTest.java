package dev.trueno.spark.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.fault.GpuHealth;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.simd.vector.VectorBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import jcuda.CudaException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The GPU failover of a task's own join build and its probe, with CPU builds and probes standing in
 * for the GPU's that fail the way the GPU runtime does, and the real CPU backend finishing.
 */
class FailoverJoinTest {
  private static final List<Field> SIDE =
      List.of(new Field("k", DataType.INT, true), new Field("v", DataType.LONG, true));
  private static final ColumnRef K = new ColumnRef(0, DataType.INT, "k");
  private static final int BUILD_BATCHES = 3;
  private static final int PROBE_BATCHES = 4;
  private static final int ROWS = 300;

  private final BufferAllocator allocator = new RootAllocator();
  private final AtomicInteger failovers = new AtomicInteger();

  @AfterEach
  void closeAndReset() {
    GpuHealth.resetForTests();
    allocator.close(); // fails the test on a leak
  }

  private static JoinPlan plan(JoinType type) {
    return new JoinPlan(type, BuildSide.RIGHT, SIDE, SIDE, List.of(K), List.of(K), null);
  }

  private static RuntimeException sticky() {
    return new TruenoException(
        ErrorCode.INTERNAL,
        "CUDA error on GPU 0 (test) while trying to launch join_probe: CUDA_ERROR_ILLEGAL_ADDRESS",
        new CudaException("CUDA_ERROR_ILLEGAL_ADDRESS"));
  }

  private static RuntimeException outOfResources() {
    return new CudaException("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES");
  }

  /** Where the stand-in for the GPU fails: the Nth call of one method, counted from 1. */
  private record Fault(String method, int nth, RuntimeException error) {
    static final Fault NONE = new Fault("", 0, null);

    void check(String called, int count) {
      if (called.equals(method) && count == nth) {
        throw error;
      }
    }
  }

  /** A real build that fails like the GPU's. */
  private static final class FailingBuild implements JoinBuild {
    final JoinBuild delegate;
    final Fault fault;
    int adds;

    FailingBuild(JoinBuild delegate, Fault fault) {
      this.delegate = delegate;
      this.fault = fault;
    }

    @Override
    public void add(VectorSchemaRoot batch) {
      fault.check("add", ++adds);
      delegate.add(batch);
    }

    @Override
    public void finish() {
      fault.check("finish", 1);
      delegate.finish();
    }

    @Override
    public long rowCount() {
      return delegate.rowCount();
    }

    @Override
    public long sizeBytes() {
      return delegate.sizeBytes();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** A real probe that fails like the GPU's. */
  private static final class FailingProbe implements JoinProbe {
    final JoinProbe delegate;
    final Fault fault;
    int probes;
    int nexts;

    FailingProbe(JoinProbe delegate, Fault fault) {
      this.delegate = delegate;
      this.fault = fault;
    }

    @Override
    public void probe(VectorSchemaRoot batch) {
      fault.check("probe", ++probes);
      delegate.probe(batch);
    }

    @Override
    public VectorSchemaRoot next(int maxRows) {
      fault.check("next", ++nexts);
      return delegate.next(maxRows);
    }

    @Override
    public VectorSchemaRoot finish(int maxRows) {
      return delegate.finish(maxRows);
    }

    @Override
    public long probeRows() {
      return delegate.probeRows();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  private void fill(VectorSchemaRoot root, Random random, int keys) {
    IntVector k = (IntVector) root.getVector(0);
    BigIntVector v = (BigIntVector) root.getVector(1);
    k.reset();
    v.reset();
    for (int i = 0; i < ROWS; i++) {
      if (random.nextInt(20) == 0) {
        k.setNull(i);
      } else {
        k.setSafe(i, random.nextInt(keys));
      }
      v.setSafe(i, random.nextInt(1_000_000));
    }
    root.setRowCount(ROWS);
  }

  /** Builds and probes as JoinTask does; the joined rows as sorted strings. */
  private List<String> run(
      JoinPlan plan, JoinBuild build, java.util.function.Supplier<JoinProbe> probeOf, long seed) {
    Random random = new Random(seed);
    List<String> rows = new ArrayList<>();
    try (JoinBuild b = build) {
      for (int i = 0; i < BUILD_BATCHES; i++) {
        try (VectorSchemaRoot batch =
            VectorSchemaRoot.create(ArrowSchemas.arrowSchema(SIDE), allocator)) {
          fill(batch, random, 400);
          b.add(batch);
        }
      }
      b.finish();
      try (JoinProbe probe = probeOf.get();
          VectorSchemaRoot batch =
              VectorSchemaRoot.create(ArrowSchemas.arrowSchema(SIDE), allocator)) {
        for (int i = 0; i < PROBE_BATCHES; i++) {
          fill(batch, random, 400);
          probe.probe(batch);
          for (VectorSchemaRoot out = probe.next(100); out != null; out = probe.next(100)) {
            collect(out, rows);
          }
        }
        for (VectorSchemaRoot out = probe.finish(100); out != null; out = probe.finish(100)) {
          collect(out, rows);
        }
      }
    }
    rows.sort(null);
    return rows;
  }

  private static void collect(VectorSchemaRoot out, List<String> rows) {
    try (out) {
      for (int r = 0; r < out.getRowCount(); r++) {
        StringBuilder row = new StringBuilder();
        for (int c = 0; c < out.getFieldVectors().size(); c++) {
          row.append(out.getVector(c).getObject(r)).append('|');
        }
        rows.add(row.toString());
      }
    }
  }

  private List<String> reference(JoinPlan plan, long seed) {
    Backend scalar = new ScalarBackend();
    JoinBuild build = scalar.createJoinBuild(plan, allocator, Long.MAX_VALUE);
    return run(plan, build, () -> scalar.createJoinProbe(plan, build, allocator), seed);
  }

  private List<String> failing(
      JoinPlan plan, Fault buildFault, Fault probeFault, long replay, long seed) {
    Backend simd = new VectorBackend();
    FailingBuild gpuBuild =
        new FailingBuild(simd.createJoinBuild(plan, allocator, Long.MAX_VALUE), buildFault);
    FailoverJoinBuild build =
        new FailoverJoinBuild(
            gpuBuild,
            plan,
            allocator,
            Long.MAX_VALUE,
            replay,
            "TruenoHashJoin",
            failovers::incrementAndGet);
    return run(
        plan,
        build,
        () ->
            build.onCpu()
                ? GpuFailover.cpuBackend().createJoinProbe(plan, build.active(), allocator)
                : new FailoverJoinProbe(
                    new FailingProbe(
                        simd.createJoinProbe(plan, gpuBuild.delegate, allocator), probeFault),
                    plan,
                    build,
                    allocator,
                    "TruenoHashJoin"),
        seed);
  }

  @Test
  void aStickyErrorInTheBuildRebuildsOnTheCpuAndDisablesTheGpu() {
    long seed = new Random().nextLong();
    JoinPlan plan = plan(JoinType.INNER);
    assertThat(failing(plan, new Fault("add", 2, sticky()), Fault.NONE, 256 << 20, seed))
        .as("seed %d", seed)
        .isEqualTo(reference(plan, seed));
    assertThat(failovers).hasValue(1);
    assertThat(GpuHealth.disabledReason()).contains("CUDA_ERROR_ILLEGAL_ADDRESS in TruenoHashJoin");
  }

  @Test
  void aFailureProbingTheThirdBatchReprobesItAndTheRestOnTheCpu() {
    long seed = new Random().nextLong();
    JoinPlan plan = plan(JoinType.INNER);
    assertThat(failing(plan, Fault.NONE, new Fault("probe", 3, outOfResources()), 256 << 20, seed))
        .as("seed %d", seed)
        .isEqualTo(reference(plan, seed));
    assertThat(failovers).hasValue(1);
    assertThat(GpuHealth.disabled()).isFalse();
  }

  @Test
  void aFailureBeforeTheFirstOutputOfABatchReprobesIt() {
    long seed = new Random().nextLong();
    JoinPlan plan = plan(JoinType.LEFT_OUTER);
    assertThat(failing(plan, Fault.NONE, new Fault("next", 1, sticky()), 256 << 20, seed))
        .as("seed %d", seed)
        .isEqualTo(reference(plan, seed));
    assertThat(failovers).hasValue(1);
  }

  @Test
  void aFailureAfterOutputOfTheCurrentBatchFailsTheTaskSayingWhy() {
    assertThatThrownBy(
            () ->
                failing(
                    plan(JoinType.INNER), Fault.NONE, new Fault("next", 2, sticky()), 256 << 20, 7))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("The GPU failed in TruenoHashJoin (CUDA_ERROR_ILLEGAL_ADDRESS)")
        .hasMessageContaining("output of the current probe batch was already handed to Spark")
        .hasMessageContaining("Spark's retry of the task runs on the CPU");
    assertThat(GpuHealth.disabled()).isTrue();
  }

  @Test
  void aJoinTrackingBuildMatchesCannotFailOverAfterAProbeBatchCompleted() {
    assertThatThrownBy(
            () ->
                failing(
                    plan(JoinType.RIGHT_OUTER),
                    Fault.NONE,
                    new Fault("probe", 2, outOfResources()),
                    256 << 20,
                    7))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES)")
        .hasMessageContaining("matches of the probe batches before this one are on the GPU")
        .hasMessageContaining("the GPU stays enabled on this executor");
    assertThat(failovers).hasValue(0);
  }

  @Test
  void aBuildBeyondTheReplayBudgetFailsTheTaskSayingWhy() {
    assertThatThrownBy(
            () ->
                failing(
                    plan(JoinType.INNER), new Fault("finish", 1, sticky()), Fault.NONE, 1024, 7))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("outgrew the replay budget spark.trueno.gpu.failover.replayBytes");
  }

  @Test
  void memoryExhaustedOfTheBuildGoesToTheTaskToSplitTheJoin() {
    TruenoException exhausted =
        new TruenoException(ErrorCode.MEMORY_EXHAUSTED, "build over spark.trueno.join...");
    assertThatThrownBy(
            () ->
                failing(
                    plan(JoinType.INNER), new Fault("add", 2, exhausted), Fault.NONE, 256 << 20, 7))
        .isSameAs(exhausted);
    assertThat(failovers).hasValue(0);
  }
}
