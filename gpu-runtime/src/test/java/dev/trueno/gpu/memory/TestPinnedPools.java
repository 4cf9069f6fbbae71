package dev.trueno.gpu.memory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * Pinned pools for tests without a GPU: the blocks come from plain native memory, so everything but
 * the DMA (accounting, caching, Arrow allocation, range lookups, zero-copy planning) can run here.
 */
public final class TestPinnedPools {
  private TestPinnedPools() {}

  /** Native memory standing in for cuMemHostAlloc; remembers what is still allocated. */
  static final class NativeMemory implements PinnedMemoryPool.RawAllocator {
    final Set<Long> allocated = ConcurrentHashMap.newKeySet();
    volatile int allocations;

    @Override
    public long allocate(long bytes) {
      long address = MemoryUtil.allocateMemory(bytes);
      allocated.add(address);
      allocations++;
      return address;
    }

    @Override
    public void free(long address) {
      if (!allocated.remove(address)) {
        throw new AssertionError("freed twice or never allocated: " + address);
      }
      MemoryUtil.freeMemory(address);
    }
  }

  /** A pool over plain native memory with a budget of {@code budgetBytes}. */
  public static PinnedMemoryPool unpinned(String name, long budgetBytes) {
    return new PinnedMemoryPool(name, budgetBytes, new NativeMemory());
  }
}
