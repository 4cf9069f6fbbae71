package dev.trueno.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.trueno.gpu.fault.FaultInjection;
import dev.trueno.gpu.fault.GpuHealth;
import dev.trueno.spark.exec.Backends;
import dev.trueno.spark.exec.TruenoHashAggregateExec;
import dev.trueno.spark.exec.TruenoHashJoinExec;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU failures in a real Spark session with {@code spark.trueno.backend=GPU}: a GPU disabled by a
 * sticky CUDA error sends later queries to the CPU with the reason in the plan (runs everywhere);
 * on the GPU machine, faults injected through {@link FaultInjection} (a device out of memory, a
 * launch error that is not sticky, a sticky {@code CUDA_ERROR_ILLEGAL_ADDRESS}) in a grouped
 * aggregation and an inner join finish on the CPU with Spark's answers.
 *
 * <p>The injected sticky error leaves the real CUDA context intact, so resetting {@link GpuHealth}
 * after each test is legitimate here; after a real one it would not be.
 */
class GpuFailureTest {
  private static final String AGGREGATION =
      "select k, sum(v), count(*), min(v), max(v) from fault_facts group by k";
  private static final String JOIN =
      "select /*+ SHUFFLE_HASH(r) */ l.k, l.v, r.w from fault_facts l join fault_dims r"
          + " on l.k = r.k";
  private static final Map<String, String> SETTINGS =
      Map.of(
          "spark.trueno.backend", "GPU",
          // Shuffled joins, planned once: broadcast builds are shared by tasks and not replayed.
          "spark.sql.autoBroadcastJoinThreshold", "-1",
          "spark.sql.adaptive.enabled", "false",
          "spark.trueno.join.replaceSortMerge", "true");

  private static SparkSession spark;

  @BeforeAll
  static void tables() {
    spark = SharedSpark.get();
    spark
        .range(0, 50_000)
        .selectExpr("cast(id % 997 as int) as k", "if(id % 11 = 0, null, id * 31 - 7000) as v")
        .createOrReplaceTempView("fault_facts");
    spark
        .range(0, 2_000)
        .selectExpr("cast(id % 1200 as int) as k", "id * 3 as w")
        .createOrReplaceTempView("fault_dims");
  }

  @AfterEach
  void reset() {
    FaultInjection.disarm();
    GpuHealth.resetForTests();
  }

  @Test
  void aDisabledGpuSendsLaterOperatorsToTheCpuWithTheReasonInThePlan() {
    GpuHealth.disable("CUDA_ERROR_ILLEGAL_ADDRESS", "an earlier task");
    String disabled =
        "Trueno disabled the GPU on this executor after a sticky CUDA error"
            + " (CUDA_ERROR_ILLEGAL_ADDRESS in an earlier task): later operators run on the CPU";
    assertThat(Backends.gpuUnavailableReason()).isEqualTo(disabled);
    String expected = "the GPU backend is unavailable: " + disabled;

    Run agg = run(AGGREGATION, null);
    List<TruenoHashAggregateExec> aggregates =
        DifferentialHarness.truenoNodes(agg.plan()).stream().toList();
    assertThat(aggregates).as("Trueno aggregates in %s", agg.plan()).isNotEmpty();
    for (TruenoHashAggregateExec n : aggregates) {
      assertThat(n.backend()).isNotEqualTo(Backends.Choice.GPU);
      assertThat(n.gpuFallbackReason()).isEqualTo(expected);
      assertThat(n.simpleString(100)).contains("(not on the GPU: " + expected + ")");
    }
    assertThat(agg.rows()).containsExactlyInAnyOrderElementsOf(vanilla(AGGREGATION));

    Run join = run(JOIN, null);
    List<TruenoHashJoinExec> joins =
        DifferentialHarness.truenoJoins(DifferentialHarness.allNodes(join.plan()));
    assertThat(joins).as("Trueno joins in %s", join.plan()).isNotEmpty();
    for (TruenoHashJoinExec n : joins) {
      assertThat(n.backend()).isNotEqualTo(Backends.Choice.GPU);
      assertThat(n.gpuFallbackReason()).isEqualTo(expected);
    }
    assertThat(join.rows()).containsExactlyInAnyOrderElementsOf(vanilla(JOIN));
  }

