package dev.trueno.simd.vector;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.simd.scalar.ScalarBackend;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The vectorized CPU backend: column-at-a-time evaluation over primitive arrays and Arrow buffers,
 * with the Java Vector API ({@code jdk.incubator.vector}) for hashing and reductions. Results are
 * identical to the {@link ScalarBackend} reference, errors included.
 *
 * <p>This class never touches the Vector API itself, so it loads and answers {@link
 * #unavailableReason()} in a JVM started without the incubator module; the classes that use the
 * module are loaded only when an aggregator is created.
 */
public final class VectorBackend implements Backend {
  private static final String MODULE = "jdk.incubator.vector";
  private static final String REASON =
      "The Java Vector API is not enabled in this JVM: start it with --add-modules="
          + MODULE
          + " (for Spark, add it to spark.driver.extraJavaOptions and"
          + " spark.executor.extraJavaOptions); Trueno uses the scalar backend meanwhile";

  private final ScalarBackend reference = new ScalarBackend();

  /** Creates the backend; it holds no state. */
  public VectorBackend() {}

  @Override
  public String name() {
    return "simd";
  }

  @Override
  public String unavailableReason() {
    return ModuleLayer.boot().findModule(MODULE).isPresent() ? null : REASON;
  }

  /** Plans the reference can run exactly, the vectorized backend runs too (same semantics). */
  @Override
  public String unsupportedReason(AggregatePlan plan) {
    String unavailable = unavailableReason();
    return unavailable != null ? unavailable : reference.unsupportedReason(plan);
  }

  @Override
  public Aggregator createAggregator(AggregatePlan plan, BufferAllocator allocator) {
    String reason = unsupportedReason(plan);
    if (reason != null) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED, "The simd backend cannot run this aggregation: " + reason);
    }
    return new VectorHashAggregator(plan, allocator);
  }

  /**
   * Joins the reference runs exactly, with 1 to 4 keys (what the vectorized hash table holds); the
   * condition and expression keys are evaluated like the reference's.
   */
  @Override
  public String unsupportedReason(JoinPlan plan) {
    String unavailable = unavailableReason();
    if (unavailable != null) {
      return unavailable;
    }
    String reason = reference.unsupportedReason(plan);
    if (reason != null) {
      return reason;
    }
    if (plan.leftKeys().size() > 4) {
      return "the simd join hash table takes 1 to 4 keys, this join has " + plan.leftKeys().size();
    }
    return null;
  }

  @Override
  public JoinBuild createJoinBuild(JoinPlan plan, BufferAllocator allocator, long budgetBytes) {
    String reason = unsupportedReason(plan);
    if (reason != null) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED, "The simd backend cannot run this join: " + reason);
    }
    return new VectorJoinBuild(plan, allocator, budgetBytes);
  }

  @Override
  public JoinProbe createJoinProbe(JoinPlan plan, JoinBuild build, BufferAllocator allocator) {
    if (!(build instanceof VectorJoinBuild b) || !b.plan.equals(plan)) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "The simd backend can only probe a join build it created for the same plan");
    }
    b.startProbe();
    return new VectorJoinProbe(b, allocator);
  }
}
