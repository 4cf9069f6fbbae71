package dev.trueno.spark.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.plan.AggregateCall;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.fault.GpuHealth;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.simd.vector.VectorBackend;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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
 * The GPU failover of aggregations, with a CPU aggregator standing in for the GPU that fails the
 * way the GPU runtime does, and the real CPU backend finishing the work.
 */
class FailoverAggregatorTest {
  private static final ColumnRef K = new ColumnRef(0, DataType.INT, "k");
  private static final ColumnRef V = new ColumnRef(1, DataType.LONG, "v");
  private static final AggregatePlan PLAN =
      new AggregatePlan(
          List.of(new Field("k", DataType.INT, true), new Field("v", DataType.LONG, true)),
          List.of(K),
          List.of("k"),
          List.of(
              new AggregateCall(
                  AggregateFunction.SUM,
                  V,
                  DataType.LONG,
                  AggregateCall.sumType(DataType.LONG),
                  List.of(),
                  null,
                  false),
              new AggregateCall(
                  AggregateFunction.COUNT_STAR,
                  null,
                  DataType.LONG,
                  DataType.LONG,
                  List.of(),
                  null,
                  false)),
          AggregateMode.COMPLETE,
          List.of(),
          List.of());
  private static final int BATCHES = 6;
  private static final int ROWS = 500;

  private final BufferAllocator allocator = new RootAllocator();
  private final AtomicInteger failovers = new AtomicInteger();

  @AfterEach
  void closeAndReset() {
    GpuHealth.resetForTests();
    allocator.close(); // fails the test on a leak
  }

  /** A real aggregator that fails like the GPU runtime on its {@code failAt}-th consume. */
  private final class FailingLikeTheGpu implements Aggregator {
    private final Aggregator delegate = new VectorBackend().createAggregator(PLAN, allocator);
    private final int failAt;
    private final RuntimeException failure;
    private final boolean failOnResult;
    private int consumes;

    FailingLikeTheGpu(int failAt, RuntimeException failure, boolean failOnResult) {
      this.failAt = failAt;
      this.failure = failure;
      this.failOnResult = failOnResult;
    }

    @Override
    public void consume(VectorSchemaRoot batch) {
      if (++consumes == failAt) {
        throw failure;
      }
      delegate.consume(batch);
      // The GPU's pager takes over the buffers of what it is given and leaves the vectors empty.
      batch.clear();
    }

    @Override
    public VectorSchemaRoot nextResult(int maxRows) {
      if (failOnResult) {
        throw failure;
      }
      return delegate.nextResult(maxRows);
    }

