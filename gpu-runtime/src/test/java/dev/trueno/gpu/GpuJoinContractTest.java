package dev.trueno.gpu;

import dev.trueno.core.backend.Backend;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.simd.JoinContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * The join contract run against the GPU backend. Plans the GPU does not run (string keys, keys or
 * conditions reading strings, wide decimal keys, conditions the device cannot evaluate) are
 * reported as skipped with {@link GpuBackend#unsupportedReason}; every plan it runs must meet the
 * contract exactly as the CPU backends do. Skipped where no GPU can be used (failing instead under
 * {@code -Dtrueno.requireGpu=true}).
 */
// JUnit's tag for the tests, jqwik's for the inherited property (jqwik ignores JUnit's @Tag).
@Tag("gpu")
@net.jqwik.api.Tag("gpu")
class GpuJoinContractTest extends JoinContractTest {
  private DeviceMemoryPool pool;

  @BeforeEach
  void openPool() {
    pool = DeviceMemoryPool.create(GpuTests.deviceOrSkip(), "join-contract", 1L << 30);
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
  protected void assumeRuns(JoinPlan plan) {
    GpuTests.deviceOrSkip();
    String reason = backend().unsupportedReason(plan);
    Assumptions.assumeTrue(reason == null, () -> "Not on the GPU: " + reason);
  }
}
