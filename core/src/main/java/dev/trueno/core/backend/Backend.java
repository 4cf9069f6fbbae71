package dev.trueno.core.backend;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.plan.JoinPlan;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A compute backend (scalar reference, Vector API, CUDA). Backends are stateless factories; the
 * operators they create hold the state and are closed by their owner.
 */
public interface Backend {

  /** A short name for explain output and metrics: {@code scalar}, {@code simd}, {@code gpu}. */
  String name();

  /**
   * Why this backend cannot run here, or null when it can. A backend that cannot run is never asked
   * to create operators.
   */
  default String unavailableReason() {
    return null;
  }

  /**
   * Why this backend cannot run the plan, or null when it can. Operators check this at planning
   * time so that an unsupported plan stays on Spark with this reason.
   */
  String unsupportedReason(AggregatePlan plan);

  /**
   * Creates an aggregator for the plan. Result batches are allocated from {@code allocator}, a
   * child allocator the caller owns and limits.
   */
  Aggregator createAggregator(AggregatePlan plan, BufferAllocator allocator);

  /**
   * Why this backend cannot run the join, or null when it can. Checked at planning time, like
   * {@link #unsupportedReason(AggregatePlan)}; a backend without joins says so.
   */
  default String unsupportedReason(JoinPlan plan) {
    return "the " + name() + " backend does not run joins";
  }

  /**
   * Creates the build side of a join, holding at most {@code budgetBytes} (the retained build
   * columns and the hash table). Its memory comes from {@code allocator}, which the caller owns and
   * which must outlive the build.
   */
  default JoinBuild createJoinBuild(JoinPlan plan, BufferAllocator allocator, long budgetBytes) {
    throw new TruenoException(ErrorCode.UNSUPPORTED, unsupportedReason(plan));
  }

  /**
   * Creates a probe of {@code build}, a finished build of this backend for the same plan. Output
   * batches are allocated from {@code allocator}, a child allocator the caller owns and limits.
   */
  default JoinProbe createJoinProbe(JoinPlan plan, JoinBuild build, BufferAllocator allocator) {
    throw new TruenoException(ErrorCode.UNSUPPORTED, unsupportedReason(plan));
  }
}
