package dev.trueno.gpu.memory;

/** The pinned Arrow allocator's contract over plain native memory, so that it runs everywhere. */
class PinnedArrowAllocatorTest extends PinnedArrowAllocatorContract {
  @Override
  PinnedMemoryPool newPool(String name, long budgetBytes) {
    return TestPinnedPools.unpinned(name, budgetBytes);
  }
}
