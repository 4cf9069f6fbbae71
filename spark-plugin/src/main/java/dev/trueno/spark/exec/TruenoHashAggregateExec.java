package dev.trueno.spark.exec;

import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.spark.config.TruenoConf;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.plans.physical.Partitioning;
import org.apache.spark.sql.execution.RowToColumnarExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.aggregate.HashAggregateExec;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.execution.metric.SQLMetrics;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Trueno's replacement for Spark's {@link HashAggregateExec}: the same aggregation (any of Spark's
 * modes, with Spark's buffer layout between phases) computed by a Trueno backend over Arrow
 * batches, producing Arrow-backed columnar batches.
 */
public final class TruenoHashAggregateExec extends TruenoUnaryExec {
  private static final long serialVersionUID = 1L;

  private final HashAggregateExec original;
  private final AggregatePlan plan;
  private final Backends.Choice backend;
  private final String gpuFallbackReason;
  private final AutoBackend auto;
  private final SparkPlan child;
  private transient Map<String, SQLMetric> metricMap;
  private transient scala.collection.immutable.Map<String, SQLMetric> scalaMetrics;

  /**
   * Replaces {@code original}, whose expressions {@code plan} translates, over {@code child}.
   *
   * @param original Spark's node (kept for its output attributes and distribution requirements)
   * @param plan the translated aggregation
   * @param backend the backend that runs it
   * @param gpuFallbackReason why it runs on the CPU although {@code spark.trueno.backend} is {@code
   *     GPU}, or null (the GPU was not asked for, or runs it)
   * @param auto with {@code spark.trueno.backend=AUTO} and a plan the GPU can run: each partition
   *     chooses between the GPU and {@code backend} by the 5x rule; else null
   * @param child the input
   */
  public TruenoHashAggregateExec(
      HashAggregateExec original,
      AggregatePlan plan,
      Backends.Choice backend,
      String gpuFallbackReason,
      AutoBackend auto,
      SparkPlan child) {
    this.original = original;
    this.plan = plan;
    this.backend = backend;
    this.gpuFallbackReason = gpuFallbackReason;
    this.auto = auto;
    this.child = child;
  }

  /**
   * How the 5x rule places this node's partitions, or null when its backend is fixed ({@link
   * #backend()}).
   */
  public AutoBackend auto() {
    return auto;
  }

  /** The translated aggregation. */
  public AggregatePlan plan() {
    return plan;
  }

  /** The backend this node runs on; with {@link #auto()}, the CPU backend of its partitions. */
  public Backends.Choice backend() {
    return backend;
  }

  /**
   * Why this node runs on the CPU although the GPU was asked for, or null. Kept in the node (and
   * its explain line) rather than only logged, so that a plan shows by itself where it runs and
   * why: a GPU run that quietly went to the CPU would otherwise look like a slow success.
   */
  public String gpuFallbackReason() {
    return gpuFallbackReason;
  }

  @Override
  public SparkPlan child() {
    return child;
  }

  @Override
  TruenoUnaryExec withNewChild(SparkPlan newChild) {
    return new TruenoHashAggregateExec(original, plan, backend, gpuFallbackReason, auto, newChild);
  }

  @Override
  Object[] productElements() {
    return new Object[] {original, plan, backend, gpuFallbackReason, auto, child};
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
    return "TruenoHashAggregate";
  }

  @Override
  public String simpleString(int maxFields) {
    StringBuilder keys = new StringBuilder();
    for (var g : CollectionConverters.asJava(original.groupingExpressions())) {
      keys.append(keys.isEmpty() ? "" : ", ").append(g.toString());
    }
    StringBuilder functions = new StringBuilder();
    for (var a : CollectionConverters.asJava(original.aggregateExpressions())) {
      functions.append(functions.isEmpty() ? "" : ", ").append(a.toString());
    }
    return nodeName()
        + " [mode="
        + plan.mode()
        + ", backend="
        + (auto == null ? backend.label() : auto.describe(backend))
        + (gpuFallbackReason == null ? "" : " (not on the GPU: " + gpuFallbackReason + ")")
        + ", keys=["
        + keys
        + "], functions=["
        + functions
        + "]]";
  }

  @Override
  public scala.collection.immutable.Map<String, SQLMetric> metrics() {
    if (metricMap == null) {
      Map<String, SQLMetric> m = new LinkedHashMap<>();
      var sc = sparkContext();
      m.put("numInputRows", SQLMetrics.createMetric(sc, "input rows"));
      m.put("numInputBatches", SQLMetrics.createMetric(sc, "input batches"));
      m.put("numConvertedRows", SQLMetrics.createMetric(sc, "input rows converted to Arrow"));
      m.put("numOutputRows", SQLMetrics.createMetric(sc, "number of output rows"));
      m.put("numOutputBatches", SQLMetrics.createMetric(sc, "output batches"));
      m.put(
          "backendTime",
          SQLMetrics.createNanoTimingMetric(
              sc,
              "backend time (" + (auto == null ? backend.label() : "auto") + ")",
              SQLMetrics.createNanoTimingMetric$default$3()));
      AutoBackend.addMetrics(m, sc);
      m.put("gpuFailovers", SQLMetrics.createMetric(sc, "GPU failures finished on the CPU"));
      metricMap = m;
      // Spark asks for the metrics many times per query; build the Scala view once.
      scalaMetrics = scala.collection.immutable.Map.from(CollectionConverters.asScala(m));
    }
    return scalaMetrics;
  }

  @Override
  public RDD<InternalRow> doExecute() {
    throw new IllegalStateException(
        "TruenoHashAggregateExec produces columnar batches; Spark should have called"
            + " executeColumnar (a missing ColumnarToRow transition)");
  }

  @Override
  public RDD<ColumnarBatch> doExecuteColumnar() {
    TruenoConf conf = TruenoConf.of(key -> SQLConf.get().getConfString(key, null));
    String timeZone = SQLConf.get().sessionLocalTimeZone();
    metrics();
    AggregateTask task =
        new AggregateTask(
            plan,
            backend,
            child.schema(),
            timeZone,
            (int) (long) conf.get(TruenoConf.BATCH_ROWS),
            conf.get(TruenoConf.TASK_MEMORY_BYTES),
            conf.gpuSettings(),
            auto == null ? null : CostSettings.from(conf),
            conf.get(TruenoConf.GPU_FAILOVER_REPLAY_BYTES),
            new AggregateTask.Metrics(
                metricMap.get("numInputRows"),
                metricMap.get("numInputBatches"),
                metricMap.get("numConvertedRows"),
                metricMap.get("numOutputRows"),
                metricMap.get("numOutputBatches"),
                metricMap.get("backendTime"),
                AutoBackend.metrics(metricMap),
                metricMap.get("gpuFailovers")));
    // Spark puts a RowToColumnar transition under every columnar node; reading the rows under
    // it directly converts them to Arrow once instead of twice.
    if (child instanceof RowToColumnarExec r) {
      JavaRDD<InternalRow> rows = r.child().execute().toJavaRDD();
      return rows.mapPartitions(task::runOnRows, true).rdd();
    }
    if (child.supportsColumnar()) {
      JavaRDD<ColumnarBatch> batches = child.executeColumnar().toJavaRDD();
      return batches.mapPartitions(task::runOnBatches, true).rdd();
    }
    JavaRDD<InternalRow> rows = child.execute().toJavaRDD();
    return rows.mapPartitions(task::runOnRows, true).rdd();
  }
}