    @Override
    public long inputRows() {
      return delegate.inputRows();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  private static TruenoException stickyLaunchError() {
    // What CudaDevice.error makes of a failed cuLaunchKernel.
    return new TruenoException(
        ErrorCode.INTERNAL,
        "CUDA error on GPU 0 (test) while trying to launch agg_update: CUDA_ERROR_ILLEGAL_ADDRESS",
        new CudaException("CUDA_ERROR_ILLEGAL_ADDRESS"));
  }

  private FailoverAggregator failover(Aggregator gpu, long replayBytes) {
    return new FailoverAggregator(
        gpu,
        () -> GpuFailover.cpuBackend().createAggregator(PLAN, allocator),
        allocator,
        replayBytes,
        "TruenoHashAggregate",
        failovers::incrementAndGet);
  }

  /**
   * Feeds the seeded input through one reused root that is refilled in place, as ArrowInput does,
   * and returns the groups: key -> [sum, count].
   */
  private Map<Integer, List<Long>> run(Aggregator aggregator, long seed) {
    Random random = new Random(seed);
    try (Aggregator agg = aggregator;
        VectorSchemaRoot root =
            VectorSchemaRoot.create(ArrowSchemas.arrowSchema(PLAN.input()), allocator)) {
      IntVector k = (IntVector) root.getVector(0);
      BigIntVector v = (BigIntVector) root.getVector(1);
      for (int b = 0; b < BATCHES; b++) {
        k.reset();
        v.reset();
        for (int i = 0; i < ROWS; i++) {
          k.setSafe(i, random.nextInt(40));
          if (random.nextInt(10) == 0) {
            v.setNull(i);
          } else {
            v.setSafe(i, random.nextInt(1000) - 300);
          }
        }
        root.setRowCount(ROWS);
        agg.consume(root);
      }
      Map<Integer, List<Long>> groups = new TreeMap<>();
      VectorSchemaRoot out;
      while ((out = agg.nextResult(64)) != null) {
        try (VectorSchemaRoot result = out) {
          for (int i = 0; i < result.getRowCount(); i++) {
            Object sum = result.getVector(1).getObject(i);
            groups.put(
                (Integer) result.getVector(0).getObject(i),
                java.util.Arrays.asList(
                    sum == null ? null : ((Number) sum).longValue(),
                    ((Number) result.getVector(2).getObject(i)).longValue()));
          }
        }
      }
      return groups;
    }
  }

  private Map<Integer, List<Long>> reference(long seed) {
    return run(new ScalarBackend().createAggregator(PLAN, allocator), seed);
  }

  @Test
  void aStickyErrorInConsumeFinishesOnTheCpuWithTheSameResultAndDisablesTheGpu() {
    long seed = new Random().nextLong();
    Map<Integer, List<Long>> groups =
        run(failover(new FailingLikeTheGpu(3, stickyLaunchError(), false), 256 << 20), seed);
    assertThat(groups).as("seed %d", seed).isEqualTo(reference(seed));
    assertThat(failovers).hasValue(1);
    assertThat(GpuHealth.disabledReason())
        .isEqualTo(
            "Trueno disabled the GPU on this executor after a sticky CUDA error "
                + "(CUDA_ERROR_ILLEGAL_ADDRESS in TruenoHashAggregate): later operators run on"
                + " the CPU");
  }

  @Test
  void deviceOutOfMemoryBeforeTheFirstResultFinishesOnTheCpuAndKeepsTheGpu() {
    long seed = new Random().nextLong();
    RuntimeException oom = new CudaException("CUDA_ERROR_OUT_OF_MEMORY");
    Map<Integer, List<Long>> groups =
        run(failover(new FailingLikeTheGpu(-1, oom, true), 256 << 20), seed);
    assertThat(groups).as("seed %d", seed).isEqualTo(reference(seed));
    assertThat(failovers).hasValue(1);
    assertThat(GpuHealth.disabled()).isFalse();
  }

  @Test
  void withoutFailuresTheGpuResultIsReturnedAndNothingIsCounted() {
    long seed = new Random().nextLong();
    Map<Integer, List<Long>> groups =
        run(failover(new FailingLikeTheGpu(-1, null, false), 256 << 20), seed);
    assertThat(groups).as("seed %d", seed).isEqualTo(reference(seed));
    assertThat(failovers).hasValue(0);
  }

  @Test
  void aFailureBeyondTheReplayBudgetFailsTheTaskSayingWhy() {
    assertThatThrownBy(
            () -> run(failover(new FailingLikeTheGpu(3, stickyLaunchError(), false), 4096), 7))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("The GPU failed in TruenoHashAggregate (CUDA_ERROR_ILLEGAL_ADDRESS)")
        .hasMessageContaining("outgrew the replay budget spark.trueno.gpu.failover.replayBytes")
        .hasMessageContaining(
            "the GPU is now disabled on this executor, so Spark's retry of the task runs on the"
                + " CPU");
    assertThat(failovers).hasValue(0);
    assertThat(GpuHealth.disabled()).isTrue();
  }

  @Test
  void aDisabledReplayFailsTheTaskAndANonStickyErrorKeepsTheGpu() {
    RuntimeException outOfResources = new CudaException("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES");
    assertThatThrownBy(() -> run(failover(new FailingLikeTheGpu(2, outOfResources, false), 0), 7))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES)")
        .hasMessageContaining("spark.trueno.gpu.failover.replayBytes=0")
        .hasMessageContaining("the GPU stays enabled on this executor");
    assertThat(GpuHealth.disabled()).isFalse();
  }

  @Test
  void keptBatchesCountAgainstTheTaskSoTheProducerMayCloseFirstWhenTheTaskFails() {
    // A scan's batches come from its own allocator, which Spark closes first when a task fails
    // (completion listeners run in reverse order). What the failover keeps must not hold it open.
    BufferAllocator producer = allocator.newChildAllocator("scan", 0, Long.MAX_VALUE);
    BufferAllocator task = allocator.newChildAllocator("task", 0, Long.MAX_VALUE);
    TruenoException overflow = new TruenoException(ErrorCode.ARITHMETIC_OVERFLOW, "long overflow");
    FailoverAggregator agg =
        new FailoverAggregator(
            new FailingLikeTheGpu(3, overflow, false),
            () -> GpuFailover.cpuBackend().createAggregator(PLAN, task),
            task,
            256 << 20,
            "TruenoHashAggregate",
            failovers::incrementAndGet);
    try (VectorSchemaRoot root =
        VectorSchemaRoot.create(ArrowSchemas.arrowSchema(PLAN.input()), producer)) {
      IntVector k = (IntVector) root.getVector(0);
      BigIntVector v = (BigIntVector) root.getVector(1);
      for (int b = 0; b < 3; b++) {
        k.reset();
        v.reset();
        for (int i = 0; i < ROWS; i++) {
          k.setSafe(i, i % 7);
          v.setSafe(i, i);
        }
        root.setRowCount(ROWS);
        if (b < 2) {
          agg.consume(root);
        } else {
          assertThatThrownBy(() -> agg.consume(root)).isSameAs(overflow);
        }
      }
    }
    assertThat(task.getAllocatedMemory()).as("kept batches are the task's").isPositive();
    producer.close(); // would report a leak if the kept batches were still the producer's
    agg.close();
    task.close();
  }

  @Test
  void failuresThatAreNotGpuFailuresPropagateUnchanged() {
    TruenoException overflow = new TruenoException(ErrorCode.ARITHMETIC_OVERFLOW, "long overflow");
    assertThatThrownBy(() -> run(failover(new FailingLikeTheGpu(2, overflow, false), 256 << 20), 7))
        .isSameAs(overflow);
    assertThat(failovers).hasValue(0);
  }
}
