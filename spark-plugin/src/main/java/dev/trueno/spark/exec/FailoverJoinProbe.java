package dev.trueno.spark.exec;

import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.gpu.fault.GpuHealth;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A GPU probe of a {@link FailoverJoinBuild} that finishes on the CPU after a GPU failure.
 *
 * <p>It takes over the current probe batch's buffers (the probe contract allows it) and gives the
 * GPU a slice, so the batch can be probed again. On a GPU failure in {@link #probe}, or in {@link
 * #next} before any output of the current batch was returned, it closes the GPU probe, has the
 * build rebuilt on the CPU from its kept batches, and probes the current batch and the rest there.
 * It cannot when output of the current batch was already returned, or when the join tracks build
 * matches (an outer join preserving the build side, a semi/anti join building its left side) and an
 * earlier probe batch completed: those matches live on the GPU. Then the task fails with a message
 * saying so.
 */
final class FailoverJoinProbe implements JoinProbe {
  private final JoinPlan plan;
  private final FailoverJoinBuild build;
  private final BufferAllocator allocator;
  private final String node;
  private JoinProbe active;
  private VectorSchemaRoot current;
  private VectorSchemaRoot currentSlice;
  private boolean emitted;
  private boolean batchCompleted;
  private boolean finishing;

  /** A probe that runs {@code gpu}, a GPU probe of {@code build}'s GPU build, with failover. */
  FailoverJoinProbe(
      JoinProbe gpu,
      JoinPlan plan,
      FailoverJoinBuild build,
      BufferAllocator allocator,
      String node) {
    this.active = gpu;
    this.plan = plan;
    this.build = build;
    this.allocator = allocator;
    this.node = node;
  }

  @Override
  public void probe(VectorSchemaRoot batch) {
    releaseCurrent();
    emitted = false;
    if (build.onCpu()) {
      active.probe(batch);
      return;
    }
    current = ArrowInput.takeOver(batch, allocator);
    currentSlice = current.slice(0, current.getRowCount());
    try {
      active.probe(currentSlice);
    } catch (RuntimeException e) {
      failOver(e);
    }
  }

  @Override
  public VectorSchemaRoot next(int maxRows) {
    VectorSchemaRoot out;
    if (build.onCpu()) {
      out = active.next(maxRows);
    } else {
      try {
        out = active.next(maxRows);
      } catch (RuntimeException e) {
        if (emitted) {
          throw unrecoverable(e, "output of the current probe batch was already handed to Spark");
        }
        failOver(e);
        out = active.next(maxRows);
      }
    }
    if (out == null) {
      batchCompleted = true;
      releaseCurrent();
    } else {
      emitted = true;
    }
    return out;
  }

  @Override
  public VectorSchemaRoot finish(int maxRows) {
    if (build.onCpu()) {
      return active.finish(maxRows);
    }
    boolean first = !finishing;
    finishing = true;
    try {
      return active.finish(maxRows);
    } catch (RuntimeException e) {
      if (!first || plan.tracksBuildMatches()) {
        throw unrecoverable(
            e, "the join's unmatched build rows were being returned from the GPU's match state");
      }
      // Nothing of the build alone is returned for this join type: the CPU's finish is empty.
      failOver(e);
      return active.finish(maxRows);
    }
  }

  /** Moves the probe to the CPU and probes the current batch again there. */
  private void failOver(RuntimeException e) {
    GpuHealth.Failure failure = GpuHealth.classify(e);
    if (!failure.isGpuFailure()) {
      throw e;
    }
    if (plan.tracksBuildMatches() && batchCompleted) {
      throw unrecoverable(
          e, "the build side's matches of the probe batches before this one are on the GPU");
    }
    try {
      active.close();
    } catch (RuntimeException secondary) {
      e.addSuppressed(secondary);
    }
    active = null;
    build.failOver(e, "the probe");
    active = GpuFailover.cpuBackend().createJoinProbe(plan, build.active(), allocator);
    if (current != null && !finishing) {
      active.probe(current);
    }
  }

  private RuntimeException unrecoverable(RuntimeException e, String whyNotOnCpu) {
    GpuHealth.Failure failure = GpuHealth.classify(e);
    return failure.isGpuFailure() ? GpuFailover.unrecoverable(node, failure, e, whyNotOnCpu) : e;
  }

  private void releaseCurrent() {
    VectorSchemaRoot slice = currentSlice;
    VectorSchemaRoot batch = current;
    currentSlice = null;
    current = null;
    try {
      if (slice != null) {
        slice.close();
      }
    } finally {
      if (batch != null) {
        batch.close();
      }
    }
  }

  @Override
  public long probeRows() {
    return active.probeRows();
  }

  @Override
  public void close() {
    try {
      releaseCurrent();
    } finally {
      if (active != null) {
        active.close();
      }
    }
  }
}
