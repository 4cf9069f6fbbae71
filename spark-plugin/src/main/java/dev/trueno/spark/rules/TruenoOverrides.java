package dev.trueno.spark.rules;

import dev.trueno.core.backend.Backend;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.spark.config.TruenoConf;
import dev.trueno.spark.exec.Backends;
import dev.trueno.spark.exec.TruenoHashAggregateExec;
import dev.trueno.spark.scan.ScanReplacement;
import dev.trueno.spark.translate.AggregateTranslator;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.catalyst.trees.TreeNodeTag;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import org.apache.spark.sql.execution.aggregate.HashAggregateExec;
import org.apache.spark.sql.internal.SQLConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The physical-plan rule that swaps Spark nodes for Trueno nodes where every function, type and
 * expression is supported, and tags the nodes it leaves on Spark with the reason.
 *
 * <p>It runs before Spark inserts row/columnar transitions, once per query without adaptive
 * execution and once per query stage with it.
 */
public final class TruenoOverrides extends Rule<SparkPlan> {
  private static final Logger LOG = LoggerFactory.getLogger(TruenoOverrides.class);

  /** The tag on a Spark node that stays on Spark: why it was not replaced. */
  public static final TreeNodeTag<String> FALLBACK_REASON =
      new TreeNodeTag<>("trueno.fallbackReason");

  @Override
  public SparkPlan apply(SparkPlan plan) {
    TruenoConf conf = TruenoConf.of(key -> SQLConf.get().getConfString(key, null));
    if (!conf.get(TruenoConf.ENABLED)) {
      return plan;
    }
    List<String> decisions = new ArrayList<>();
    SparkPlan result = replace(plan, conf, decisions);
    TruenoConf.ExplainMode mode = conf.get(TruenoConf.EXPLAIN);
    for (String d : decisions) {
      boolean accelerated = d.startsWith("Trueno");
      if (mode == TruenoConf.ExplainMode.ALL
          || (mode == TruenoConf.ExplainMode.NOT_ACCELERATED && !accelerated)) {
        LOG.warn(d);
      }
    }
    return result;
  }

  private SparkPlan replace(SparkPlan plan, TruenoConf conf, List<String> decisions) {
    if (plan instanceof QueryStageExec) {
      // Already planned (and replaced) when the stage was created.
      return plan;
    }
    List<SparkPlan> children = CollectionConverters.asJava(plan.children());
    List<SparkPlan> newChildren = new ArrayList<>(children.size());
    boolean changed = false;
    for (SparkPlan c : children) {
      SparkPlan n = replace(c, conf, decisions);
      changed |= n != c;
      newChildren.add(n);
    }
    SparkPlan current =
        changed ? plan.withNewChildren(CollectionConverters.asScala(newChildren).toSeq()) : plan;
    ScanReplacement.Decision scan = ScanReplacement.decide(current);
    if (scan != null) {
      return replaceScan(current, scan, conf, decisions);
    }
    SparkPlan folded = ScanReplacement.foldProjection(current);
    if (folded != null) {
      return folded;
    }
    if (current instanceof HashAggregateExec agg) {
      return replaceAggregate(agg, conf, decisions);
    }
    if (current instanceof BaseAggregateExec other) {
      explainOtherAggregate(other, current, decisions);
    }
    return current;
  }

  /**
   * Spark's Parquet scans become the Trueno scan when {@code spark.trueno.scan.enabled} and every
   * column is supported, so that operators above get Arrow batches without a conversion.
   */
  private static SparkPlan replaceScan(
      SparkPlan original,
      ScanReplacement.Decision decision,
      TruenoConf conf,
      List<String> decisions) {
    String reason =
        conf.get(TruenoConf.SCAN_ENABLED)
            ? decision.reason()
            : TruenoConf.SCAN_ENABLED.key() + " is false";
    if (reason == null) {
      decisions.add("TruenoScan replaces " + original.nodeName() + " (parquet)");
      return decision.node();
    }
    original.setTagValue(FALLBACK_REASON, reason);
    decisions.add(original.nodeName() + " (parquet) stays on Spark: " + reason);
    return original;
  }

  /**
   * Spark plans object-hash and sort aggregates for functions or buffer types its hash aggregate
   * cannot hold; Trueno replaces only hash aggregates (a sort aggregate's output order may be
   * relied on above it), so these stay, with the most specific reason available.
   */
  private static void explainOtherAggregate(
      BaseAggregateExec agg, SparkPlan node, List<String> decisions) {
    String reason = AggregateTranslator.translate(agg).reason();
    if (reason == null) {
      reason = "Trueno replaces hash aggregates only";
    }
    node.setTagValue(FALLBACK_REASON, reason);
    decisions.add(node.nodeName() + " stays on Spark: " + reason);
  }

  private SparkPlan replaceAggregate(
      HashAggregateExec agg, TruenoConf conf, List<String> decisions) {
    String reason;
    if (!conf.get(TruenoConf.AGGREGATE_ENABLED)) {
      reason = TruenoConf.AGGREGATE_ENABLED.key() + " is false";
    } else {
      AggregateTranslator.Result r = AggregateTranslator.translate(agg);
      reason = r.reason();
      if (reason == null && !conf.get(TruenoConf.AGGREGATE_MODES).contains(r.plan().mode())) {
        reason =
            "mode "
                + r.plan().mode()
                + " is not in "
                + TruenoConf.AGGREGATE_MODES.key()
                + "="
                + conf.get(TruenoConf.AGGREGATE_MODES);
      }
      if (reason == null) {
        GpuSettings gpuSettings = conf.gpuSettings();
        Backends.Choice choice = Backends.choose(conf.get(TruenoConf.BACKEND));
        // Why a node the GPU was asked for runs on the CPU; the node carries it into explain.
        String gpuFallbackReason = null;
        if (conf.get(TruenoConf.BACKEND) == TruenoConf.BackendChoice.GPU
            && choice != Backends.Choice.GPU) {
          gpuFallbackReason = "the GPU backend is unavailable: " + Backends.gpuUnavailableReason();
          decisions.add(
              "GPU backend unavailable, HashAggregate runs on the CPU: "
                  + Backends.gpuUnavailableReason());
        }
        Backend backend = Backends.create(choice, gpuSettings);
        String gpuReason =
            choice == Backends.Choice.GPU ? backend.unsupportedReason(r.plan()) : null;
        if (gpuReason != null) {
          choice = Backends.cpu(false);
          backend = Backends.create(choice, gpuSettings);
          gpuFallbackReason = gpuReason;
          decisions.add(
              "HashAggregate ("
                  + r.plan().mode()
                  + ") runs on "
                  + choice.label()
                  + " instead of the GPU: "
                  + gpuReason);
        }
        reason = backend.unsupportedReason(r.plan());
        if (reason == null) {
          decisions.add(
              "TruenoHashAggregate replaces HashAggregate ("
                  + r.plan().mode()
                  + ") on backend "
                  + choice.label());
          return new TruenoHashAggregateExec(agg, r.plan(), choice, gpuFallbackReason, agg.child());
        }
      }
    }
    agg.setTagValue(FALLBACK_REASON, reason);
    decisions.add("HashAggregate stays on Spark: " + reason);
    return agg;
  }
}
