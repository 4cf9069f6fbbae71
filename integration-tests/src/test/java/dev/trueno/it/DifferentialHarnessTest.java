package dev.trueno.it;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness itself: it must see differences, wrong plans and mismatched errors. */
class DifferentialHarnessTest {
  private static DifferentialHarness harness;

  @BeforeAll
  static void start() {
    harness = new DifferentialHarness(SharedSpark.get(), 42L);
  }

  @Test
  void reportsRowsThatDifferWithTheQueryAndSeed() {
    // Variable substitution reads spark.trueno.enabled when the query is parsed: the two runs
    // return different rows.
    assertThatThrownBy(() -> harness.sql("differs", "select '${spark.trueno.enabled}' as v").run())
        .hasMessageContaining("[differs] results differ")
        .hasMessageContaining("missing    [false]")
        .hasMessageContaining("unexpected [true]")
        .hasMessageContaining("data seed: 42");
  }

  @Test
  void requireTruenoScansFailsASilentFallbackToSparksParquetScan(@TempDir Path dir) {
    String path = dir.resolve("t").toString();
    harness.spark().range(10).write().parquet(path);
    DifferentialHarness strict = new DifferentialHarness(harness.spark(), 42L).requireTruenoScans();
    assertThatCode(
            () -> strict.query("trueno scan", s -> s.read().parquet(path)).truenoScan().run())
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () ->
                strict
                    .query("fallback", s -> s.read().parquet(path))
                    .conf("spark.trueno.scan.enabled", "false")
                    .run())
        .hasMessageContaining("expected the Trueno scan, but Spark's Parquet scan ran")
        .hasMessageContaining("spark.trueno.scan.enabled");
  }

  @Test
  void acceptsFloatsWithinTheToleranceAndNanEqualToNan() {
    assertThatCode(
            () ->
                harness
                    .sql(
                        "select case when '${spark.trueno.enabled}' = 'true' then 1.0 + 1e-12"
                            + " else 1.0 end * cast(1 as double) as d, double('NaN') as n")
                    .run())
        .doesNotThrowAnyException();
  }

  @Test
  void exactFloatsTellNegativeZeroFromZero() {
    assertThatThrownBy(
            () ->
                harness
                    .sql(
                        "select case when '${spark.trueno.enabled}' = 'true' then -0.0d"
                            + " else 0.0d end as d")
                    .exactFloats()
                    .run())
        .hasMessageContaining("results differ");
  }

  @Test
  void failsWhenTheExpectedAccelerationIsMissing() {
    assertThatThrownBy(() -> harness.sql("select 1 as x").accelerated().run())
        .hasMessageContaining("expected TruenoHashAggregateExec in the plan, found none")
        .hasMessageContaining("Trueno plan:");
  }

  @Test
  void failsWhenTheExpectedFallbackReasonIsMissing() {
    assertThatThrownBy(
            () ->
                harness
                    .sql("select id % 3 k, count(*) from range(10) group by 1")
                    .fullyAccelerated()
                    .fallback("no such reason")
                    .run())
        .hasMessageContaining("fallback reason containing \"no such reason\"");
  }

  @Test
  void requiresTheDeclaredErrorCondition() {
    String overflow = "select sum(v) from values (9223372036854775807L), (1L) as o(v)";
    assertThatCode(
            () ->
                harness
                    .sql(overflow)
                    .conf("spark.sql.ansi.enabled", "true")
                    .error("ARITHMETIC_OVERFLOW")
                    .run())
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> harness.sql(overflow).conf("spark.sql.ansi.enabled", "true").run())
        .hasMessageContaining("vanilla Spark failed unexpectedly with ARITHMETIC_OVERFLOW");
    assertThatThrownBy(
            () ->
                harness
                    .sql(overflow)
                    .conf("spark.sql.ansi.enabled", "true")
                    .error("DIVIDE_BY_ZERO")
                    .run())
        .hasMessageContaining("the test expects DIVIDE_BY_ZERO");
  }
}
