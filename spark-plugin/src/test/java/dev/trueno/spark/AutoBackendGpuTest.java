package dev.trueno.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.trueno.core.cost.HardwareProfile;
import dev.trueno.spark.calibration.Calibration;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code spark.trueno.backend=AUTO} on a machine with a GPU: once the executor's calibration is
 * done, each partition goes where the 5x rule says. Figures overridden by {@code
 * spark.trueno.calibration.<key>} steer the rule both ways, and the answer equals vanilla Spark's
 * either way. Runs on the GPU machine ({@code -Dtrueno.requireGpu=true} turns a missing GPU into a
 * failure).
 */
@Tag("gpu")
class AutoBackendGpuTest {
  private static SparkSession spark;

  private static final String GROUPED =
      "select k, count(*), sum(v), min(v), max(v) from a group by k";
  private static final String JOINED =
      "select a.k, count(*), sum(a.v + b.w) from a join b on a.k = b.k group by a.k";

  @BeforeAll
  static void start() throws InterruptedException {
    String reason = Backends.gpuUnavailableReason();
    if (reason != null) {
      if (Boolean.getBoolean("trueno.requireGpu")) {
        fail("trueno.requireGpu is set but " + reason);
      }
      Assumptions.abort("No usable GPU: " + reason);
    }
    // Calibration never holds up a task, so a test that needs figures waits for them first.
    long deadline = System.nanoTime() + 60_000_000_000L;
    HardwareProfile profile = Calibration.current(null);
    while (profile == null && System.nanoTime() < deadline) {
      String why = Calibration.pendingOrFailedReason();
      if (why != null && why.startsWith("calibration failed")) {
        fail(why);
      }
      Thread.sleep(50);
      profile = Calibration.current(null);
    }
    assertThat(profile).as(Calibration.pendingOrFailedReason()).isNotNull();
    spark =
        SparkSession.builder()
            .master("local[4]")
            .appName("trueno-auto-backend-gpu-test")
            .config("spark.sql.extensions", TruenoExtensions.class.getName())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.autoBroadcastJoinThreshold", "-1")
            .getOrCreate();
    // 4 partitions of 1M rows: 16 MiB of key and value columns each, over the 10 MiB minimum.
    spark
        .range(0, 4_000_000, 1, 4)
        .selectExpr("id % 5000 as k", "id as v")
        .createOrReplaceTempView("a");
    spark.range(0, 5000, 1, 4).selectExpr("id as k", "id * 3 as w").createOrReplaceTempView("b");
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @AfterEach
  void resetConf() {
    for (String key :
        List.of(
            "spark.trueno.calibration.simd.hashAggregate",
            "spark.trueno.calibration.simd.joinBuild",
            "spark.trueno.calibration.simd.joinProbe",
            "spark.trueno.calibration.h2d.pinned",
            "spark.trueno.calibration.h2d.pageable",
            "spark.trueno.gpu.minBytes")) {
      spark.conf().unset(key);
    }
  }

  @Test
  void aSlowCpuSendsEveryLargePartitionToTheGpu() {
    // 1 MB/s on the CPU: 16 s of compute per partition against milliseconds of copying.
    spark.conf().set("spark.trueno.calibration.simd.hashAggregate", "1000000");
    Dataset<Row> df = spark.sql(GROUPED);
    assertSameAsSpark(GROUPED, df.collectAsList());
    TruenoHashAggregateExec partial = partial(df);
    assertThat(partial.auto()).isNotNull();
    assertThat(metric(partial, "gpuPartitions")).as(partial.simpleString(300)).isEqualTo(4);
    assertThat(metric(partial, "cpuPartitions")).isZero();
    assertThat(dev.trueno.gpu.GpuBackend.pinnedPoolIfStarted())
        .as("a GPU aggregator ran on this executor")
        .isNotNull();
  }

  @Test
  void aSlowCopyKeepsEveryPartitionOnTheCpu() {
    // 1 kB/s host to device: copying 16 MiB would take hours.
    spark.conf().set("spark.trueno.calibration.h2d.pinned", "1000");
    spark.conf().set("spark.trueno.calibration.h2d.pageable", "1000");
    Dataset<Row> df = spark.sql(GROUPED);
    assertSameAsSpark(GROUPED, df.collectAsList());
    TruenoHashAggregateExec partial = partial(df);
    assertThat(metric(partial, "cpuPartitions")).isEqualTo(4);
    assertThat(metric(partial, "gpuPartitions")).isZero();
  }

  @Test
  void partitionsUnderTheMinimumStayOnTheCpu() {
    spark.conf().set("spark.trueno.calibration.simd.hashAggregate", "1000000");
    spark.conf().set("spark.trueno.gpu.minBytes", "1g");
    Dataset<Row> df = spark.sql(GROUPED);
    assertSameAsSpark(GROUPED, df.collectAsList());
    TruenoHashAggregateExec partial = partial(df);
    assertThat(metric(partial, "cpuPartitions")).isEqualTo(4);
  }

  @Test
  void shuffledJoinsFollowTheRuleBothWays() {
    spark.conf().set("spark.trueno.calibration.simd.joinBuild", "1000000");
    spark.conf().set("spark.trueno.calibration.simd.joinProbe", "1000000");
    spark.conf().set("spark.trueno.gpu.minBytes", "0");
    Dataset<Row> onGpu = spark.sql(JOINED);
    assertSameAsSpark(JOINED, onGpu.collectAsList());
    TruenoHashJoinExec join = join(onGpu);
    assertThat(metric(join, "gpuPartitions")).as(join.simpleString(300)).isEqualTo(4);

    spark.conf().set("spark.trueno.calibration.h2d.pinned", "1000");
    spark.conf().set("spark.trueno.calibration.h2d.pageable", "1000");
    Dataset<Row> onCpu = spark.sql(JOINED);
    assertSameAsSpark(JOINED, onCpu.collectAsList());
    assertThat(metric(join(onCpu), "cpuPartitions")).isEqualTo(4);
  }

  @Test
  void withMeasuredFiguresEveryPartitionIsDecidedAndTheAnswerIsSpark() {
    Dataset<Row> df = spark.sql(JOINED);
    assertSameAsSpark(JOINED, df.collectAsList());
    TruenoHashJoinExec join = join(df);
    assertThat(metric(join, "gpuPartitions") + metric(join, "cpuPartitions")).isEqualTo(4);
  }

  private static TruenoHashAggregateExec partial(Dataset<Row> df) {
    List<TruenoHashAggregateExec> partials = new ArrayList<>();
    for (SparkPlan p : AggregateReplacementTest.truenoNodes(df.queryExecution().executedPlan())) {
      TruenoHashAggregateExec n = (TruenoHashAggregateExec) p;
      if (!n.plan().mode().mergesBuffers()) {
        partials.add(n);
      }
    }
    assertThat(partials).hasSize(1);
    return partials.get(0);
  }

  private static TruenoHashJoinExec join(Dataset<Row> df) {
    List<TruenoHashJoinExec> joins = new ArrayList<>();
    new AdaptiveSparkPlanHelper() {}.foreach(
        df.queryExecution().executedPlan(),
        p -> {
          if (p instanceof TruenoHashJoinExec j) {
            joins.add(j);
          }
          return scala.runtime.BoxedUnit.UNIT;
        });
    assertThat(joins).hasSize(1);
    assertThat(joins.get(0).auto()).isNotNull();
    return joins.get(0);
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
}
