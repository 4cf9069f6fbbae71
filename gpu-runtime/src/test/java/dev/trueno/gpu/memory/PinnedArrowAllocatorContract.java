package dev.trueno.gpu.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.math.BigDecimal;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.ValueVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Arrow vectors allocated through {@link PinnedAllocationManager}: they hold their values and
 * nulls, their buffers lie in the pool, accounting and leak reports work on both levels. Run over
 * plain native memory and over real pinned memory by the subclasses.
 */
abstract class PinnedArrowAllocatorContract {
  static final long BUDGET = 256L << 20;

  PinnedMemoryPool pool;
  RootAllocator allocator;

  /** A pool of {@code budgetBytes}, or a skip when the subclass's memory is not available. */
  abstract PinnedMemoryPool newPool(String name, long budgetBytes);

  @BeforeEach
  void open() {
    pool = newPool("arrow-test", BUDGET);
    allocator = PinnedAllocationManager.rootAllocator(pool, BUDGET);
  }

  @AfterEach
  void close() {
    if (allocator != null) {
      allocator.close(); // fails the test when a vector was not closed
    }
    if (pool != null) {
      pool.close(); // fails the test when a block was not given back
    }
  }

  private void assertPinned(ValueVector vector) {
    for (ArrowBuf b : vector.getBuffers(false)) {
      assertThat(pool.contains(b.memoryAddress(), b.capacity()))
          .as("buffer of %s lies in the pool", vector.getField())
          .isTrue();
    }
  }

  @Test
  void fixedWidthVectorsWithNullsLiveInPinnedMemory() {
    int n = 100_003;
    try (BigIntVector longs = new BigIntVector("l", allocator);
        IntVector ints = new IntVector("i", allocator);
        DecimalVector decimals = new DecimalVector("d", allocator, 20, 2);
        BitVector bits = new BitVector("b", allocator)) {
      longs.allocateNew(n);
      ints.allocateNew(n);
      decimals.allocateNew(n);
      bits.allocateNew(n);
      for (int r = 0; r < n; r++) {
        if (r % 7 == 3) {
          longs.setNull(r);
          ints.setNull(r);
          decimals.setNull(r);
          bits.setNull(r);
        } else {
          longs.set(r, r * 3_000_000_000L);
          ints.set(r, -r);
          decimals.set(r, BigDecimal.valueOf(r * 31L - 7, 2));
          bits.set(r, r % 3 == 0 ? 1 : 0);
        }
      }
      for (ValueVector v : new ValueVector[] {longs, ints, decimals, bits}) {
        v.setValueCount(n);
        assertPinned(v);
      }
      assertThat(pool.usedBytes()).isGreaterThanOrEqualTo(allocator.getAllocatedMemory());
      for (int r = 0; r < n; r++) {
        if (r % 7 == 3) {
          assertThat(longs.isNull(r) && ints.isNull(r) && decimals.isNull(r) && bits.isNull(r))
              .as("row %d is null", r)
              .isTrue();
        } else {
          assertThat(longs.get(r)).isEqualTo(r * 3_000_000_000L);
          assertThat(ints.get(r)).isEqualTo(-r);
          assertThat(decimals.getObject(r)).isEqualTo(BigDecimal.valueOf(r * 31L - 7, 2));
          assertThat(bits.get(r)).isEqualTo(r % 3 == 0 ? 1 : 0);
        }
      }
    }
    assertThat(allocator.getAllocatedMemory()).isZero();
    assertThat(pool.usedBytes()).isZero();
    assertThat(pool.liveBuffers()).isZero();
  }

  @Test
  void childAllocatorsAndTransfersStayInPinnedMemory() {
    try (BufferAllocator child = allocator.newChildAllocator("operator", 0, 64L << 20);
        BigIntVector source = new BigIntVector("l", allocator);
        BigIntVector target = new BigIntVector("l", child)) {
      source.allocateNew(5000);
      source.set(4999, 42);
      source.setValueCount(5000);
      source.makeTransferPair(target).transfer();
      assertThat(target.get(4999)).isEqualTo(42);
      assertPinned(target);
      assertThat(child.getAllocatedMemory()).isPositive();
      assertThat(allocator.getAllocatedMemory()).isEqualTo(child.getAllocatedMemory());
    }
    assertThat(pool.usedBytes()).isZero();
  }

  @Test
  void aVectorNotClosedFailsTheAllocatorAndThePoolCloseWithAMessage() {
    BigIntVector leaked = new BigIntVector("leaked", allocator);
    leaked.allocateNew(1000);
    assertThatThrownBy(allocator::close)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Memory was leaked");
    assertThatThrownBy(pool::close)
        .isInstanceOfSatisfying(
            TruenoException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
        .hasMessageContaining("'arrow-test' was closed with 1 block(s)")
        .hasMessageContaining("Arrow buffer of ROOT");
    // Arrow refuses to release buffers of a closed allocator, so the block stays pinned (as
    // Arrow's own memory does after a leak): freeing it under the vector could crash the JVM.
    assertThat(pool.liveBuffers()).isEqualTo(1);
    allocator = null;
    pool = null;
  }

  @Test
  void anAllocationOverThePoolsBudgetIsATypedException() {
    allocator.close();
    pool.close();
    pool = newPool("small", 1L << 20);
    allocator = PinnedAllocationManager.rootAllocator(pool, 1L << 30); // Arrow's limit is larger
    try (BigIntVector fits = new BigIntVector("fits", allocator);
        BigIntVector tooBig = new BigIntVector("tooBig", allocator)) {
      fits.allocateNew(50_000);
      long before = allocator.getAllocatedMemory();
      assertThatThrownBy(() -> tooBig.allocateNew(200_000))
          .isInstanceOfSatisfying(
              TruenoException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.MEMORY_EXHAUSTED))
          .hasMessageContaining("Pinned host memory pool 'small' cannot allocate")
          .hasMessageContaining("spark.trueno.gpu.pinnedMemory.bytes");
      // Arrow's own accounting gave the failed request back.
      assertThat(allocator.getAllocatedMemory()).isEqualTo(before);
      assertThat(tooBig.getValueCapacity()).isZero();
    }
    assertThat(allocator.getAllocatedMemory()).isZero();
  }

  @Test
  void buffersOfRepeatedBatchesComeFromTheCache() {
    for (int batch = 0; batch < 20; batch++) {
      try (BigIntVector v = new BigIntVector("l", allocator)) {
        v.allocateNew(1 << 16);
        v.set(0, batch);
      }
    }
    assertThat(pool.usedBytes()).isZero();
    assertThat(pool.peakBytes()).isEqualTo(pool.cachedBytes());
  }
}