  @Tag("gpu")
  @Test
  void aDeviceOutOfMemoryStillGivesSparksAnswers() {
    requireGpu();
    // Out of device memory is answered first by the operators' own split-and-retry (smaller
    // morsels, the aggregation's CPU finish, the join's split into parts); what still fails
    // finishes on the CPU. Either way the answer is Spark's and the GPU stays enabled.
    for (String query : List.of(AGGREGATION, JOIN)) {
      Run run = run(query, () -> FaultInjection.failAllocation(1));
      assertThat(run.rows()).as(query).containsExactlyInAnyOrderElementsOf(vanilla(query));
      assertThat(GpuHealth.disabled()).as(query).isFalse();
    }
  }

  @Tag("gpu")
  @Test
  void aLaunchErrorThatIsNotStickyFinishesOnTheCpu() {
    requireGpu();
    for (String query : List.of(AGGREGATION, JOIN)) {
      Run run =
          run(
              query,
              () -> FaultInjection.failKernelLaunch(1, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"));
      assertThat(run.rows()).as(query).containsExactlyInAnyOrderElementsOf(vanilla(query));
      assertThat(failovers(run.plan())).as("gpuFailovers of %s", query).isPositive();
      assertThat(GpuHealth.disabled()).as(query).isFalse();
    }
  }

  @Tag("gpu")
  @Test
  void aStickyErrorFinishesOnTheCpuAndDisablesTheGpu() {
    requireGpu();
    for (String query : List.of(AGGREGATION, JOIN)) {
      Run run = run(query, () -> FaultInjection.failKernelLaunch(1, "CUDA_ERROR_ILLEGAL_ADDRESS"));
      assertThat(run.rows()).as(query).containsExactlyInAnyOrderElementsOf(vanilla(query));
      assertThat(failovers(run.plan())).as("gpuFailovers of %s", query).isPositive();
      assertThat(GpuHealth.disabledReason())
          .as(query)
          .startsWith(
              "Trueno disabled the GPU on this executor after a sticky CUDA error"
                  + " (CUDA_ERROR_ILLEGAL_ADDRESS in TruenoHash");
      GpuHealth.resetForTests();
    }
  }

  private static void requireGpu() {
    String reason = Backends.gpuUnavailableReason();
    if (reason != null) {
      if (Boolean.getBoolean("trueno.requireGpu")) {
        fail("trueno.requireGpu is set but " + reason);
      }
      Assumptions.abort(reason);
    }
  }

  private record Run(List<Row> rows, SparkPlan plan) {}

  /** Runs {@code sql} with Trueno on the GPU settings, arming a fault just before it runs. */
  private static Run run(String sql, Runnable arm) {
    Map<String, String> previous = new java.util.HashMap<>();
    SETTINGS.forEach(
        (k, v) -> {
          previous.put(k, spark.conf().getOption(k).isDefined() ? spark.conf().get(k) : null);
          spark.conf().set(k, v);
        });
    try {
      Dataset<Row> df = spark.sql(sql);
      if (arm != null) {
        // Planning first, so the plan was made with the GPU enabled; the fault hits execution.
        df.queryExecution().executedPlan();
        arm.run();
      }
      List<Row> rows = df.collectAsList();
      return new Run(rows, df.queryExecution().executedPlan());
    } finally {
      FaultInjection.disarm();
      previous.forEach(
          (k, v) -> {
            if (v == null) {
              spark.conf().unset(k);
            } else {
              spark.conf().set(k, v);
            }
          });
    }
  }

  private static List<Row> vanilla(String sql) {
    spark.conf().set(DifferentialHarness.ENABLED, "false");
    try {
      spark.conf().set("spark.sql.autoBroadcastJoinThreshold", "-1");
      return spark.sql(sql).collectAsList();
    } finally {
      spark.conf().unset("spark.sql.autoBroadcastJoinThreshold");
      spark.conf().set(DifferentialHarness.ENABLED, "true");
    }
  }

  /** The gpuFailovers metric summed over the plan's Trueno aggregates and joins. */
  private static long failovers(SparkPlan plan) {
    long total = 0;
    for (SparkPlan node : DifferentialHarness.allNodes(plan)) {
      if (node instanceof TruenoHashAggregateExec || node instanceof TruenoHashJoinExec) {
        total += node.metrics().apply("gpuFailovers").value();
      }
    }
    return total;
  }
}
