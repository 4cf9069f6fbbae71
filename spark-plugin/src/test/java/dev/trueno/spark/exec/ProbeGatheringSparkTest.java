package dev.trueno.spark.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.spark.TruenoExtensions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Probe batches gathered as for the GPU ({@link ProbeCoalescer}), run on the CPU backend through
 * Spark: small batches ({@code spark.trueno.batch.maxRows=100}) gathered up to {@code
 * spark.trueno.morselBytes}, with nulls, duplicate keys and a string column, broadcast, shuffled
 * and partitioned on disk; the rows must be vanilla Spark's.
 */
class ProbeGatheringSparkTest {
  // Set for this class and restored after it: a session started by an earlier class in this JVM
  // (the GPU machine runs every module's tests in one) is reused, not changed for good.
  private static final Map<String, String> SETTINGS =
      Map.of(
          "spark.sql.shuffle.partitions", "2",
          "spark.sql.adaptive.enabled", "false",
          "spark.sql.autoBroadcastJoinThreshold", "-1",
          "spark.trueno.batch.maxRows", "100");

  private static SparkSession spark;
  private static boolean ownSession;
  private static final Map<String, String> previous = new HashMap<>();

  @BeforeAll
  static void start() {
    JoinTask.gatherProbeBatchesOnCpu = true;
    ownSession = SparkSession.getDefaultSession().isEmpty();
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("trueno-probe-gathering-test")
            .config("spark.sql.extensions", TruenoExtensions.class.getName())
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    SETTINGS.forEach(
        (k, v) -> {
          previous.put(k, spark.conf().getOption(k).getOrElse(() -> null));
          spark.conf().set(k, v);
        });
    spark
        .range(0, 20_000)
        .selectExpr(
            "if(id % 23 = 0, null, cast(id % 1500 as int)) as k",
            "id as v", "if(id % 7 = 0, null, concat('p-', id % 300)) as s")
        .createOrReplaceTempView("probe_side");
    spark
        .range(0, 3_000)
        .selectExpr(
            "if(id % 31 = 0, null, cast(id % 1000 as int)) as k",
            "id * 3 as w", "concat('b-', id) as t")
        .createOrReplaceTempView("build_side");
  }

  @AfterAll
  static void stop() {
    JoinTask.gatherProbeBatchesOnCpu = false;
    TruenoHashJoinExec.closeIdleBroadcastBuilds();
    previous.forEach(
        (k, v) -> {
          if (v == null) {
            spark.conf().unset(k);
          } else {
            spark.conf().set(k, v);
          }
        });
    if (ownSession) {
      spark.stop();
    }
  }

  @ParameterizedTest(name = "{0} planned as {1} with morselBytes={2}, buildMemoryBytes={3}")
  @CsvSource({
    // 16k gathers several 100-row batches; 100 bytes hands every batch on as it is (already large).
    "JOIN, BROADCAST, 16k, 256m",
    "LEFT JOIN, BROADCAST, 16k, 256m",
    "LEFT SEMI JOIN, BROADCAST, 16k, 256m",
    "LEFT ANTI JOIN, BROADCAST, 16k, 256m",
    "JOIN, SHUFFLE_HASH, 16k, 256m",
    "FULL JOIN, SHUFFLE_HASH, 16k, 256m",
    "LEFT JOIN, SHUFFLE_HASH, 100, 256m",
    "FULL JOIN, SHUFFLE_HASH, 16k, 8k",
  })
  void gatheredProbeBatchesGiveSparksRows(
      String join, String hint, String morselBytes, String buildBytes) {
    String select = join.startsWith("LEFT SEMI") || join.startsWith("LEFT ANTI") ? "p.*" : "*";
    String sql =
        "SELECT /*+ "
            + hint
            + "(b) */ "
            + select
            + " FROM probe_side p "
            + join
            + " build_side b ON p.k = b.k AND p.v % 5 <> b.w % 3";
    spark.conf().set("spark.trueno.morselBytes", morselBytes);
    spark.conf().set("spark.trueno.join.buildMemoryBytes", buildBytes);
    try {
      long gatheredBefore = ProbeCoalescer.gatheredBatches();
      var df = spark.sql(sql);
      List<Row> trueno = df.collectAsList();
      List<TruenoHashJoinExec> joins = joins(df.queryExecution().executedPlan());
      assertThat(joins).as("Trueno joins in %s", df.queryExecution().executedPlan()).isNotEmpty();
      if (buildBytes.equals("8k")) {
        assertThat(joins)
            .as("a join whose build side was split into parts on disk")
            .anyMatch(j -> j.metrics().apply("numSpilledParts").value() > 0);
      }
      if (morselBytes.equals("16k")) {
        assertThat(ProbeCoalescer.gatheredBatches()).isGreaterThan(gatheredBefore);
      }
      spark.conf().set("spark.trueno.enabled", "false");
      List<Row> vanilla = spark.sql(sql).collectAsList();
      spark.conf().set("spark.trueno.enabled", "true");
      assertThat(trueno).hasSize(vanilla.size()).containsExactlyInAnyOrderElementsOf(vanilla);
    } finally {
      spark.conf().set("spark.trueno.enabled", "true");
      spark.conf().unset("spark.trueno.morselBytes");
      spark.conf().unset("spark.trueno.join.buildMemoryBytes");
    }
  }

  private static List<TruenoHashJoinExec> joins(SparkPlan plan) {
    List<TruenoHashJoinExec> out = new ArrayList<>();
    if (plan instanceof TruenoHashJoinExec j) {
      out.add(j);
    }
    for (SparkPlan child : CollectionConverters.asJava(plan.children())) {
      out.addAll(joins(child));
    }
    return out;
  }
}
