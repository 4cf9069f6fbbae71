package dev.trueno.gpu.memory;

import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ReferenceManager;
import org.apache.arrow.memory.RootAllocator;

/**
 * An Arrow allocation backed by a block of a {@link PinnedMemoryPool}, so that vectors allocated
 * from a {@link #rootAllocator pinned root allocator} can be copied to the device by DMA without a
 * host-side staging copy.
 *
 * <p>Arrow keeps its own accounting (limits, child allocators, leak reports on close) on top: the
 * manager reports the size Arrow asked for, while the pool accounts the whole pages it pinned.
 */
public final class PinnedAllocationManager extends AllocationManager {
  /** Arrow's empty buffer (no memory, no reference counting), shared by every pinned allocator. */
  private static final ArrowBuf EMPTY = new ArrowBuf(ReferenceManager.NO_OP, null, 0, 0);

  private final PinnedBuffer block;
  private final long size;

  private PinnedAllocationManager(
      BufferAllocator accountingAllocator, PinnedBuffer block, long size) {
    super(accountingAllocator);
    this.block = block;
    this.size = size;
  }

  /** A factory for Arrow's {@code allocationManagerFactory} that allocates from {@code pool}. */
  public static AllocationManager.Factory factory(PinnedMemoryPool pool) {
    return new Factory() {
      @Override
      public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        PinnedBuffer block =
            pool.allocate(size, "Arrow buffer of " + accountingAllocator.getName());
        try {
          return new PinnedAllocationManager(accountingAllocator, block, size);
        } catch (RuntimeException | Error e) {
          block.close();
          throw e;
        }
      }

      @Override
      public ArrowBuf empty() {
        return EMPTY;
      }

      @Override
      public String toString() {
        return "Arrow allocations from " + pool;
      }
    };
  }

  /**
   * A factory that allocates from the pool {@code pool} supplies (null: none yet) while it has
   * room, and otherwise from {@code ordinary} (Arrow's usual manager, e.g. Netty's). One JVM-wide
   * root allocator can so serve both: its buffers become pinned once a GPU is in use, and running
   * out of pinned memory costs speed (a staging copy before the DMA), never a failed allocation.
   */
  public static AllocationManager.Factory pinnedWhenAvailable(
      java.util.function.Supplier<PinnedMemoryPool> pool, AllocationManager.Factory ordinary) {
    return new Factory() {
      @Override
      public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        PinnedMemoryPool p = pool.get();
        if (p != null && size > 0) {
          try {
            PinnedBuffer block =
                p.allocate(size, "Arrow buffer of " + accountingAllocator.getName());
            try {
              return new PinnedAllocationManager(accountingAllocator, block, size);
            } catch (RuntimeException | Error e) {
              block.close();
              throw e;
            }
          } catch (dev.trueno.core.error.TruenoException e) {
            if (e.code() != dev.trueno.core.error.ErrorCode.MEMORY_EXHAUSTED) {
              throw e;
            }
            // Over the pinned budget: ordinary memory, staged by the transfer queue.
          }
        }
        return ordinary.create(accountingAllocator, size);
      }

      @Override
      public ArrowBuf empty() {
        return ordinary.empty();
      }

      @Override
      public String toString() {
        return "Arrow allocations pinned when a GPU is in use, else " + ordinary;
      }
    };
  }

  /**
   * A root allocator whose buffers live in {@code pool}'s pinned memory, limited to {@code
   * maxAllocation} bytes; close it (after every child and vector) before the pool. An allocation
   * the pool cannot serve fails with the pool's MEMORY_EXHAUSTED {@code TruenoException}.
   */
  public static RootAllocator rootAllocator(PinnedMemoryPool pool, long maxAllocation) {
    return new RootAllocator(
        RootAllocator.configBuilder()
            .allocationManagerFactory(factory(pool))
            .maxAllocation(maxAllocation)
            .build());
  }

  @Override
  public long getSize() {
    return size;
  }

  @Override
  protected long memoryAddress() {
    return block.address();
  }

  @Override
  protected void release0() {
    block.close();
  }
}
