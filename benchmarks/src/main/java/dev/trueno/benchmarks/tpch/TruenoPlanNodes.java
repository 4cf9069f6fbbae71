package dev.trueno.benchmarks.tpch;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.sql.execution.ReusedSubqueryExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.exchange.ReusedExchangeExec;
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

  private TruenoPlanNodes() {}

  /** The names of the Trueno nodes in {@code plan}, each with how often it occurs, by name. */
  public static SortedMap<String, Integer> acceleratedNodes(SparkPlan plan) {
    SortedMap<String, Integer> counts = new TreeMap<>();
    Set<SparkPlan> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<SparkPlan> pending = new ArrayDeque<>();
    pending.push(plan);
    while (!pending.isEmpty()) {
      SparkPlan node = pending.pop();
      if (!seen.add(node)) {
        continue;
      }
      if (node.nodeName().startsWith(PREFIX)) {
        counts.merge(node.nodeName(), 1, Integer::sum);
      }
      if (node instanceof AdaptiveSparkPlanExec adaptive) {
        pending.push(adaptive.executedPlan());
      } else if (node instanceof QueryStageExec stage) {
        pending.push(stage.plan());
      } else if (node instanceof ReusedExchangeExec reused) {
        pending.push(reused.child());
      } else if (node instanceof ReusedSubqueryExec reused) {
        pending.push(reused.child());
      }
      CollectionConverters.asJava(node.children()).forEach(pending::push);
      CollectionConverters.asJava(node.subqueries()).forEach(pending::push);
    }
    return counts;
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
