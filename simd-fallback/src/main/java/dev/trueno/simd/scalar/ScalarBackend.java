package dev.trueno.simd.scalar;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.plan.JoinPlan;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The scalar reference backend: evaluates plans one row at a time with Spark's exact semantics. It
 * is the oracle the SIMD and GPU backends are tested against, and the fallback of last resort.
 */
public final class ScalarBackend implements Backend {

  /** Creates the backend; it holds no state. */
  public ScalarBackend() {}

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public String unsupportedReason(AggregatePlan plan) {
    return SupportCheck.unsupportedReason(plan);
  }

  @Override
  public Aggregator createAggregator(AggregatePlan plan, BufferAllocator allocator) {
    String reason = unsupportedReason(plan);
    if (reason != null) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED, "The scalar backend cannot run this aggregation: " + reason);
    }
    return new HashAggregator(plan, allocator);
  }

  /** Every join whose keys and condition the reference evaluator reproduces exactly. */
  @Override
  public String unsupportedReason(JoinPlan plan) {
    return SupportCheck.unsupportedReason(plan);
  }

  @Override
  public JoinBuild createJoinBuild(JoinPlan plan, BufferAllocator allocator, long budgetBytes) {
    String reason = unsupportedReason(plan);
    if (reason != null) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED, "The scalar backend cannot run this join: " + reason);
    }
    return new ScalarJoinBuild(plan, allocator, budgetBytes);
  }

  @Override
  public JoinProbe createJoinProbe(JoinPlan plan, JoinBuild build, BufferAllocator allocator) {
    if (!(build instanceof ScalarJoinBuild b) || !b.plan.equals(plan)) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The scalar backend can only probe a join build it created for the same plan");
    }
    b.startProbe();
    return new ScalarJoinProbe(b, allocator);
  }
}
