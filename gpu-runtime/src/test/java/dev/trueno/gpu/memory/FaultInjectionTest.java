package dev.trueno.gpu.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.gpu.fault.FaultInjection;
import dev.trueno.gpu.fault.GpuHealth;
import java.util.ArrayList;
import java.util.List;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The test hook's counting, on the pool's fake allocator and on the launch hook directly. */
class FaultInjectionTest {
  /** Counts raw allocations instead of calling the driver. */
  private static final class CountingAllocator implements DeviceMemoryPool.RawAllocator {
    final List<CUdeviceptr> live = new ArrayList<>();
    int allocations;

    @Override
    public CUdeviceptr allocate(long bytes) {
      allocations++;
      CUdeviceptr p = new CUdeviceptr();
      live.add(p);
      return p;
    }

    @Override
    public void free(CUdeviceptr pointer) {
      live.remove(pointer);
    }
  }

  @AfterEach
  void disarm() {
    FaultInjection.disarm();
  }

  @Test
  void unarmedHooksAreInert() {
    CountingAllocator raw = new CountingAllocator();
    try (DeviceMemoryPool pool = new DeviceMemoryPool("p", 1 << 20, raw)) {
      for (int i = 0; i < 10; i++) {
        pool.allocate(16, "b" + i).close();
        FaultInjection.beforeKernelLaunch();
      }
    }
    assertThat(raw.allocations).isEqualTo(10);
  }

  @Test
  void theNthAllocationFailsAsADeviceOutOfMemoryAndOnlyThatOne() {
    CountingAllocator raw = new CountingAllocator();
    try (DeviceMemoryPool pool = new DeviceMemoryPool("executor", 1 << 20, raw)) {
      FaultInjection.failAllocation(3);
      DeviceBuffer a = pool.allocate(16, "a");
      DeviceBuffer b = pool.allocate(16, "b");
      assertThatThrownBy(() -> pool.allocate(16, "c"))
          .isInstanceOfSatisfying(
              TruenoException.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED);
                assertThat(GpuHealth.classify(e))
                    .isEqualTo(
                        new GpuHealth.Failure(
                            GpuHealth.Kind.RECOVERABLE, "CUDA_ERROR_OUT_OF_MEMORY"));
              })
          .hasMessageContaining("'executor' could not get 16 bytes")
          .hasMessageContaining("the device is out of memory");
      // Nothing was allocated or reserved for the failed call.
      assertThat(raw.allocations).isEqualTo(2);
      assertThat(pool.usedBytes()).isEqualTo(32);
      pool.allocate(16, "d").close();
      a.close();
      b.close();
      assertThat(pool.usedBytes()).isZero();
    }
    assertThat(raw.live).isEmpty();
  }

  @Test
  void theNthKernelLaunchThrowsTheGivenCudaError() {
    FaultInjection.failKernelLaunch(2, "CUDA_ERROR_ILLEGAL_ADDRESS");
    FaultInjection.beforeKernelLaunch();
    assertThatThrownBy(FaultInjection::beforeKernelLaunch)
        .isInstanceOf(CudaException.class)
        .hasMessage("CUDA_ERROR_ILLEGAL_ADDRESS");
    FaultInjection.beforeKernelLaunch(); // fired once; later launches go through
  }

  @Test
  void faultsAreArmedFromTheirTextForm() {
    FaultInjection.arm("kernel:1:CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES");
    assertThatThrownBy(FaultInjection::beforeKernelLaunch)
        .hasMessage("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES");
    FaultInjection.arm("alloc:2");
    assertThat(FaultInjection.failThisAllocation()).isFalse();
    assertThat(FaultInjection.failThisAllocation()).isTrue();
    assertThat(FaultInjection.failThisAllocation()).isFalse();
    assertThatThrownBy(() -> FaultInjection.arm("kernel:x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trueno.test.fault must be alloc:N or kernel:N:CUDA_ERROR_NAME");
    assertThatThrownBy(() -> FaultInjection.failKernelLaunch(0, "CUDA_ERROR_ASSERT"))
        .hasMessageContaining("from 1, not 0");
  }
}
