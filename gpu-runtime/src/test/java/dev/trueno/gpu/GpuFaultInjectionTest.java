package dev.trueno.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.plan.AggregateFunction;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.fault.FaultInjection;
import dev.trueno.gpu.fault.GpuHealth;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Faults injected into the real GPU aggregator surface as the GPU failures the operators fail over
 * on, and a GPU aggregator closed after one frees all its host and device memory (the Spark plugin
 * closes it and continues on the CPU). Skipped without a GPU; failing instead under {@code
 * -Dtrueno.requireGpu=true}.
 */
@Tag("gpu")
class GpuFaultInjectionTest {
  private static final List<Field> INPUT =
      List.of(new Field("k", DataType.INT, true), new Field("v", DataType.LONG, true));
  private static final ColumnRef K = new ColumnRef(0, DataType.INT, "k");
  private static final ColumnRef V = new ColumnRef(1, DataType.LONG, "v");
  private static final AggregatePlan PLAN =
      new AggregatePlan(
          INPUT,
          List.<Expr>of(K),
          List.of("k"),
          List.of(
              GpuTests.call(AggregateFunction.COUNT_STAR, null, false),
              GpuTests.call(AggregateFunction.SUM, V, false)),
          AggregateMode.PARTIAL,
          List.of(),
          List.of());

  private CudaDevice device;
  private BufferAllocator allocator;
  private DeviceMemoryPool pool;

  @BeforeEach
  void open() {
    device = GpuTests.deviceOrSkip();
    allocator = new RootAllocator(1L << 30);
    pool = DeviceMemoryPool.create(device, "fault-test", 1L << 30);
  }

  @AfterEach
  void close() {
    FaultInjection.disarm();
    GpuHealth.resetForTests();
    if (allocator != null) {
      allocator.close(); // fails the test on a host memory leak
    }
    if (pool != null) {
      pool.close(); // fails the test on a device memory leak
    }
  }

  /**
   * Aggregates 4 batches of 20,000 rows; the failure, or null when it completed. The aggregator's
   * constructor already allocates and launches (its hash table), so a fault may hit it there; it
   * must then free what it took before throwing.
   */
  private RuntimeException aggregate() {
    Aggregator aggregator;
    try {
      aggregator = new GpuBackend(pool, GpuSettings.DEFAULTS).createAggregator(PLAN, allocator);
    } catch (RuntimeException e) {
      return e;
    }
    try (aggregator;
        VectorSchemaRoot batch =
            VectorSchemaRoot.create(ArrowSchemas.arrowSchema(INPUT), allocator)) {
      for (int b = 0; b < 4; b++) {
        IntVector k = (IntVector) batch.getVector(0);
        BigIntVector v = (BigIntVector) batch.getVector(1);
        k.reset();
        v.reset();
        for (int i = 0; i < 20_000; i++) {
          k.setSafe(i, (i * 7 + b) % 513);
          v.setSafe(i, i * 31L - b);
        }
        batch.setRowCount(20_000);
        aggregator.consume(batch);
      }
      for (VectorSchemaRoot r = aggregator.nextResult(4096);
          r != null;
          r = aggregator.nextResult(4096)) {
        r.close();
      }
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  @Test
  void anInjectedIllegalAddressIsAStickyGpuFailureAndCloseFreesEverything() {
    FaultInjection.failKernelLaunch(1, "CUDA_ERROR_ILLEGAL_ADDRESS");
    RuntimeException failure = aggregate();
    assertThat(failure).as("the aggregation should fail at its first launch").isNotNull();
    assertThat(failure).hasMessageContaining("CUDA_ERROR_ILLEGAL_ADDRESS");
    assertThat(GpuHealth.classify(failure))
        .isEqualTo(new GpuHealth.Failure(GpuHealth.Kind.STICKY, "CUDA_ERROR_ILLEGAL_ADDRESS"));
    assertThat(pool.usedBytes()).as("device bytes held after close").isZero();
  }

  @Test
  void anInjectedLaunchErrorThatIsNotStickyIsRecoverable() {
    FaultInjection.failKernelLaunch(2, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES");
    RuntimeException failure = aggregate();
    assertThat(failure).isNotNull();
    assertThat(GpuHealth.classify(failure))
        .isEqualTo(
            new GpuHealth.Failure(
                GpuHealth.Kind.RECOVERABLE, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"));
    assertThat(pool.usedBytes()).isZero();
  }

  @Test
  void anInjectedDeviceOutOfMemoryIsAbsorbedOrRecoverable() {
    for (int nth = 1; nth <= 6; nth++) {
      FaultInjection.failAllocation(nth);
      RuntimeException failure = aggregate();
      // The aggregator may absorb it (smaller morsels, its CPU finish); if not, it is recoverable.
      if (failure != null) {
        assertThat(GpuHealth.classify(failure).kind())
            .as("allocation %d: %s", nth, failure)
            .isEqualTo(GpuHealth.Kind.RECOVERABLE);
      }
      assertThat(pool.usedBytes()).as("device bytes held after allocation %d failed", nth).isZero();
    }
  }
}
