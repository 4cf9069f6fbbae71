package dev.trueno.spark.rules;

import dev.trueno.core.backend.Backend;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.spark.config.TruenoConf;
import dev.trueno.spark.exec.AutoBackend;
import dev.trueno.spark.exec.Backends;
import dev.trueno.spark.exec.CostSettings;
import dev.trueno.spark.exec.TruenoHashAggregateExec;
import dev.trueno.spark.exec.TruenoHashJoinExec;
import dev.trueno.spark.scan.ScanReplacement;
import dev.trueno.spark.translate.AggregateTranslator;
import dev.trueno.spark.translate.JoinTranslator;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.optimizer.BuildLeft$;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.catalyst.trees.TreeNodeTag;
import org.apache.spark.sql.execution.FilterExec;
import org.apache.spark.sql.execution.ProjectExec;
import org.apache.spark.sql.execution.SortExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import org.apache.spark.sql.execution.aggregate.HashAggregateExec;
import org.apache.spark.sql.execution.joins.BroadcastHashJoinExec;
import org.apache.spark.sql.execution.joins.ShuffledHashJoinExec;
import org.apache.spark.sql.execution.joins.SortMergeJoinExec;
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

  /**
   * An internal tag on a join whose output order a node above relies on (directly, or through nodes
   * that keep their child's order): it must stay on Spark.
   */
  private static final TreeNodeTag<Boolean> ORDERING_RELIED_ON =
      new TreeNodeTag<>("trueno.orderingReliedOn");

  @Override
  public SparkPlan apply(SparkPlan plan) {
    TruenoConf conf = TruenoConf.of(key -> SQLConf.get().getConfString(key, null));
    if (!conf.get(TruenoConf.ENABLED)) {
      return plan;
    }
    List<String> decisions = new ArrayList<>();
    if (conf.get(TruenoConf.JOIN_ENABLED)) {
      markOrderingReliedOn(plan, false, conf);
    }
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
    if (current instanceof BroadcastHashJoinExec
        || current instanceof ShuffledHashJoinExec
        || current instanceof SortMergeJoinExec) {
      return replaceJoin(current, conf, decisions);
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
          AutoBackend auto = null;
          if (conf.get(TruenoConf.BACKEND) == TruenoConf.BackendChoice.AUTO) {
            String autoGpuReason = new GpuBackend(gpuSettings).unsupportedReason(r.plan());
            if (autoGpuReason == null) {
              auto =
                  AutoBackend.forAggregate(
                      CostSettings.from(conf), choice, r.plan(), sizeEstimate(agg.child()));
              decisions.add(
                  "TruenoHashAggregate ("
                      + r.plan().mode()
                      + ") decides per partition between the GPU and "
                      + choice.label()
                      + " by the 5x rule; at planning: "
                      + auto.atPlanning());
            }
          }
          return new TruenoHashAggregateExec(
              agg, r.plan(), choice, gpuFallbackReason, auto, agg.child());
        }
      }
    }
    agg.setTagValue(FALLBACK_REASON, reason);
    decisions.add("HashAggregate stays on Spark: " + reason);
    return agg;
  }

  /**
   * Spark's estimate of a node's output size in bytes (rows, every column), from the logical plan
   * it was planned from; null when it has none, or only the default that stands for "unknown".
   */
  private static Long sizeEstimate(SparkPlan node) {
    java.math.BigInteger size = sparkSize(node);
    if (size == null
        || size.compareTo(java.math.BigInteger.valueOf(SQLConf.get().defaultSizeInBytes())) >= 0) {
      return null;
    }
    return size.longValue();
  }

  /**
   * Tags the joins whose output order is needed above them, top down: a child's order is needed
   * when its parent requires an ordering of it, or when the parent passes its child's order through
   * (projections, filters, other nodes that keep their child's order, and joins kept on Spark: hash
   * joins keep their streamed side's order) and its own order is needed. A Trueno join has no
   * output order, so a tagged join stays on Spark. A sort-merge join that will be replaced needs no
   * order of its children (its sorts are dropped).
   */
  private void markOrderingReliedOn(SparkPlan node, boolean orderingNeeded, TruenoConf conf) {
    if (node instanceof QueryStageExec) {
      return;
    }
    boolean join =
        node instanceof SortMergeJoinExec
            || node instanceof ShuffledHashJoinExec
            || node instanceof BroadcastHashJoinExec;
    if (join && orderingNeeded) {
      node.setTagValue(ORDERING_RELIED_ON, true);
    }
    boolean replacedSortMerge =
        node instanceof SortMergeJoinExec smj
            && !orderingNeeded
            && conf.get(TruenoConf.JOIN_REPLACE_SORT_MERGE)
            && sortMergeReason(smj) == null;
    List<SparkPlan> children = CollectionConverters.asJava(node.children());
    var required = CollectionConverters.asJava(node.requiredChildOrdering());
    for (int i = 0; i < children.size(); i++) {
      boolean childNeeded;
      if (replacedSortMerge) {
        childNeeded = false;
      } else {
        boolean requires = i < required.size() && !required.get(i).isEmpty();
        childNeeded = requires || (orderingNeeded && passesOrderingThrough(node));
      }
      markOrderingReliedOn(children.get(i), childNeeded, conf);
    }
  }

  /** Whether a node's output order comes from its children's (so needing it needs theirs). */
  private static boolean passesOrderingThrough(SparkPlan node) {
    if (node instanceof ProjectExec || node instanceof FilterExec) {
      return true;
    }
    if (node instanceof SortExec) {
      return false;
    }
    // Joins left on Spark, and any other node that reports an output order it did not sort
    // itself: conservatively, its children's order is needed.
    return !node.outputOrdering().isEmpty();
  }

  private static final String ORDERING_REASON =
      "a node above relies on the join's output ordering, which a Trueno hash join does not keep";

  /** Why a sort-merge join cannot become a hash join regardless of its types, or null. */
  private static String sortMergeReason(SortMergeJoinExec smj) {
    if (smj.getTagValue(ORDERING_RELIED_ON).isDefined()) {
      return ORDERING_REASON;
    }
    if (JoinTranslator.joinType(smj.joinType()) == null) {
      return "join type " + smj.joinType() + " is not supported";
    }
    if (smj.leftKeys().isEmpty()) {
      return "a join without equi-join keys is not supported";
    }
    return null;
  }

  /**
   * Spark's equi-joins become {@link TruenoHashJoinExec} when {@code spark.trueno.join.enabled},
   * the join type, types and condition translate, and the backend runs the plan.
   */
  private SparkPlan replaceJoin(SparkPlan join, TruenoConf conf, List<String> decisions) {
    String name = join.nodeName();
    String reason = null;
    JoinPlan plan = null;
    TruenoHashJoinExec.Distribution distribution = TruenoHashJoinExec.Distribution.SHUFFLED;
    SparkPlan left = join.children().apply(0);
    SparkPlan right = join.children().apply(1);
    if (!conf.get(TruenoConf.JOIN_ENABLED)) {
      reason = TruenoConf.JOIN_ENABLED.key() + " is false";
    } else if (join.getTagValue(ORDERING_RELIED_ON).isDefined()) {
      reason = ORDERING_REASON;
    } else if (join instanceof BroadcastHashJoinExec bhj) {
      distribution = TruenoHashJoinExec.Distribution.BROADCAST;
      if (bhj.isNullAwareAntiJoin()) {
        reason =
            "a null-aware anti join (NOT IN with a subquery) is not supported: a NULL on the"
                + " build side empties the result";
      } else {
        BuildSide side = bhj.buildSide() == BuildLeft$.MODULE$ ? BuildSide.LEFT : BuildSide.RIGHT;
        JoinTranslator.Result r =
            JoinTranslator.translate(
                bhj,
                bhj.joinType(),
                side,
                bhj.leftKeys(),
                bhj.rightKeys(),
                bhj.condition(),
                left,
                right);
        reason = r.reason();
        plan = r.plan();
        if (plan != null && plan.tracksBuildMatches()) {
          reason =
              "a broadcast "
                  + plan.type()
                  + " join building on the "
                  + side
                  + " side must track build matches, which a shared build cannot";
        }
      }
    } else if (join instanceof ShuffledHashJoinExec shj) {
      BuildSide side = shj.buildSide() == BuildLeft$.MODULE$ ? BuildSide.LEFT : BuildSide.RIGHT;
      JoinTranslator.Result r =
          JoinTranslator.translate(
              shj,
              shj.joinType(),
              side,
              shj.leftKeys(),
              shj.rightKeys(),
              shj.condition(),
              left,
              right);
      reason = r.reason();
      plan = r.plan();
    } else {
      SortMergeJoinExec smj = (SortMergeJoinExec) join;
      if (!conf.get(TruenoConf.JOIN_REPLACE_SORT_MERGE)) {
        reason = TruenoConf.JOIN_REPLACE_SORT_MERGE.key() + " is false";
      } else {
        reason = sortMergeReason(smj);
      }
      if (reason == null) {
        left = dropSortFor(left);
        right = dropSortFor(right);
        BuildSide side = sortMergeBuildSide(smj, left, right);
        JoinTranslator.Result r =
            JoinTranslator.translate(
                smj,
                smj.joinType(),
                side,
                smj.leftKeys(),
                smj.rightKeys(),
                smj.condition(),
                left,
                right);
        reason = r.reason();
        plan = r.plan();
      }
    }
    if (reason == null) {
      Backends.Choice choice = Backends.choose(conf.get(TruenoConf.BACKEND));
      GpuSettings gpuSettings = conf.gpuSettings();
      String gpuFallbackReason = null;
      if (conf.get(TruenoConf.BACKEND) == TruenoConf.BackendChoice.GPU
          && choice != Backends.Choice.GPU) {
        gpuFallbackReason = "the GPU backend is unavailable: " + Backends.gpuUnavailableReason();
        decisions.add(
            "GPU backend unavailable, "
                + name
                + " runs on the CPU: "
                + Backends.gpuUnavailableReason());
      }
      Backend backend = Backends.create(choice, gpuSettings);
      String gpuReason = choice == Backends.Choice.GPU ? backend.unsupportedReason(plan) : null;
      if (gpuReason != null) {
        choice = Backends.cpu(false);
        backend = Backends.create(choice, gpuSettings);
        gpuFallbackReason = gpuReason;
        decisions.add(
            name
                + " ("
                + plan.type()
                + ") runs on "
                + choice.label()
                + " instead of the GPU: "
                + gpuReason);
      }
      reason = backend.unsupportedReason(plan);
      String simdFallbackReason = null;
      if (reason != null
          && conf.get(TruenoConf.BACKEND) != TruenoConf.BackendChoice.SIMD
          && choice == Backends.Choice.SIMD) {
        // The best CPU backend cannot run this join; the scalar reference may (AUTO and GPU mean
        // "the best that can", only a forced SIMD means SIMD or nothing).
        Backend scalar = Backends.create(Backends.Choice.SCALAR, gpuSettings);
        if (scalar.unsupportedReason(plan) == null) {
          decisions.add(name + " (" + plan.type() + ") runs on scalar instead of simd: " + reason);
          choice = Backends.Choice.SCALAR;
          simdFallbackReason = reason;
          reason = null;
        }
      }
      if (reason == null) {
        decisions.add(
            "TruenoHashJoin replaces "
                + name
                + " ("
                + plan.type()
                + ", build "
                + plan.buildSide()
                + ") on backend "
                + choice.label());
        AutoBackend auto = null;
        if (conf.get(TruenoConf.BACKEND) == TruenoConf.BackendChoice.AUTO
            && new GpuBackend(gpuSettings).unsupportedReason(plan) == null) {
          boolean buildLeft = plan.buildSide() == BuildSide.LEFT;
          auto =
              AutoBackend.forJoin(
                  CostSettings.from(conf),
                  choice,
                  distribution == TruenoHashJoinExec.Distribution.BROADCAST,
                  sizeEstimate(buildLeft ? left : right),
                  sizeEstimate(buildLeft ? right : left));
          decisions.add(
              "TruenoHashJoin ("
                  + plan.type()
                  + ") decides per partition between the GPU and "
                  + choice.label()
                  + " by the 5x rule; at planning: "
                  + auto.atPlanning());
        }
        return new TruenoHashJoinExec(
            join,
            plan,
            distribution,
            choice,
            gpuFallbackReason,
            simdFallbackReason,
            auto,
            left,
            right);
      }
    }
    join.setTagValue(FALLBACK_REASON, reason);
    decisions.add(name + " stays on Spark: " + reason);
    return join;
  }

  /**
   * The child of a sort EnsureRequirements put under a sort-merge join only for the join (a local
   * sort); any other child as it is.
   */
  private static SparkPlan dropSortFor(SparkPlan child) {
    return child instanceof SortExec sort && !sort.global() ? sort.child() : child;
  }

  /**
   * The side to build a sort-merge join on: the side whose rows need not be preserved; for inner
   * and full outer joins the smaller one by Spark's size estimate (the right one without one).
   */
  private static BuildSide sortMergeBuildSide(
      SortMergeJoinExec smj, SparkPlan left, SparkPlan right) {
    JoinType type = JoinTranslator.joinType(smj.joinType());
    if (type == JoinType.RIGHT_OUTER) {
      return BuildSide.LEFT;
    }
    if (type != JoinType.INNER && type != JoinType.FULL_OUTER) {
      return BuildSide.RIGHT;
    }
    java.math.BigInteger l = sparkSize(left);
    java.math.BigInteger r = sparkSize(right);
    return l != null && r != null && l.compareTo(r) < 0 ? BuildSide.LEFT : BuildSide.RIGHT;
  }

  /** Spark's size estimate of a node's output, or null when it has none. */
  private static java.math.BigInteger sparkSize(SparkPlan plan) {
    try {
      var logical = plan.logicalLink();
      if (logical.isEmpty()) {
        return null;
      }
      return logical.get().stats().sizeInBytes().bigInteger();
    } catch (RuntimeException e) {
      // No statistics for this plan: decide without them.
      return null;
    }
  }
}
