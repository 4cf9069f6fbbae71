package dev.trueno.spark.exec;

import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.memory.PinnedAllocationManager;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.netty.NettyAllocationManager;

/**
 * The one Arrow root allocator of this JVM. Operators never allocate from it directly: each task
 * takes a child allocator with a limit and closes it when the task ends, so a leak fails that task
 * with Arrow's report instead of growing silently.
 *
 * <p>Public because the scan ({@code dev.trueno.spark.scan}) allocates its batches here too:
 * buffers can change owner without a copy ({@code TransferPair.transfer}) only between allocators
 * of one root, and operators take over the scan's buffers that way.
 */
public final class ArrowMemory {
  // Pinned (page-locked) memory once a GPU backend started on this executor and while its pinned
  // budget lasts, ordinary memory otherwise: one root either way, so buffers still change owner
  // without a copy, and batches from the scan or the row conversion reach the GPU by DMA.
  private static final RootAllocator ROOT =
      new RootAllocator(
          RootAllocator.configBuilder()
              .allocationManagerFactory(
                  PinnedAllocationManager.pinnedWhenAvailable(
                      GpuBackend::pinnedPoolIfStarted, NettyAllocationManager.FACTORY))
              .maxAllocation(Long.MAX_VALUE)
              .build());

  private ArrowMemory() {}

  /** A child allocator for one task of one operator, limited to {@code limitBytes}. */
  public static BufferAllocator forTask(String operator, long taskAttemptId, long limitBytes) {
    return ROOT.newChildAllocator(operator + "-task-" + taskAttemptId, 0, limitBytes);
  }

  /**
   * A child allocator for memory shared by several tasks of one executor (a broadcast join's
   * build), limited to {@code limitBytes}; its owner closes it when the last task is done with it.
   */
  static BufferAllocator forShared(String name, long limitBytes) {
    return ROOT.newChildAllocator(name, 0, limitBytes);
  }

  /**
   * The bytes allocated now from the root and all its children: back to its earlier value once
   * every task that allocated since has ended, which is how tests check that failures leak nothing.
   */
  public static long allocatedBytes() {
    return ROOT.getAllocatedMemory();
  }
}
