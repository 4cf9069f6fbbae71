package dev.trueno.spark.exec;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

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
  private static final RootAllocator ROOT = new RootAllocator(Long.MAX_VALUE);

  private ArrowMemory() {}

  /** A child allocator for one task of one operator, limited to {@code limitBytes}. */
  public static BufferAllocator forTask(String operator, long taskAttemptId, long limitBytes) {
    return ROOT.newChildAllocator(operator + "-task-" + taskAttemptId, 0, limitBytes);
  }

  /**
   * The bytes allocated now from the root and all its children: back to its earlier value once
   * every task that allocated since has ended, which is how tests check that failures leak nothing.
   */
  public static long allocatedBytes() {
    return ROOT.getAllocatedMemory();
  }
}
