package dev.trueno.benchmarks.tpch;

import dev.trueno.spark.exec.TruenoHashAggregateExec;
import dev.trueno.spark.exec.TruenoHashJoinExec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.sql.execution.ReusedSubqueryExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.exchange.ReusedExchangeExec;
import org.apache.spark.sql.execution.metric.SQLMetric;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Finds the Trueno nodes in an executed Spark plan: those whose node name starts with {@value
 * #PREFIX}.
 *
 * <p>The walk looks through everything that hides plans from {@code children()}: the current plan
 * of adaptive query execution, query stages, reused exchanges and subqueries, and the plans of
 * subquery expressions.
 */
public final class TruenoPlanNodes {
  /** The node name prefix of every accelerated physical node. */
  public static final String PREFIX = "Trueno";

  // The names of the 5x rule's metrics on TruenoHashAggregateExec and TruenoHashJoinExec.
  private static final String GPU_PARTITIONS = "gpuPartitions";
  private static final String CPU_PARTITIONS = "cpuPartitions";

  private TruenoPlanNodes() {}

  /** The names of the Trueno nodes in {@code plan}, each with how often it occurs, by name. */
  public static SortedMap<String, Integer> acceleratedNodes(SparkPlan plan) {
    SortedMap<String, Integer> counts = new TreeMap<>();
    for (SparkPlan node : walk(plan)) {
      if (node.nodeName().startsWith(PREFIX)) {
        counts.merge(node.nodeName(), 1, Integer::sum);
      }
    }
    return counts;
  }

  /**
   * Every node of {@code plan}, looking through adaptive plans, query stages, reused exchanges and
   * subqueries, in post-order, the order in which operators produce their data: a node's hidden
   * plan (of an adaptive plan, stage or reuse), then its children left to right, then its
   * subqueries, each before the node itself. A node reached twice (a reused exchange or stage) is
   * listed once, at its first visit: nodes are told apart by identity, since two instances can be
   * equal.
   */
  public static List<SparkPlan> walk(SparkPlan plan) {
    List<SparkPlan> order = new ArrayList<>();
    Set<SparkPlan> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    // Each entry is a node and the inputs still to visit before it is listed.
    Deque<Map.Entry<SparkPlan, Iterator<SparkPlan>>> pending = new ArrayDeque<>();
    seen.add(plan);
    pending.push(Map.entry(plan, inputs(plan).iterator()));
    while (!pending.isEmpty()) {
      Map.Entry<SparkPlan, Iterator<SparkPlan>> top = pending.peek();
      if (top.getValue().hasNext()) {
        SparkPlan input = top.getValue().next();
        if (seen.add(input)) {
          pending.push(Map.entry(input, inputs(input).iterator()));
        }
      } else {
        pending.pop();
        order.add(top.getKey());
      }
    }
    return order;
  }

  /** The plans {@link #walk} visits under {@code node}, including those hidden from children(). */
  private static List<SparkPlan> inputs(SparkPlan node) {
    List<SparkPlan> inputs = new ArrayList<>();
    if (node instanceof AdaptiveSparkPlanExec adaptive) {
      inputs.add(adaptive.executedPlan());
    } else if (node instanceof QueryStageExec stage) {
      inputs.add(stage.plan());
    } else if (node instanceof ReusedExchangeExec reused) {
      inputs.add(reused.child());
    } else if (node instanceof ReusedSubqueryExec reused) {
      inputs.add(reused.child());
    }
    inputs.addAll(CollectionConverters.asJava(node.children()));
    inputs.addAll(CollectionConverters.asJava(node.subqueries()));
    return inputs;
  }

  /**
   * Where each Trueno aggregation and join of an executed plan ran, in {@link #walk} order: the
   * partitions the 5x rule sent to the GPU and the CPU (its {@code gpuPartitions} and {@code
   * cpuPartitions} metrics), or the fixed backend of a node without the rule. Call only when
   * Trueno's Spark plugin is on the classpath.
   */
  static List<OperatorChoice> operatorChoices(SparkPlan plan) {
    List<OperatorChoice> choices = new ArrayList<>();
    for (SparkPlan node : walk(plan)) {
      if (node instanceof TruenoHashAggregateExec aggregate) {
        String operator = "HashAggregate(" + aggregate.plan().mode() + ")";
        choices.add(
            aggregate.auto() == null
                ? OperatorChoice.fixed(operator, aggregate.backend().label())
                : OperatorChoice.ruled(
                    operator, metric(node, GPU_PARTITIONS), metric(node, CPU_PARTITIONS)));
      } else if (node instanceof TruenoHashJoinExec join) {
        String operator =
            "HashJoin("
                + join.plan().type()
                + ", "
                + join.distribution().name().toLowerCase(Locale.ROOT)
                + ")";
        choices.add(
            join.auto() == null
                ? OperatorChoice.fixed(operator, join.backend().label())
                : OperatorChoice.ruled(
                    operator, metric(node, GPU_PARTITIONS), metric(node, CPU_PARTITIONS)));
      }
    }
    return choices;
  }

  private static long metric(SparkPlan node, String name) {
    Option<SQLMetric> metric = node.metrics().get(name);
    return metric.isDefined() ? metric.get().value() : 0;
  }

  /** The accelerated nodes as {@code "TruenoHashAggregate x2, TruenoScan"}, or {@code "none"}. */
  public static String describe(SortedMap<String, Integer> nodes) {
    if (nodes.isEmpty()) {
      return "none";
    }
    StringBuilder text = new StringBuilder();
    nodes.forEach(
        (name, count) -> {
          if (text.length() > 0) {
            text.append(", ");
          }
          text.append(name);
          if (count > 1) {
            text.append(" x").append(count);
          }
        });
    return text.toString();
  }
}
