package dev.trueno.gpu.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

/** The pool's accounting, over a fake allocator so that it runs without a GPU. */
class DeviceMemoryPoolTest {
  /** Records what was allocated and freed instead of calling the driver. */
  private static final class FakeAllocator implements DeviceMemoryPool.RawAllocator {
    final List<CUdeviceptr> allocated = new ArrayList<>();
    final List<CUdeviceptr> freed = new ArrayList<>();

    @Override
    public CUdeviceptr allocate(long bytes) {
      CUdeviceptr p = new CUdeviceptr();
      allocated.add(p);
      return p;
    }

    @Override
    public void free(CUdeviceptr pointer) {
      freed.add(pointer);
    }
  }

  @Test
  void allocationsAreAccountedAndReturnedOnClose() {
    FakeAllocator raw = new FakeAllocator();
    try (DeviceMemoryPool pool = new DeviceMemoryPool("p", 1000, raw)) {
      DeviceBuffer a = pool.allocate(600, "a");
      DeviceBuffer b = pool.allocate(400, "b");
      assertThat(pool.usedBytes()).isEqualTo(1000);
      a.close();
      a.close(); // a second close is harmless
      assertThat(pool.usedBytes()).isEqualTo(400);
      b.close();
      assertThat(pool.usedBytes()).isZero();
      assertThat(pool.peakBytes()).isEqualTo(1000);
    }
    assertThat(raw.freed).containsExactlyInAnyOrderElementsOf(raw.allocated);
  }

  @Test
  void allocationOverTheBudgetIsMemoryExhaustedNamingTheBudget() {
    FakeAllocator raw = new FakeAllocator();
    try (DeviceMemoryPool pool = new DeviceMemoryPool("executor", 1000, raw);
        DeviceBuffer held = pool.allocate(900, "held")) {
      assertThatThrownBy(() -> pool.allocate(200, "values of column x"))
          .isInstanceOfSatisfying(
              TruenoException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED))
          .hasMessageContaining("'executor'")
          .hasMessageContaining("200 bytes for values of column x")
          .hasMessageContaining("900 of its budget of 1000 bytes");
      assertThat(pool.usedBytes()).isEqualTo(held.bytes());
      assertThat(raw.allocated).hasSize(1);
    }
  }

  @Test
  void closeFreesLeakedBuffersAndReportsThem() {
    FakeAllocator raw = new FakeAllocator();
    DeviceMemoryPool pool = new DeviceMemoryPool("leaky", 1000, raw);
    pool.allocate(100, "forgotten scratch");
    pool.allocate(50, "block results").close();
    assertThatThrownBy(pool::close)
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("1 buffer(s) of 100 bytes still allocated")
        .hasMessageContaining("forgotten scratch (100 bytes)");
    assertThat(raw.freed).hasSize(2);
    assertThatThrownBy(() -> pool.allocate(1, "late")).hasMessageContaining("is closed");
  }

  @Test
  void aFailedDeviceAllocationGivesItsReservationBack() {
    DeviceMemoryPool.RawAllocator failing =
        new DeviceMemoryPool.RawAllocator() {
          @Override
          public CUdeviceptr allocate(long bytes) {
            throw new TruenoException(ErrorCode.MEMORY_EXHAUSTED, "device full");
          }

          @Override
          public void free(CUdeviceptr pointer) {}
        };
    try (DeviceMemoryPool pool = new DeviceMemoryPool("p", 1000, failing)) {
      assertThatThrownBy(() -> pool.allocate(10, "x")).hasMessageContaining("device full");
      assertThat(pool.usedBytes()).isZero();
    }
  }

  @Test
  void aBudgetMustBePositive() {
    assertThatThrownBy(() -> new DeviceMemoryPool("p", 0, new FakeAllocator()))
        .hasMessageContaining("INVALID_CONFIG")
        .hasMessageContaining("positive budget");
  }
}
