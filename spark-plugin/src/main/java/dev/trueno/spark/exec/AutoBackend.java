package dev.trueno.spark.exec;

import dev.trueno.core.cost.OperatorEstimate;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.core.plan.AggregatePlan;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;

/**
 * A node whose partitions choose between the GPU and a CPU backend at run time by the 5x rule
 * ({@code spark.trueno.backend=AUTO} over a plan the GPU backend can run).
 *
 * @param atPlanning the rule's line at planning, from Spark's size estimate of the node's input
 *     (rows, all columns) and the driver's profile, e.g. {@code gpu: simd 1.20 s > 5.0 x transfer
 *     0.10 s (...)}; shown in explain output, while each partition decides again from its own
 *     batches
 */
public record AutoBackend(String atPlanning) implements Serializable {

  /** Names of the SQL metrics every node with a rule-chosen backend has. */
  static final String GPU_PARTITIONS = "gpuPartitions";

  static final String CPU_PARTITIONS = "cpuPartitions";
  static final String ESTIMATED_CPU_TIME = "estimatedCpuTime";
  static final String ESTIMATED_TRANSFER_TIME = "estimatedTransferTime";

  /**
   * The node's rule at planning, priced on the driver from Spark's size estimates of its inputs.
   *
   * @param phases the estimates, or null when Spark has no size estimate
   */
  static AutoBackend atPlanning(
      CostSettings settings, Backends.Choice cpu, List<OperatorEstimate> phases) {
    if (phases == null) {
      return new AutoBackend("no size estimate");
    }
    dev.trueno.core.cost.Decision d = PartitionDecisions.price(settings, cpu, phases);
    boolean priced = d.gpu() || d.cpuSeconds() > 0;
    return new AutoBackend(d.explain() + (priced ? " [from Spark's row size estimate]" : ""));
  }

  /**
   * An aggregation's rule at planning.
   *
   * @param inputSize Spark's estimate of the input's bytes, or null
   */
  public static AutoBackend forAggregate(
      CostSettings settings, Backends.Choice cpu, AggregatePlan plan, Long inputSize) {
    OperatorKind kind =
        plan.groupingKeys().isEmpty() ? OperatorKind.REDUCTION : OperatorKind.HASH_AGGREGATE;
    return atPlanning(
        settings,
        cpu,
        inputSize == null
            ? null
            : List.of(OperatorEstimate.of(kind, inputSize, 0, PartitionDecisions.pinnedInput())));
  }

  /**
   * A join's rule at planning: the probe side for a broadcast join (its build is shared by the
   * executor's tasks), both sides for a shuffled one.
   *
   * @param buildSize Spark's estimate of the build side's bytes, or null
   * @param probeSize Spark's estimate of the probe side's bytes, or null
   */
  public static AutoBackend forJoin(
      CostSettings settings,
      Backends.Choice cpu,
      boolean broadcast,
      Long buildSize,
      Long probeSize) {
    if (probeSize == null || (!broadcast && buildSize == null)) {
      return atPlanning(settings, cpu, null);
    }
    boolean pinned = PartitionDecisions.pinnedInput();
    OperatorEstimate probe =
        OperatorEstimate.of(OperatorKind.JOIN_PROBE, probeSize, probeSize, pinned);
    return atPlanning(
        settings,
        cpu,
        broadcast
            ? List.of(probe)
            : List.of(OperatorEstimate.of(OperatorKind.JOIN_BUILD, buildSize, 0, pinned), probe));
  }

  /** The explain text of the backend: {@code auto(gpu|simd by the 5x rule; at planning: ...)}. */
  String describe(Backends.Choice cpu) {
    return "auto(gpu|"
        + cpu.label()
        + " per partition by the 5x rule; at planning: "
        + atPlanning
        + ")";
  }

  /** Adds the decision metrics to a node's metric map. */
  static void addMetrics(Map<String, SQLMetric> m, SparkContext sc) {
    m.put(GPU_PARTITIONS, SQLMetrics.createMetric(sc, "partitions on the GPU (5x rule)"));
    m.put(CPU_PARTITIONS, SQLMetrics.createMetric(sc, "partitions on the CPU (5x rule)"));
    m.put(
        ESTIMATED_CPU_TIME,
        SQLMetrics.createNanoTimingMetric(
            sc, "estimated CPU time (5x rule)", SQLMetrics.createNanoTimingMetric$default$3()));
    m.put(
        ESTIMATED_TRANSFER_TIME,
        SQLMetrics.createNanoTimingMetric(
            sc,
            "estimated transfer time (5x rule)",
            SQLMetrics.createNanoTimingMetric$default$3()));
  }

  /** The decision metrics of a node's metric map, for its tasks. */
  static PartitionDecisions.Metrics metrics(Map<String, SQLMetric> m) {
    return new PartitionDecisions.Metrics(
        m.get(GPU_PARTITIONS),
        m.get(CPU_PARTITIONS),
        m.get(ESTIMATED_CPU_TIME),
        m.get(ESTIMATED_TRANSFER_TIME));
  }
}
