package dev.trueno.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.spark.exec.Backends;
import dev.trueno.spark.exec.TruenoHashAggregateExec;
import dev.trueno.spark.exec.TruenoHashJoinExec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code spark.trueno.backend=AUTO}, the default: nodes whose plan the GPU could run decide per
 * partition by the 5x rule, from the batches each task reads ahead. On a machine without a GPU
 * every partition goes to the CPU with that reason; the metrics count each partition's decision,
 * the read-ahead loses no row, and forced backends and plans the GPU cannot run have no rule.
 */
class AutoBackendSparkTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("trueno-auto-backend-test")
            .config("spark.sql.extensions", TruenoExtensions.class.getName())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "3")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.autoBroadcastJoinThreshold", "-1")
            .getOrCreate();
    spark
        .range(0, 60_000, 1, 4)
        .selectExpr("id", "id % 97 as k", "id * 3 as v", "cast(id % 7 as string) as s")
        .createOrReplaceTempView("t");
    spark.range(0, 97, 1, 2).selectExpr("id as k", "id * 11 as w").createOrReplaceTempView("d");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @AfterEach
  void resetConf() {
    for (String key :
        List.of(
            "spark.trueno.backend",
            "spark.trueno.explain",
            "spark.trueno.gpu.minBytes",
            "spark.trueno.batch.maxRows",
            "spark.trueno.enabled")) {
      spark.conf().unset(key);
    }
  }

  private static final String GROUPED =
      "select k, count(*), sum(v), min(v), max(id) from t group by k";
  private static final String JOINED =
      "select t.k, sum(t.v + d.w), count(*) from t join d on t.k = d.k group by t.k";

  @Test
  void autoIsTheDefaultAndEveryPartitionRecordsItsDecision() {
    Dataset<Row> df = spark.sql(GROUPED);
    assertSameAsSpark(GROUPED, df.collectAsList());
    List<SparkPlan> nodes = truenoNodes(df.queryExecution().executedPlan());
    assertThat(nodes).hasSize(2);
    for (SparkPlan p : nodes) {
      TruenoHashAggregateExec n = (TruenoHashAggregateExec) p;
      assertThat(n.auto()).as(n.simpleString(100)).isNotNull();
      assertThat(n.backend()).isIn(Backends.Choice.SIMD, Backends.Choice.SCALAR);
      assertThat(n.simpleString(1000))
          .contains("backend=auto(gpu|" + n.backend().label() + " per partition by the 5x rule");
      long gpu = metric(n, "gpuPartitions");
      long cpu = metric(n, "cpuPartitions");
      // The partial aggregate has 4 input partitions, the final one 3: one decision each.
      assertThat(gpu + cpu)
          .as(n.simpleString(100))
          .isEqualTo(n.plan().mode().mergesBuffers() ? 3 : 4);
      if (Backends.gpuUnavailableReason() != null) {
        assertThat(gpu).isZero();
      }
    }
  }

  @Test
  void shuffledJoinsDecidePerPartitionToo() {
    Dataset<Row> df = spark.sql(JOINED);
    assertSameAsSpark(JOINED, df.collectAsList());
    List<SparkPlan> joins = joinNodes(df.queryExecution().executedPlan());
    assertThat(joins).hasSize(1);
    TruenoHashJoinExec j = (TruenoHashJoinExec) joins.get(0);
    assertThat(j.auto()).isNotNull();
    assertThat(metric(j, "gpuPartitions") + metric(j, "cpuPartitions")).isEqualTo(3);
  }

  @Test
  void readingAheadLosesNoRowWhateverTheMinimumSize() {
    spark.conf().set("spark.trueno.batch.maxRows", "500");
    for (String minBytes : List.of("0", "64k", "1m", "1g")) {
      spark.conf().set("spark.trueno.gpu.minBytes", minBytes);
      assertSameAsSpark(GROUPED, spark.sql(GROUPED).collectAsList());
      assertSameAsSpark(JOINED, spark.sql(JOINED).collectAsList());
    }
  }

  @Test
  void eachPartitionsDecisionIsLoggedWithItsFiguresUnderExplainAll() {
    try (LogCapture log = new LogCapture("dev.trueno.spark.exec.PartitionDecisions");
        LogCapture planning = new LogCapture(dev.trueno.spark.rules.TruenoOverrides.class)) {
      spark.conf().set("spark.trueno.explain", "ALL");
      spark.sql(GROUPED).collectAsList();
      List<String> lines =
          log.messages().stream().filter(m -> m.contains("Trueno TruenoHashAggregate")).toList();
      assertThat(lines).hasSize(7);
      String gpuReason = Backends.gpuUnavailableReason();
      for (String line : lines) {
        assertThat(line).startsWith("INFO ").containsPattern("\\(stage \\d+, partition \\d+\\): ");
        if (gpuReason != null) {
          assertThat(line).contains(": simd: no usable GPU (" + gpuReason + ")");
        } else {
          assertThat(line).containsPattern(": (gpu|simd): ");
        }
      }
      assertThat(planning.messages())
          .anyMatch(
              m ->
                  m.contains("TruenoHashAggregate (PARTIAL) decides per partition between the GPU")
                      && m.contains("by the 5x rule; at planning: "));
    }
  }

  @Test
  void forcedBackendsAndPlansTheGpuCannotRunHaveNoRule() {
    spark.conf().set("spark.trueno.backend", "SIMD");
    Dataset<Row> forced = spark.sql(GROUPED);
    forced.collectAsList();
    for (SparkPlan p : truenoNodes(forced.queryExecution().executedPlan())) {
      assertThat(((TruenoHashAggregateExec) p).auto()).isNull();
      assertThat(p.simpleString(1000)).contains("backend=simd,");
    }
    spark.conf().unset("spark.trueno.backend");
    // The GPU groups by numeric keys only: a string key keeps the node on the CPU, no rule.
    String byString = "select s, count(*), sum(v) from t group by s";
    Dataset<Row> strings = spark.sql(byString);
    assertSameAsSpark(byString, strings.collectAsList());
    List<SparkPlan> nodes = truenoNodes(strings.queryExecution().executedPlan());
    assertThat(nodes).isNotEmpty();
    for (SparkPlan p : nodes) {
      assertThat(((TruenoHashAggregateExec) p).auto()).as(p.simpleString(200)).isNull();
    }
  }

  private static long metric(SparkPlan node, String name) {
    return node.metrics().apply(name).value();
  }

  private static void assertSameAsSpark(String sql, List<Row> trueno) {
    spark.conf().set("spark.trueno.enabled", "false");
    try {
      List<Row> vanilla = spark.sql(sql).collectAsList();
      assertThat(sorted(trueno)).isEqualTo(sorted(vanilla));
    } finally {
      spark.conf().unset("spark.trueno.enabled");
    }
  }

  private static List<String> sorted(List<Row> rows) {
    List<String> out = new ArrayList<>();
    rows.forEach(r -> out.add(r.toString()));
    out.sort(Comparator.naturalOrder());
    return out;
  }

  private static List<SparkPlan> truenoNodes(SparkPlan plan) {
    return AggregateReplacementTest.truenoNodes(plan);
  }

  private static List<SparkPlan> joinNodes(SparkPlan plan) {
    List<SparkPlan> out = new ArrayList<>();
    new AdaptiveSparkPlanHelper() {}.foreach(
        plan,
        p -> {
          if (p instanceof TruenoHashJoinExec) {
            out.add(p);
          }
          return scala.runtime.BoxedUnit.UNIT;
        });
    return out;
  }
}
