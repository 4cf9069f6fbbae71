package dev.trueno.gpu.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.morsel.Morsel;
import dev.trueno.gpu.memory.PinnedAllocationManager;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import dev.trueno.gpu.memory.TestPinnedPools;
import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.junit.jupiter.api.Test;

/**
 * The zero-copy plan carried out on the host (the DMA copies replaced by memory copies): the device
 * buffer gets exactly the bytes that staging everything gives, whatever the batch and morsel sizes
 * (so slices start at rows that are not multiples of 8), and the values lying in pinned memory do
 * go direct.
 */
class CopyPlanTest {
  /** What the device buffer would hold after the plan's copies. */
  private static ByteBuffer carryOut(Morsel morsel, List<ColumnLayout> layout, CopyPlan plan) {
    ByteBuffer device = ByteBuffer.allocateDirect((int) ColumnLayout.totalBytes(layout));
    ByteBuffer staging = ByteBuffer.allocateDirect((int) Math.max(1, plan.stagingBytes()));
    long stagingAddress = MemoryUtil.getByteBufferAddress(staging);
    long deviceAddress = MemoryUtil.getByteBufferAddress(device);
    HostStaging.write(morsel.slices(), layout, plan, stagingAddress, staging.capacity());
    for (CopyPlan.Staged run : plan.staged()) {
      MemoryUtil.copyMemory(
          stagingAddress + run.stagingOffset(), deviceAddress + run.deviceOffset(), run.bytes());
    }
    for (CopyPlan.Direct piece : plan.direct()) {
      MemoryUtil.copyMemory(
          piece.hostAddress(), deviceAddress + piece.deviceOffset(), piece.bytes());
    }
    return device;
  }

  /** Compares the data regions (validity and values of every column), not the padding. */
  static void assertSameData(ByteBuffer actual, ByteBuffer expected, List<ColumnLayout> layout) {
    for (ColumnLayout c : layout) {
      assertThat(region(actual, c.validityOffset(), c.validityBytes()))
          .as("validity of %s", c.name())
          .isEqualTo(region(expected, c.validityOffset(), c.validityBytes()));
      assertThat(region(actual, c.valuesOffset(), c.valuesBytes()))
          .as("values of %s", c.name())
          .isEqualTo(region(expected, c.valuesOffset(), c.valuesBytes()));
    }
  }

  static ByteBuffer region(ByteBuffer b, long offset, long bytes) {
    return b.slice((int) offset, (int) bytes);
  }

  /** Checks every morsel (and closes it); {@code expectDirect} null: either way. */
  private static void check(List<Morsel> morsels, PinnedMemoryPool pinned, Boolean expectDirect) {
    long direct = 0;
    for (Morsel m : morsels) {
      try (m) {
        List<ColumnLayout> layout = ColumnLayout.of(m.slices());
        ByteBuffer expected = ByteBuffer.allocateDirect((int) ColumnLayout.totalBytes(layout));
        HostStaging.write(m.slices(), layout, expected);
        CopyPlan plan = CopyPlan.of(m.slices(), layout, pinned);
        assertThat(plan.stagingBytes() + plan.directBytes())
            .isLessThanOrEqualTo(ColumnLayout.totalBytes(layout));
        assertSameData(carryOut(m, layout, plan), expected, layout);
        direct += plan.directBytes();
      }
    }
    if (Boolean.TRUE.equals(expectDirect)) {
      assertThat(direct).as("bytes copied direct").isPositive();
    } else if (Boolean.FALSE.equals(expectDirect)) {
      assertThat(direct).as("bytes copied direct").isZero();
    }
  }

  @Property(tries = 25)
  void theZeroCopyPlanMovesTheSameBytesAsStaging(
      @ForAll @IntRange(min = 300, max = 40_000) int batchRows,
      @ForAll @IntRange(min = 50_000, max = 2_000_000) int morselBytes) {
    try (PinnedMemoryPool pool = TestPinnedPools.unpinned("plan", 1L << 30)) {
      try (BufferAllocator allocator = PinnedAllocationManager.rootAllocator(pool, 1L << 30)) {
        check(TestBatches.of(allocator, 150_000, batchRows, morselBytes), pool, null);
      }
    }
  }

  @Test
  void largeSlicesOfPinnedBatchesGoDirectAndTheRestIsStaged() {
    try (PinnedMemoryPool pool = TestPinnedPools.unpinned("plan", 1L << 30);
        BufferAllocator allocator = PinnedAllocationManager.rootAllocator(pool, 1L << 30)) {
      // 30,001-row batches: bigint slices of up to 240 KB, above the direct threshold.
      List<Morsel> morsels = TestBatches.of(allocator, 200_000, 30_001, 700_000);
      Morsel first = morsels.get(0);
      List<ColumnLayout> layout = ColumnLayout.of(first.slices());
      CopyPlan plan = CopyPlan.of(first.slices(), layout, pool);
      assertThat(plan.direct()).isNotEmpty();
      assertThat(plan.direct())
          .allSatisfy(d -> assertThat(d.bytes()).isGreaterThanOrEqualTo(CopyPlan.DIRECT_MIN_BYTES));
      // Bitmaps are always staged.
      for (ColumnLayout c : layout) {
        assertThat(plan.stagingPosition(c.validityOffset())).isNotNegative();
      }
      check(morsels, pool, true);
    }
  }

  @Test
  void batchesOutsideThePinnedPoolAreStagedWhole() {
    try (PinnedMemoryPool pool = TestPinnedPools.unpinned("plan", 1L << 30);
        BufferAllocator allocator = new RootAllocator(1L << 30)) {
      List<Morsel> morsels = TestBatches.of(allocator, 200_000, 30_001, 700_000);
      Morsel first = morsels.get(0);
      List<ColumnLayout> layout = ColumnLayout.of(first.slices());
      CopyPlan plan = CopyPlan.of(first.slices(), layout, pool);
      assertThat(plan.staged()).hasSize(1);
      assertThat(plan.staged().get(0).deviceOffset()).isZero();
      assertThat(plan.stagingPosition(12345)).isEqualTo(12345);
      check(morsels, pool, false);
    }
  }
}
