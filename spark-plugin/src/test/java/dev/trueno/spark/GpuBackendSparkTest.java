package dev.trueno.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.trueno.gpu.GpuBackend;
import dev.trueno.spark.exec.Backends;
import dev.trueno.spark.exec.TruenoHashAggregateExec;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code spark.trueno.backend=GPU} in a real Spark session: what the GPU runs, it runs (checked on
 * the GPU machine, where {@code -Dtrueno.requireGpu=true} turns a missing GPU into a failure); what
 * it cannot run, or a JVM without a GPU, goes to the CPU backend with the reason in the plan.
 */
class GpuBackendSparkTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("trueno-gpu-backend-test")
            .config("spark.sql.extensions", TruenoExtensions.class.getName())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.trueno.backend", "GPU")
            .getOrCreate();
    spark
        .range(0, 200_000)
        .selectExpr(
            "id",
            "if(id % 13 = 0, null, cast(id % 1000 - 500 as int)) as i",
            "if(id % 17 = 0, null, id * 7919 - 800000000) as l",
            "if(id % 19 = 0, null, cast(id as double) / 7) as d")
        .createOrReplaceTempView("g");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static final String GLOBAL =
      "select count(*), count(i), sum(i), min(i), max(i), avg(i), sum(l), min(l), max(l),"
          + " min(d), max(d), count(d) from g";

  @Tag("gpu")
  @Test
  void globalAggregatesRunOnTheGpuAndMatchSpark() {
    String reason = Backends.gpuUnavailableReason();
    if (reason != null) {
      if (Boolean.getBoolean("trueno.requireGpu")) {
        fail("trueno.requireGpu is set but " + reason);
      }
      Assumptions.abort("No usable GPU: " + reason);
    }
    var df = spark.sql(GLOBAL);
    List<Row> trueno = df.collectAsList();
    List<TruenoHashAggregateExec> nodes =
        AggregateReplacementTest.truenoNodes(df.queryExecution().executedPlan()).stream()
            .map(TruenoHashAggregateExec.class::cast)
            .toList();
    assertThat(nodes).isNotEmpty();
    assertThat(nodes).anyMatch(n -> n.backend() == Backends.Choice.GPU);
    for (TruenoHashAggregateExec n : nodes) {
      // A node off the GPU must say why, and exactly when the GPU cannot run its plan.
      assertThat(n.gpuFallbackReason())
          .as("%s", n.simpleString(100))
          .isEqualTo(new GpuBackend().unsupportedReason(n.plan()));
    }
    spark.conf().set("spark.trueno.enabled", "false");
    List<Row> vanilla = spark.sql(GLOBAL).collectAsList();
    spark.conf().set("spark.trueno.enabled", "true");
    assertThat(trueno).containsExactlyElementsOf(vanilla);
  }

  /**
   * Once a GPU aggregator started on this JVM, Trueno's Arrow batches (the rows converted for the
   * aggregate) come from the executor's pinned pool, so the transfer queue copies them by DMA as
   * they are; the answer stays Spark's.
   */
  @Tag("gpu")
  @Test
  void afterTheFirstGpuTaskArrowBatchesArePinned() {
    String reason = Backends.gpuUnavailableReason();
    if (reason != null) {
      if (Boolean.getBoolean("trueno.requireGpu")) {
        fail("trueno.requireGpu is set but " + reason);
      }
      Assumptions.abort("No usable GPU: " + reason);
    }
    String query = "select i, sum(l), count(*), min(l) from g group by i";
    spark.sql(query).collectAsList(); // starts the pinned pool if no earlier test did
    var pinned = GpuBackend.pinnedPoolIfStarted();
    assertThat(pinned).as("the executor's pinned pool").isNotNull();
    long peakBefore = pinned.peakBytes();
    List<Row> trueno = spark.sql(query).collectAsList();
    assertThat(pinned.peakBytes()).as("pinned bytes in use at the peak").isPositive();
    assertThat(peakBefore).isLessThanOrEqualTo(pinned.peakBytes());
    spark.conf().set("spark.trueno.enabled", "false");
    List<Row> vanilla = spark.sql(query).collectAsList();
    spark.conf().set("spark.trueno.enabled", "true");
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  /**
   * The reason is checked in the plan, which is the query's own record of it, rather than in the
   * log: a log capture depends on how the JVM's logging was set up by whatever ran before (it saw
   * nothing when every test of the module ran in one JVM on the GPU machine).
   */
  @Test
  void whatTheGpuCannotRunGoesToTheCpuWithTheReasonInThePlan() {
    // Grouped aggregation over doubles: not on the GPU (or no GPU at all here).
    String query = "select i % 10 as k, sum(d) from g group by k";
    var df = spark.sql(query);
    List<Row> trueno = df.collectAsList();
    List<TruenoHashAggregateExec> nodes =
        AggregateReplacementTest.truenoNodes(df.queryExecution().executedPlan()).stream()
            .map(TruenoHashAggregateExec.class::cast)
            .toList();
    assertThat(nodes).isNotEmpty();
    String unavailable = Backends.gpuUnavailableReason();
    for (TruenoHashAggregateExec n : nodes) {
      String expected =
          unavailable != null
              ? "the GPU backend is unavailable: " + unavailable
              : new GpuBackend().unsupportedReason(n.plan());
      assertThat(expected).as("the GPU should not support %s", n.plan()).isNotNull();
      assertThat(n.backend()).isNotEqualTo(Backends.Choice.GPU);
      assertThat(n.gpuFallbackReason()).isEqualTo(expected);
      assertThat(n.simpleString(100))
          .contains("backend=" + n.backend().label() + " (not on the GPU: " + expected + ")");
    }
    spark.conf().set("spark.trueno.enabled", "false");
    List<Row> vanilla = spark.sql(query).collectAsList();
    spark.conf().set("spark.trueno.enabled", "true");
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla);
  }
}
