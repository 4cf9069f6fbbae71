package dev.trueno.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.spark.rules.TruenoOverrides;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How users turn Trueno on and off, and what they see in explain output and logs. */
class SessionActivationTest {
  private SparkSession spark;

  private SparkSession start(Consumer<SparkSession.Builder> config) {
    SparkSession.Builder b =
        SparkSession.builder()
            .master("local[2]")
            .appName("trueno-activation-test")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2");
    config.accept(b);
    spark = b.getOrCreate();
    return spark;
  }

  @AfterEach
  void stop() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
    // A session whose start failed leaves its SparkContext running, holding the bad value.
    org.apache.spark.SparkContext$.MODULE$
        .getActive()
        .foreach(
            sc -> {
              sc.stop();
              return scala.runtime.BoxedUnit.UNIT;
            });
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  private static Dataset<Row> groupedQuery(SparkSession s) {
    return s.range(0, 100).selectExpr("id % 3 as k", "id as v").groupBy("k").sum("v");
  }

  @Test
  void pluginAloneAddsTheExtension() {
    start(b -> b.config("spark.plugins", TruenoPlugin.class.getName()));
    Dataset<Row> df = groupedQuery(spark);
    df.collectAsList();
    assertThat(AggregateReplacementTest.truenoNodes(df.queryExecution().executedPlan()))
        .isNotEmpty();
  }

  @Test
  void extensionAndPluginTogetherRegisterOnce() {
    start(
        b ->
            b.config("spark.plugins", TruenoPlugin.class.getName())
                .config("spark.sql.extensions", TruenoExtensions.class.getName()));
    assertThat(spark.sparkContext().getConf().get("spark.sql.extensions"))
        .isEqualTo(TruenoExtensions.class.getName());
    Dataset<Row> df = groupedQuery(spark);
    df.collectAsList();
    assertThat(AggregateReplacementTest.truenoNodes(df.queryExecution().executedPlan()))
        .isNotEmpty();
  }

  @Test
  void sqlSetTurnsAccelerationOffPerQuery() {
    start(b -> b.config("spark.sql.extensions", TruenoExtensions.class.getName()));
    spark.sql("SET spark.trueno.enabled=false");
    Dataset<Row> off = groupedQuery(spark);
    off.collectAsList();
    assertThat(AggregateReplacementTest.truenoNodes(off.queryExecution().executedPlan())).isEmpty();
    spark.sql("SET spark.trueno.enabled=true");
    Dataset<Row> on = groupedQuery(spark);
    on.collectAsList();
    assertThat(AggregateReplacementTest.truenoNodes(on.queryExecution().executedPlan()))
        .isNotEmpty();
  }

  @Test
  void badValueFailsAtSessionStartNamingTheKey() {
    assertThatThrownBy(
            () ->
                start(
                    b ->
                        b.config("spark.sql.extensions", TruenoExtensions.class.getName())
                            .config("spark.trueno.explain", "LOUD")))
        .hasMessageContaining("spark.trueno.explain")
        .hasMessageContaining("LOUD");
  }

  @Test
  void badValueFailsAtSessionStartWithThePluginToo() {
    assertThatThrownBy(
            () ->
                start(
                    b ->
                        b.config("spark.plugins", TruenoPlugin.class.getName())
                            .config("spark.trueno.batch.maxRows", "-5")))
        .hasMessageContaining("spark.trueno.batch.maxRows")
        .hasMessageContaining("-5");
  }

  @Test
  void explainShowsTheTruenoNodeAndItsBackend() {
    // The test JVM runs with --add-modules=jdk.incubator.vector, so AUTO's CPU backend is SIMD;
    // the GPU can run this aggregation, so each partition chooses by the 5x rule.
    start(b -> b.config("spark.sql.extensions", TruenoExtensions.class.getName()));
    assertThat(explained(groupedQuery(spark)))
        .contains(
            "TruenoHashAggregate [mode=FINAL, backend=auto(gpu|simd per partition by the 5x rule;"
                + " at planning: ")
        .contains(
            "TruenoHashAggregate [mode=PARTIAL, backend=auto(gpu|simd per partition by the 5x"
                + " rule; at planning: ");
    spark.conf().set("spark.trueno.backend", "simd");
    assertThat(explained(groupedQuery(spark)))
        .contains("TruenoHashAggregate [mode=FINAL, backend=simd,")
        .contains("TruenoHashAggregate [mode=PARTIAL, backend=simd,");
    spark.conf().set("spark.trueno.backend", "scalar");
    assertThat(explained(groupedQuery(spark)))
        .contains("TruenoHashAggregate [mode=FINAL, backend=scalar")
        .contains("TruenoHashAggregate [mode=PARTIAL, backend=scalar");
  }

  private static String explained(Dataset<Row> df) {
    df.collectAsList();
    return df.queryExecution()
        .explainString(org.apache.spark.sql.execution.ExplainMode.fromString("simple"));
  }

  @Test
  void unsupportedFunctionStaysOnSparkWithReasonInTagAndLog() {
    start(b -> b.config("spark.sql.extensions", TruenoExtensions.class.getName()));
    try (LogCapture log = new LogCapture(TruenoOverrides.class)) {
      Dataset<Row> df =
          spark
              .range(0, 100)
              .selectExpr("id % 3 as k", "id as v")
              .groupBy("k")
              .agg(
                  org.apache.spark.sql.functions.percentile_approx(
                      org.apache.spark.sql.functions.col("v"),
                      org.apache.spark.sql.functions.lit(0.5),
                      org.apache.spark.sql.functions.lit(100)));
      df.collectAsList();
      List<String> reasons = fallbackReasons(df.queryExecution().executedPlan());
      assertThat(reasons).anyMatch(r -> r.contains("percentile_approx is not supported"));
      assertThat(log.messages())
          .anyMatch(
              m ->
                  m.startsWith("WARN ObjectHashAggregate stays on Spark")
                      && m.contains("percentile_approx"));
    }
  }

  @Test
  void explainAllLogsAcceleratedNodesAndNoneLogsNothing() {
    start(b -> b.config("spark.sql.extensions", TruenoExtensions.class.getName()));
    try (LogCapture log = new LogCapture(TruenoOverrides.class)) {
      spark.conf().set("spark.trueno.explain", "ALL");
      groupedQuery(spark).collectAsList();
      assertThat(log.messages()).anyMatch(m -> m.contains("TruenoHashAggregate replaces"));
      int before = log.messages().size();
      spark.conf().set("spark.trueno.explain", "NONE");
      groupedQuery(spark).collectAsList();
      assertThat(log.messages()).hasSize(before);
    }
  }

  static List<String> fallbackReasons(SparkPlan plan) {
    List<String> out = new java.util.ArrayList<>();
    new org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanHelper() {}.foreach(
        plan,
        p -> {
          p.getTagValue(TruenoOverrides.FALLBACK_REASON).foreach(r -> out.add(r));
          return scala.runtime.BoxedUnit.UNIT;
        });
    return out;
  }
}
