package dev.trueno.spark.exec;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.fault.GpuHealth;
import dev.trueno.gpu.join.GpuJoinBuild;
import dev.trueno.simd.vector.VectorBackend;
import dev.trueno.spark.config.TruenoConf;
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

  /** How the messages of {@link #unrecoverable} start. */
  private static final String UNRECOVERABLE = "The GPU failed in ";

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
    if (GpuHealth.disabled()) {
      // Another task disabled the GPU since this one chose it.
      return cpuBackend().createAggregator(plan, allocator);
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
        allocator,
        replayBytes,
        node,
        () -> failovers.add(1));
  }

  /**
   * The join build for {@code plan} on {@code backend}: on the GPU, a {@link FailoverJoinBuild}
   * that can be rebuilt on the CPU (from at most {@code replayBytes} of kept build batches); on the
   * CPU, the backend's own. For a task's own build only: a broadcast build is shared by tasks.
   */
  static JoinBuild joinBuild(
      Backend backend,
      JoinPlan plan,
      BufferAllocator allocator,
      long budgetBytes,
      long replayBytes,
      SQLMetric failovers,
      String node) {
    if (!(backend instanceof GpuBackend)) {
      return backend.createJoinBuild(plan, allocator, budgetBytes);
    }
    if (GpuHealth.disabled()) {
      // Another task disabled the GPU since this one chose it.
      return cpuBackend().createJoinBuild(plan, allocator, budgetBytes);
    }
    JoinBuild gpu;
    try {
      gpu = backend.createJoinBuild(plan, allocator, budgetBytes);
    } catch (RuntimeException e) {
      GpuHealth.Failure failure = GpuHealth.classify(e);
      if (!failure.isGpuFailure()) {
        throw e;
      }
      recovered(node, failure, e);
      failovers.add(1);
      return cpuBackend().createJoinBuild(plan, allocator, budgetBytes);
    }
    return new FailoverJoinBuild(
        gpu, plan, allocator, budgetBytes, replayBytes, node, () -> failovers.add(1));
  }

  /**
   * The probe of {@code build}: for a {@link FailoverJoinBuild} still on the GPU, a {@link
   * FailoverJoinProbe}; otherwise the probe of the backend that made the build.
   */
  static JoinProbe joinProbe(
      Backend backend, JoinPlan plan, JoinBuild build, BufferAllocator allocator, String node) {
    if (!(build instanceof FailoverJoinBuild failover)) {
      // A GPU build that could not even be created was made on the CPU.
      return backend instanceof GpuBackend && !(build instanceof GpuJoinBuild)
          ? cpuBackend().createJoinProbe(plan, build, allocator)
          : backend.createJoinProbe(plan, build, allocator);
    }
    if (failover.onCpu()) {
      return cpuBackend().createJoinProbe(plan, failover.active(), allocator);
    }
    JoinProbe gpu;
    try {
      gpu = backend.createJoinProbe(plan, failover.active(), allocator);
    } catch (RuntimeException e) {
      failover.failOver(e, "the probe");
      return cpuBackend().createJoinProbe(plan, failover.active(), allocator);
    }
    return new FailoverJoinProbe(gpu, plan, failover, allocator, node);
  }

  /**
   * The error a task fails with after {@code e}: unchanged when it is not a GPU failure, is a
   * MEMORY_EXHAUSTED error (whose message names the budget to raise) or already says why the work
   * could not finish on the CPU; otherwise {@link #unrecoverable} with {@code whyNotOnCpu}.
   */
  static RuntimeException failTask(String node, RuntimeException e, String whyNotOnCpu) {
    GpuHealth.Failure failure = GpuHealth.classify(e);
    if (!failure.isGpuFailure()
        || (e instanceof TruenoException t
            && (t.code() == ErrorCode.MEMORY_EXHAUSTED
                || t.getMessage().contains(UNRECOVERABLE)))) {
      return e;
    }
    return unrecoverable(node, failure, e, whyNotOnCpu);
  }

  /**
   * The backend choice that {@code backend} stands for: a GPU choice runs on a CPU backend where
   * the GPU is unavailable or was disabled, and shared builds must not mix the two.
   */
  static Backends.Choice actualChoice(Backend backend) {
    if (backend instanceof GpuBackend) {
      return Backends.Choice.GPU;
    }
    return backend instanceof VectorBackend ? Backends.Choice.SIMD : Backends.Choice.SCALAR;
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
   * Why kept input cannot be replayed: {@code what} outgrew the replay budget, or the replay is
   * disabled; the reason names {@code spark.trueno.gpu.failover.replayBytes}.
   */
  static String notKept(String what, long replayBudget) {
    String key = TruenoConf.GPU_FAILOVER_REPLAY_BYTES.key();
    return replayBudget > 0
        ? "its "
            + what
            + " outgrew the replay budget "
            + key
            + " ("
            + replayBudget
            + " bytes; raise it to let tasks finish on the CPU)"
        : "the replay is disabled (" + key + "=0)";
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
        UNRECOVERABLE
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
