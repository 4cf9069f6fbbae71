package dev.trueno.spark.exec;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.fault.GpuHealth;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an operator does when the GPU fails under it: finish the work on the CPU where the input can
 * still be replayed, disable the GPU for this executor after a sticky CUDA error, and otherwise
 * fail the task with a message that says what happened and what Spark's retry will do.
 */
final class GpuFailover {
  private static final Logger LOG = LoggerFactory.getLogger(GpuFailover.class);

  private GpuFailover() {}

  /**
   * The aggregator for {@code plan} on {@code backend}: on the GPU, one that finishes on the best
   * CPU backend after a GPU failure (a {@link FailoverAggregator} replaying at most {@code
   * replayBytes} of input); on the CPU, the backend's own.
   */
  static Aggregator aggregator(
      Backend backend,
      AggregatePlan plan,
      BufferAllocator allocator,
      long replayBytes,
      SQLMetric failovers,
      String node) {
    if (!(backend instanceof GpuBackend)) {
      return backend.createAggregator(plan, allocator);
    }
    Aggregator gpu;
    try {
      gpu = backend.createAggregator(plan, allocator);
    } catch (RuntimeException e) {
      GpuHealth.Failure failure = GpuHealth.classify(e);
      if (!failure.isGpuFailure()) {
        throw e;
      }
      recovered(node, failure, e);
      failovers.add(1);
      return cpuBackend().createAggregator(plan, allocator);
    }
    return new FailoverAggregator(
        gpu,
        () -> cpuBackend().createAggregator(plan, allocator),
        replayBytes,
        node,
        () -> failovers.add(1));
  }

  /** The best CPU backend of this JVM, which finishes what the GPU could not. */
  static Backend cpuBackend() {
    return Backends.create(Backends.cpu(false), null);
  }

  /**
   * Records a GPU failure that the operator recovers from on the CPU: disables the GPU when the
   * error is sticky and logs a warning.
   */
  static void recovered(String node, GpuHealth.Failure failure, Throwable cause) {
    disableIfSticky(node, failure);
    LOG.warn("Trueno finished {} on the CPU after a GPU failure: {}", node, cause.toString());
  }

  /**
   * The error for a GPU failure the operator cannot recover from: it says that the GPU failed,
   * whether the GPU is now disabled on this executor, why the work could not finish on the CPU, and
   * what Spark's retry of the task will do. Disables the GPU first when the error is sticky.
   */
  static TruenoException unrecoverable(
      String node, GpuHealth.Failure failure, Throwable cause, String whyNotOnCpu) {
    disableIfSticky(node, failure);
    String retry =
        GpuHealth.disabled()
            ? "the GPU is now disabled on this executor, so Spark's retry of the task runs on the"
                + " CPU"
            : "the GPU stays enabled on this executor (the error is not sticky) and Spark retries"
                + " the task";
    return new TruenoException(
        ErrorCode.INTERNAL,
        "The GPU failed in "
            + node
            + " ("
            + failure.error()
            + ") and the work cannot finish on the CPU in this task because "
            + whyNotOnCpu
            + "; "
            + retry,
        cause);
  }

  private static void disableIfSticky(String node, GpuHealth.Failure failure) {
    if (failure.sticky()) {
      GpuHealth.disable(failure.error(), node);
    }
  }
}
