package dev.trueno.gpu.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The pinned pool's accounting, caching and range lookups over plain native memory. */
class PinnedMemoryPoolTest {
  private final TestPinnedPools.NativeMemory raw = new TestPinnedPools.NativeMemory();

  @Test
  void blocksAreWholePagesAccountedAndReusedAfterRelease() {
    try (PinnedMemoryPool pool = new PinnedMemoryPool("p", 1 << 20, raw)) {
      PinnedBuffer a = pool.allocate(100, "a");
      assertThat(a.bytes()).isEqualTo(PinnedMemoryPool.PAGE);
      PinnedBuffer b = pool.allocate(5000, "b");
      assertThat(b.bytes()).isEqualTo(2 * PinnedMemoryPool.PAGE);
      assertThat(pool.usedBytes()).isEqualTo(3 * PinnedMemoryPool.PAGE);
      assertThat(pool.liveBuffers()).isEqualTo(2);
      long address = b.address();
      b.close();
      b.close(); // a second close is harmless
      assertThat(pool.usedBytes()).isEqualTo(PinnedMemoryPool.PAGE);
      assertThat(pool.cachedBytes()).isEqualTo(2 * PinnedMemoryPool.PAGE);
      // The same size comes back from the cache, without pinning again.
      PinnedBuffer c = pool.allocate(8000, "c");
      assertThat(c.address()).isEqualTo(address);
      assertThat(raw.allocations).isEqualTo(2);
      assertThat(pool.peakBytes()).isEqualTo(3 * PinnedMemoryPool.PAGE);
      a.close();
      c.close();
      assertThat(pool.usedBytes()).isZero();
    }
    assertThat(raw.allocated).isEmpty(); // close freed the cached blocks
  }

  @Test
  void allocationOverTheBudgetIsMemoryExhaustedNamingTheBudgetAndTheKey() {
    try (PinnedMemoryPool pool = new PinnedMemoryPool("executor", 10 * PinnedMemoryPool.PAGE, raw);
        PinnedBuffer held = pool.allocate(8 * PinnedMemoryPool.PAGE, "held")) {
      assertThatThrownBy(() -> pool.allocate(3 * PinnedMemoryPool.PAGE, "batch of scan 3"))
          .isInstanceOfSatisfying(
              TruenoException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED))
          .hasMessageContaining("'executor' cannot allocate 12288 bytes for batch of scan 3")
          .hasMessageContaining("32768 of its budget of 40960 bytes are in use")
          .hasMessageContaining("spark.trueno.gpu.pinnedMemory.bytes");
      assertThat(pool.usedBytes()).isEqualTo(8 * PinnedMemoryPool.PAGE);
    }
  }

  @Test
  void cachedBlocksAreFreedToMakeRoomWithinTheBudget() {
    try (PinnedMemoryPool pool = new PinnedMemoryPool("p", 4 * PinnedMemoryPool.PAGE, raw)) {
      pool.allocate(3 * PinnedMemoryPool.PAGE, "a").close();
      assertThat(pool.cachedBytes()).isEqualTo(3 * PinnedMemoryPool.PAGE);
      // A different size does not fit next to the cached block: the cache gives way.
      try (PinnedBuffer b = pool.allocate(2 * PinnedMemoryPool.PAGE, "b")) {
        assertThat(pool.cachedBytes()).isZero();
        assertThat(raw.allocated).containsExactly(b.address());
      }
      pool.trim();
      assertThat(pool.cachedBytes()).isZero();
      assertThat(raw.allocated).isEmpty();
    }
  }

  @Test
  void containsTellsWhetherARangeLiesInsideOneLiveBlock() {
    try (PinnedMemoryPool pool = new PinnedMemoryPool("p", 1 << 20, raw)) {
      PinnedBuffer a = pool.allocate(PinnedMemoryPool.PAGE, "a");
      long start = a.address();
      assertThat(pool.contains(start, PinnedMemoryPool.PAGE)).isTrue();
      assertThat(pool.contains(start + 100, 200)).isTrue();
      assertThat(pool.contains(start + 1, PinnedMemoryPool.PAGE)).isFalse(); // one byte past
      assertThat(pool.contains(start - 1, 10)).isFalse();
      assertThat(pool.contains(start, Long.MAX_VALUE)).isFalse();
      a.close();
      assertThat(pool.contains(start, 10)).as("a cached block is not live").isFalse();
    }
  }

  @Test
  void closeReportsBlocksStillAllocatedAndFreesThemWhenTheirOwnerLetsGo() {
    PinnedMemoryPool pool = new PinnedMemoryPool("task 7", 1 << 20, raw);
    PinnedBuffer kept = pool.allocate(10, "Arrow buffer of scan");
    pool.allocate(10, "freed").close();
    assertThatThrownBy(pool::close)
        .isInstanceOfSatisfying(
            TruenoException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
        .hasMessageContaining("'task 7' was closed with 1 block(s) of 4096 bytes still allocated")
        .hasMessageContaining("Arrow buffer of scan (4096 bytes)");
    // Not freed under its owner's feet, but as soon as the owner closes it.
    assertThat(raw.allocated).containsExactly(kept.address());
    kept.close();
    assertThat(raw.allocated).isEmpty();
    assertThatThrownBy(() -> pool.allocate(10, "late")).hasMessageContaining("is closed");
  }

  @Test
  void aPoolNeedsAPositiveBudget() {
    assertThatThrownBy(() -> new PinnedMemoryPool("p", 0, raw))
        .isInstanceOfSatisfying(
            TruenoException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("spark.trueno.gpu.pinnedMemory.bytes");
  }

  @Test
  void concurrentAllocationsNeverOvershootTheBudget() throws Exception {
    long budget = 64 * PinnedMemoryPool.PAGE;
    try (PinnedMemoryPool pool = new PinnedMemoryPool("p", budget, raw)) {
      List<CompletableFuture<Void>> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int size = (t + 1) * 3000;
        threads.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; i < 2000; i++) {
                    try (PinnedBuffer b = pool.allocate(size, "t")) {
                      assertThat(pool.contains(b.address(), size)).isTrue();
                    } catch (TruenoException e) {
                      assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED);
                    }
                  }
                }));
      }
      for (CompletableFuture<Void> f : threads) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(pool.peakBytes()).isLessThanOrEqualTo(budget);
      assertThat(pool.usedBytes()).isZero();
      assertThat(pool.usedBytes() + pool.cachedBytes()).isLessThanOrEqualTo(budget);
    }
    assertThat(raw.allocated).isEmpty();
  }
}
