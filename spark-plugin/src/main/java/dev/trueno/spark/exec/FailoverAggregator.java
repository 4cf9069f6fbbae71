package dev.trueno.spark.exec;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.gpu.fault.GpuHealth;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A GPU aggregator that finishes on the CPU when the GPU fails under it.
 *
 * <p>It keeps every input batch (taking over its buffers, no copy) while their total stays within a
 * replay budget ({@code spark.trueno.gpu.failover.replayBytes}) and passes the GPU a slice of each,
 * so the batches stay readable after the GPU took over the slice's buffers. When the GPU fails with
 * a GPU failure ({@link GpuHealth#classify}) in {@link #consume} or before the first result batch
 * was handed out, it closes the GPU aggregator, replays the kept batches into a CPU aggregator and
 * continues there; a sticky CUDA error also disables the GPU on this executor. Beyond the budget it
 * frees the kept batches and stops keeping them: a later GPU failure then fails the task with a
 * message that says so, as does a failure after results were handed out (they cannot be taken
 * back).
 */
final class FailoverAggregator implements Aggregator {
  private final Supplier<Aggregator> cpuAggregator;
  // The task's allocator: kept batches move into it, so they count against the task's budget and
  // not against the allocator of the operator that produced them (the scan's, which may close
  // first when the task ends).
  private final BufferAllocator allocator;
  private final long replayBudget;
  private final String node;
  private final Runnable onFailover;
  private final List<VectorSchemaRoot> kept = new ArrayList<>();
  private long keptBytes;
  private boolean keeping;
  private Aggregator active;
  private boolean onGpu = true;
  private boolean resultsHandedOut;

  /**
   * An aggregator that runs {@code gpu} and finishes on the CPU after a GPU failure.
   *
   * @param gpu the GPU aggregator; closed by this one
   * @param cpuAggregator makes the CPU aggregator that finishes after a GPU failure
   * @param replayBudget the most bytes of input kept for a replay (0: none, failures fail the task)
   * @param node the operator, for messages
   * @param onFailover called once when the work moves to the CPU (counts the metric)
   */
  FailoverAggregator(
      Aggregator gpu,
      Supplier<Aggregator> cpuAggregator,
      BufferAllocator allocator,
      long replayBudget,
      String node,
      Runnable onFailover) {
    this.active = gpu;
    this.cpuAggregator = cpuAggregator;
    this.allocator = allocator;
    this.replayBudget = replayBudget;
    this.node = node;
    this.onFailover = onFailover;
    this.keeping = replayBudget > 0;
  }

  /** True once the work moved to the CPU. */
  boolean failedOver() {
    return !onGpu;
  }

  @Override
  public void consume(VectorSchemaRoot batch) {
    if (!onGpu) {
      active.consume(batch);
      return;
    }
    VectorSchemaRoot input = batch;
    boolean sliced = false;
    if (keeping && batch.getRowCount() > 0) {
      long bytes = ArrowInput.bytes(batch);
      if (keptBytes + bytes <= replayBudget) {
        VectorSchemaRoot own = ArrowInput.takeOver(batch, allocator);
        kept.add(own);
        keptBytes += bytes;
        input = own.slice(0, own.getRowCount());
        sliced = true;
      } else {
        stopKeeping();
      }
    }
    try {
      active.consume(input);
    } catch (RuntimeException e) {
      // The failed batch is among the kept ones when the replay is possible at all.
      failOver(e);
    } finally {
      if (sliced) {
        input.close();
      }
    }
  }

  @Override
  public VectorSchemaRoot nextResult(int maxRows) {
    if (onGpu && !resultsHandedOut) {
      try {
        VectorSchemaRoot result = active.nextResult(maxRows);
        resultsHandedOut = true;
        // From here on no failure can be replayed: the kept input is not needed any more.
        releaseKept();
        keeping = false;
        return result;
      } catch (RuntimeException e) {
        failOver(e);
      }
    }
    if (onGpu) {
      try {
        return active.nextResult(maxRows);
      } catch (RuntimeException e) {
        GpuHealth.Failure failure = GpuHealth.classify(e);
        if (!failure.isGpuFailure()) {
          throw e;
        }
        throw GpuFailover.unrecoverable(
            node, failure, e, "result batches were already handed to Spark");
      }
    }
    return active.nextResult(maxRows);
  }

  @Override
  public long inputRows() {
    return active.inputRows();
  }

  @Override
  public void close() {
    try {
      releaseKept();
    } finally {
      if (active != null) {
        active.close();
      }
    }
  }

  /** Moves the work to the CPU after {@code e}, or rethrows when that is not possible. */
  private void failOver(RuntimeException e) {
    GpuHealth.Failure failure = GpuHealth.classify(e);
    if (!failure.isGpuFailure()) {
      throw e;
    }
    if (!keeping) {
      // The owner closes the GPU aggregator with this one when the task ends.
      throw GpuFailover.unrecoverable(node, failure, e, GpuFailover.notKept("input", replayBudget));
    }
    closeQuietly(active, e);
    // Null until the CPU aggregator exists, so that close() cannot close the GPU's twice.
    active = null;
    onGpu = false;
    GpuFailover.recovered(node, failure, e);
    onFailover.run();
    active = cpuAggregator.get();
    keeping = false;
    for (VectorSchemaRoot batch : kept) {
      active.consume(batch);
    }
    releaseKept();
  }

  private static void closeQuietly(Aggregator aggregator, Throwable primary) {
    try {
      aggregator.close();
    } catch (RuntimeException secondary) {
      primary.addSuppressed(secondary);
    }
  }

  private void stopKeeping() {
    keeping = false;
    releaseKept();
  }

  private void releaseKept() {
    RuntimeException error = null;
    for (VectorSchemaRoot b : kept) {
      try {
        b.close();
      } catch (RuntimeException e) {
        error = error == null ? e : error;
      }
    }
    kept.clear();
    keptBytes = 0;
    if (error != null) {
      throw error;
    }
  }
}
