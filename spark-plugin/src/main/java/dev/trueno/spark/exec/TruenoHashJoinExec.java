package dev.trueno.spark.exec;

import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.spark.config.TruenoConf;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.physical.Partitioning;
import org.apache.spark.sql.execution.RowToColumnarExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.joins.HashedRelation;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Trueno's replacement for Spark's equi-joins ({@code BroadcastHashJoinExec}, {@code
 * ShuffledHashJoinExec}, and {@code SortMergeJoinExec} planned as a hash join): the same join
 * computed by a Trueno backend over Arrow batches, producing Arrow-backed columnar batches.
 *
 * <p>A broadcast join builds once per executor and broadcast, shared by the tasks that probe it; a
 * shuffled join builds per task from its partition of the build child.
 */
public final class TruenoHashJoinExec extends TruenoBinaryExec {
  private static final long serialVersionUID = 1L;

  /** How the build side reaches the tasks. */
  public enum Distribution {
    /** The build child is a broadcast; every task probes the executor's one build. */
    BROADCAST,
    /** Both children are partitioned alike by the keys; each task builds its own partition. */
    SHUFFLED
  }

  private final SparkPlan original;
  private final JoinPlan plan;
  private final Distribution distribution;
  private final Backends.Choice backend;
  private final String gpuFallbackReason;
  private final String simdFallbackReason;
  private final AutoBackend auto;
  private final SparkPlan left;
  private final SparkPlan right;
  private transient Map<String, SQLMetric> metricMap;
  private transient scala.collection.immutable.Map<String, SQLMetric> scalaMetrics;

  /**
   * Replaces {@code original}, whose join {@code plan} translates, over two children.
   *
   * @param original Spark's join node (kept for its output attributes, partitioning, distribution
   *     requirements and explain text)
   * @param plan the translated join
   * @param distribution whether the build side is broadcast or shuffled
   * @param backend the backend that runs it
   * @param gpuFallbackReason why it runs on the CPU although {@code spark.trueno.backend} is {@code
   *     GPU}, or null
   * @param simdFallbackReason why it runs on the scalar backend although SIMD was the best CPU
   *     backend (the SIMD backend cannot run this plan), or null
   * @param auto with {@code spark.trueno.backend=AUTO} and a plan the GPU can run: each partition
   *     chooses between the GPU and {@code backend} by the 5x rule; else null
   * @param left the left child
   * @param right the right child
   */
  public TruenoHashJoinExec(
      SparkPlan original,
      JoinPlan plan,
      Distribution distribution,
      Backends.Choice backend,
      String gpuFallbackReason,
      String simdFallbackReason,
      AutoBackend auto,
      SparkPlan left,
      SparkPlan right) {
    this.original = original;
    this.plan = plan;
    this.distribution = distribution;
    this.backend = backend;
    this.gpuFallbackReason = gpuFallbackReason;
    this.simdFallbackReason = simdFallbackReason;
    this.auto = auto;
    this.left = left;
    this.right = right;
  }

  /** The translated join. */
  public JoinPlan plan() {
    return plan;
  }

  /** Whether the build side is broadcast or shuffled. */
  public Distribution distribution() {
    return distribution;
  }

  /** The Spark node this one replaces. */
  public SparkPlan original() {
    return original;
  }

  /** The backend this node runs on; with {@link #auto()}, the CPU backend of its partitions. */
  public Backends.Choice backend() {
    return backend;
  }

  /**
   * How the 5x rule places this node's partitions, or null when its backend is fixed ({@link
   * #backend()}).
   */
  public AutoBackend auto() {
    return auto;
  }

  /** Why this node runs on the CPU although the GPU was asked for, or null. */
  public String gpuFallbackReason() {
    return gpuFallbackReason;
  }

  /** Why this node runs on the scalar backend rather than SIMD, or null. */
  public String simdFallbackReason() {
    return simdFallbackReason;
  }

  /**
   * Closes the broadcast builds this JVM keeps for tasks that may still come and no task uses now;
   * returns how many. For tests that check that nothing stays allocated.
   */
  public static int closeIdleBroadcastBuilds() {
    return BroadcastBuilds.closeIdle();
  }

  @Override
  public SparkPlan left() {
    return left;
  }

  @Override
  public SparkPlan right() {
    return right;
  }

  @Override
  TruenoBinaryExec withNewChildren(SparkPlan newLeft, SparkPlan newRight) {
    return new TruenoHashJoinExec(
        original,
        plan,
        distribution,
        backend,
        gpuFallbackReason,
        simdFallbackReason,
        auto,
        newLeft,
        newRight);
  }

  @Override
  Object[] productElements() {
    return new Object[] {
      original,
      plan,
      distribution,
      backend,
      gpuFallbackReason,
      simdFallbackReason,
      auto,
      left,
      right
    };
  }

  @Override
  public Seq<Attribute> output() {
    return original.output();
  }

  @Override
  public Partitioning outputPartitioning() {
    return original.outputPartitioning();
  }

  @Override
  public Seq<org.apache.spark.sql.catalyst.plans.physical.Distribution>
      requiredChildDistribution() {
    return original.requiredChildDistribution();
  }

  @Override
  public boolean supportsColumnar() {
    return true;
  }

  @Override
  public String nodeName() {
    return "TruenoHashJoin";
  }

  @Override
  public String simpleString(int maxFields) {
    return nodeName()
        + " [type="
        + plan.type()
        + ", build="
        + plan.buildSide()
        + " ("
        + distribution.name().toLowerCase(java.util.Locale.ROOT)
        + "), backend="
        + (auto == null ? backend.label() : auto.describe(backend))
        + (gpuFallbackReason == null ? "" : " (not on the GPU: " + gpuFallbackReason + ")")
        + (simdFallbackReason == null ? "" : " (not on SIMD: " + simdFallbackReason + ")")
        + ", keys="
        + keys()
        + (plan.condition() == null ? "" : ", condition=" + condition())
        + ", replaces="
        + original.nodeName()
        + "]";
  }

