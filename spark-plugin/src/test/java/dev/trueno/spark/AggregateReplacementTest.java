package dev.trueno.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.spark.exec.TruenoHashAggregateExec;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AggregateReplacementTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("trueno-plugin-test")
            .config("spark.sql.extensions", TruenoExtensions.class.getName())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void groupedSumRunsOnTruenoAndMatchesSpark() {
    spark.range(0, 1000).selectExpr("id % 7 as k", "id as v").createOrReplaceTempView("t");
    String sql = "select k, sum(v), count(*), avg(v), min(v), max(v) from t group by k";
    var df = spark.sql(sql);
    List<Row> trueno = df.collectAsList();
    assertThat(truenoNodes(df.queryExecution().executedPlan())).isNotEmpty();
    spark.conf().set("spark.trueno.enabled", "false");
    List<Row> vanilla = spark.sql(sql).collectAsList();
    spark.conf().set("spark.trueno.enabled", "true");
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  @Test
  void smallDecimalSumAndAvgRewrittenBySparkStillRunOnTrueno() {
    // Spark's optimizer turns SUM/AVG of decimal(p<=8) into SUM/AVG of UnscaledValue(x), then
    // MakeDecimal / a division in the result expressions.
    spark
        .range(0, 500)
        .selectExpr("id % 5 as k", "cast(id * 1.37 - 300 as decimal(7,2)) as d", "id % 11 = 0 as b")
        .selectExpr("k", "if(b, null, d) as d")
        .createOrReplaceTempView("small_dec");
    String sql = "select k, sum(d), avg(d), min(d), max(d), count(d) from small_dec group by k";
    var df = spark.sql(sql);
    List<Row> trueno = df.collectAsList();
    assertThat(truenoNodes(df.queryExecution().executedPlan())).hasSize(2);
    spark.conf().set("spark.trueno.enabled", "false");
    List<Row> vanilla = spark.sql(sql).collectAsList();
    spark.conf().set("spark.trueno.enabled", "true");
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  @Test
  void arrowBatchesFromATruenoChildAreUsedWithoutConversion() {
    spark.range(0, 2000).selectExpr("id % 10 as k", "id % 37 as v").createOrReplaceTempView("n");
    // The inner FINAL aggregate feeds the outer PARTIAL aggregate directly (no exchange).
    String sql = "select k, count(*), sum(v) from (select k, v from n group by k, v) group by k";
    var df = spark.sql(sql);
    List<Row> trueno = df.collectAsList();
    List<SparkPlan> nodes = truenoNodes(df.queryExecution().executedPlan());
    assertThat(nodes).hasSize(4);
    TruenoHashAggregateExec outerPartial =
        nodes.stream()
            .map(TruenoHashAggregateExec.class::cast)
            .filter(
                n ->
                    n.plan().mode() == dev.trueno.core.plan.AggregateMode.PARTIAL
                        && n.child() instanceof TruenoHashAggregateExec)
            .findFirst()
            .orElseThrow();
    assertThat(outerPartial.metrics().apply("numInputRows").value()).isEqualTo(10 * 37);
    assertThat(outerPartial.metrics().apply("numConvertedRows").value()).isZero();
    spark.conf().set("spark.trueno.enabled", "false");
    List<Row> vanilla = spark.sql(sql).collectAsList();
    spark.conf().set("spark.trueno.enabled", "true");
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  static List<SparkPlan> truenoNodes(SparkPlan plan) {
    List<SparkPlan> out = new ArrayList<>();
    AdaptiveSparkPlanHelper helper = new AdaptiveSparkPlanHelper() {};
    helper.foreach(
        plan,
        p -> {
          if (p instanceof TruenoHashAggregateExec) {
            out.add(p);
          }
          return scala.runtime.BoxedUnit.UNIT;
        });
    return out;
  }
}
