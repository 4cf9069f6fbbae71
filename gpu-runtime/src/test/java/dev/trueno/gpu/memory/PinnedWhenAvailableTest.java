package dev.trueno.gpu.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.netty.NettyAllocationManager;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.Test;

/**
 * The JVM-wide root's factory: ordinary memory before a pinned pool exists, the pool's memory while
 * it has room, ordinary memory again once its budget is spent (never a failed allocation). Runs
 * over plain native memory ({@link TestPinnedPools}), so it needs no GPU.
 */
class PinnedWhenAvailableTest {
  @Test
  void allocatesFromThePoolWhileItHasRoomAndOrdinaryMemoryOtherwise() {
    AtomicReference<PinnedMemoryPool> pool = new AtomicReference<>();
    try (PinnedMemoryPool pinned = TestPinnedPools.unpinned("test", 1 << 20)) {
      try (RootAllocator root =
          new RootAllocator(
              RootAllocator.configBuilder()
                  .allocationManagerFactory(
                      PinnedAllocationManager.pinnedWhenAvailable(
                          pool::get, NettyAllocationManager.FACTORY))
                  .maxAllocation(Long.MAX_VALUE)
                  .build())) {
        try (BigIntVector before = vector(root, 1000)) {
          assertThat(pinned.usedBytes()).as("no pool yet: ordinary memory").isZero();
          assertThat(before.get(999)).isEqualTo(999);
        }
        pool.set(pinned);
        try (BigIntVector inPool = vector(root, 1000)) {
          long address = inPool.getDataBuffer().memoryAddress();
          assertThat(pinned.contains(address, 8000)).as("allocated in the pool").isTrue();
          // 200k longs (1.6 MB) exceed the 1 MiB budget: ordinary memory, and it works.
          try (BigIntVector beyond = vector(root, 200_000)) {
            assertThat(pinned.contains(beyond.getDataBuffer().memoryAddress(), 8)).isFalse();
            assertThat(beyond.get(199_999)).isEqualTo(199_999);
          }
          assertThat(inPool.get(999)).isEqualTo(999);
        }
      }
      pinned.trim();
      assertThat(pinned.usedBytes()).as("every pinned block given back").isZero();
    }
  }

  private static BigIntVector vector(RootAllocator root, int rows) {
    BigIntVector v = new BigIntVector("v", root);
    v.allocateNew(rows);
    for (int i = 0; i < rows; i++) {
      v.set(i, i);
    }
    v.setValueCount(rows);
    return v;
  }
}
