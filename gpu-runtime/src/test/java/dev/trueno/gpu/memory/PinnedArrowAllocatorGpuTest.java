package dev.trueno.gpu.memory;

import dev.trueno.gpu.GpuTests;
import org.junit.jupiter.api.Tag;

/**
 * The pinned Arrow allocator's contract over memory from {@code cuMemHostAlloc}. Skipped with the
 * discovery reason where no GPU can be used; failing instead under {@code
 * -Dtrueno.requireGpu=true}.
 */
@Tag("gpu")
class PinnedArrowAllocatorGpuTest extends PinnedArrowAllocatorContract {
  @Override
  PinnedMemoryPool newPool(String name, long budgetBytes) {
    return PinnedMemoryPool.create(GpuTests.deviceOrSkip(), name, budgetBytes);
  }
}