  private String keys() {
    StringBuilder sb = new StringBuilder("[");
    var keyed = (org.apache.spark.sql.execution.joins.BaseJoinExec) original;
    var l = CollectionConverters.asJava(keyed.leftKeys());
    var r = CollectionConverters.asJava(keyed.rightKeys());
    for (int i = 0; i < l.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(l.get(i)).append(" = ").append(r.get(i));
    }
    return sb.append(']').toString();
  }

  private String condition() {
    var keyed = (org.apache.spark.sql.execution.joins.BaseJoinExec) original;
    scala.Option<Expression> c = keyed.condition();
    return c.isDefined() ? c.get().toString() : "";
  }

  @Override
  public scala.collection.immutable.Map<String, SQLMetric> metrics() {
    if (metricMap == null) {
      Map<String, SQLMetric> m = new LinkedHashMap<>();
      var sc = sparkContext();
      m.put("numBuildRows", SQLMetrics.createMetric(sc, "build rows"));
      m.put(
          "buildTime",
          SQLMetrics.createNanoTimingMetric(
              sc, "build time", SQLMetrics.createNanoTimingMetric$default$3()));
      m.put("numProbeRows", SQLMetrics.createMetric(sc, "probe rows"));
      m.put(
          "probeTime",
          SQLMetrics.createNanoTimingMetric(
              sc,
              "probe time (" + (auto == null ? backend.label() : "auto") + ")",
              SQLMetrics.createNanoTimingMetric$default$3()));
      m.put("numOutputRows", SQLMetrics.createMetric(sc, "number of output rows"));
      m.put("numOutputBatches", SQLMetrics.createMetric(sc, "output batches"));
      m.put("numSpilledParts", SQLMetrics.createMetric(sc, "spilled parts"));
      AutoBackend.addMetrics(m, sc);
      m.put("gpuFailovers", SQLMetrics.createMetric(sc, "GPU failures finished on the CPU"));
      metricMap = m;
      scalaMetrics = scala.collection.immutable.Map.from(CollectionConverters.asScala(m));
    }
    return scalaMetrics;
  }

  @Override
  public RDD<InternalRow> doExecute() {
    throw new IllegalStateException(
        "TruenoHashJoinExec produces columnar batches; Spark should have called"
            + " executeColumnar (a missing ColumnarToRow transition)");
  }

  @Override
  public RDD<ColumnarBatch> doExecuteColumnar() {
    TruenoConf conf = TruenoConf.of(key -> SQLConf.get().getConfString(key, null));
    metrics();
    JoinTask task =
        new JoinTask(
            plan,
            backend,
            left.schema(),
            right.schema(),
            SQLConf.get().sessionLocalTimeZone(),
            (int) (long) conf.get(TruenoConf.BATCH_ROWS),
            conf.get(TruenoConf.TASK_MEMORY_BYTES),
            conf.get(TruenoConf.JOIN_BUILD_MEMORY_BYTES),
            conf.gpuSettings(),
            auto == null ? null : CostSettings.from(conf),
            conf.get(TruenoConf.GPU_FAILOVER_REPLAY_BYTES),
            new JoinTask.Metrics(
                metricMap.get("numBuildRows"),
                metricMap.get("buildTime"),
                metricMap.get("numProbeRows"),
                metricMap.get("probeTime"),
                metricMap.get("numOutputRows"),
                metricMap.get("numOutputBatches"),
                metricMap.get("numSpilledParts"),
                AutoBackend.metrics(metricMap),
                metricMap.get("gpuFailovers")),
            ((org.apache.spark.sql.execution.joins.BaseJoinExec) original).leftKeys(),
            ((org.apache.spark.sql.execution.joins.BaseJoinExec) original).rightKeys(),
            left.output(),
            right.output());
    boolean buildLeft = plan.buildSide() == BuildSide.LEFT;
    if (distribution == Distribution.BROADCAST) {
      SparkPlan buildChild = unwrapRows(buildLeft ? left : right);
      Broadcast<HashedRelation> broadcast = buildChild.executeBroadcast();
      SparkPlan probeChild = buildLeft ? right : left;
      Input probe = input(probeChild);
      boolean rows = probe.rows();
      return probe.rdd().mapPartitions(it -> task.runBroadcast(broadcast, it, rows), true).rdd();
    }
    Input l = input(left);
    Input r = input(right);
    boolean leftRows = l.rows();
    boolean rightRows = r.rows();
    return l.rdd()
        .zipPartitions(r.rdd(), (a, b) -> task.runShuffled(a, b, leftRows, rightRows))
        .rdd();
  }

  /** A child's partitions as rows or as columnar batches, and which. */
  private record Input(JavaRDD<Object> rdd, boolean rows) {}

  // Spark puts a RowToColumnar transition under every columnar node; reading the rows under it
  // directly converts them to Arrow once instead of twice (and reaches a broadcast's relation).
  private static SparkPlan unwrapRows(SparkPlan child) {
    return child instanceof RowToColumnarExec r ? r.child() : child;
  }

  @SuppressWarnings("unchecked")
  private static Input input(SparkPlan child) {
    SparkPlan c = unwrapRows(child);
    if (c != child || !c.supportsColumnar()) {
      return new Input((JavaRDD<Object>) (JavaRDD<?>) c.execute().toJavaRDD(), true);
    }
    return new Input((JavaRDD<Object>) (JavaRDD<?>) c.executeColumnar().toJavaRDD(), false);
  }
}
