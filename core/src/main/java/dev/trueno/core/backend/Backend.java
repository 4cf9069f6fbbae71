package dev.trueno.core.backend;

import dev.trueno.core.plan.AggregatePlan;
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
}
