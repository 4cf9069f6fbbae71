package dev.trueno.gpu;

import dev.trueno.core.backend.Backend;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.simd.AggregatorContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * The aggregator contract run against the GPU backend. The plans this slice of the backend does not
 * run are reported as skipped with {@link GpuBackend#unsupportedReason}; every plan it does run
 * must meet the contract exactly as the CPU backends do. Skipped where no GPU can be used (failing
 * instead under {@code -Dtrueno.requireGpu=true}).
 */
// JUnit's tag for the tests, jqwik's for the inherited property (jqwik ignores JUnit's @Tag).
@Tag("gpu")
@net.jqwik.api.Tag("gpu")
class GpuAggregatorContractTest extends AggregatorContractTest {
  private DeviceMemoryPool pool;

  @BeforeEach
  void openPool() {
    pool = DeviceMemoryPool.create(GpuTests.deviceOrSkip(), "contract", 1L << 30);
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close(); // fails the test on a device memory leak
    }
  }

  @Override
  protected Backend backend() {
    // jqwik runs no @BeforeEach, so the property runs on the JVM-wide pool.
    return pool != null ? new GpuBackend(pool) : new GpuBackend();
  }

  @Override
  protected void assumeRuns(AggregatePlan plan) {
    GpuTests.deviceOrSkip();
    String reason = backend().unsupportedReason(plan);
    Assumptions.assumeTrue(reason == null, () -> "Not on the GPU: " + reason);
  }
}
