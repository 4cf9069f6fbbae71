package dev.trueno.it;

import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.trueno.core.plan.AggregateMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trueno and Spark each run one phase of the same aggregation, through Spark's aggregation-buffer
 * layout: Trueno's partial aggregate feeds Spark's final aggregate, and Spark's partial feeds
 * Trueno's final. {@code spark.trueno.aggregate.modes} picks the phases Trueno may replace.
 */
class AggregatePhaseMixingTest {
  private static final String MODES = "spark.trueno.aggregate.modes";
  private static final String AQE = "spark.sql.adaptive.enabled";

  @TempDir static Path dir;
  private static DifferentialHarness harness;

  @BeforeAll
  static void registerData() {
    harness = new DifferentialHarness(SharedSpark.get(), AggregationCorpusTest.SEED);
    AggregationData.register(harness.spark(), AggregationCorpusTest.SEED, dir);
  }

  /**
   * Queries whose buffers cover every layout Trueno writes: counts, sums of integers (long), of
   * doubles, of decimals (sum plus isEmpty), averages (sum plus count) of each, MIN/MAX of numbers,
   * dates and timestamps; with null keys, all-null groups (k_int = 5) and empty input.
   */
  private static final List<String[]> QUERIES =
      List.of(
          new String[] {
            "integerAndDoubleBuffers",
            "select k_int, count(*), count(v_tiny), sum(v_small), sum(v_int), sum(v_big),"
                + " avg(v_int), sum(v_float), sum(v_double), avg(v_double), min(v_big),"
                + " max(v_double) from {t} group by k_int"
          },
          new String[] {
            "decimalBuffers",
            "select k_str, sum(v_dec15), avg(v_dec15), sum(v_dec18), avg(v_dec18), sum(v_dec38),"
                + " avg(v_dec38), min(v_dec38), max(v_dec15) from {t} group by k_str"
          },
          new String[] {
            "dateAndTimestampBuffers",
            "select k_date, min(v_date), max(v_date), min(v_ts), max(v_ts), count(v_ts)"
                + " from {t} group by k_date"
          },
          new String[] {
            "globalAggregate",
            "select count(*), sum(v_big), avg(v_dec38), sum(v_double), max(v_ts) from {t}"
          },
          new String[] {
            "globalAggregateOverEmptyInput",
            "select count(*), sum(v_big), avg(v_dec38), sum(v_double), max(v_ts) from tp_empty"
          },
          new String[] {
            "aggregateFilterClause",
            "select k_bool, count(*) filter (where v_int > 0), sum(v_dec18) filter (where v_bool)"
                + " from {t} group by k_bool"
          });

  @TestFactory
  Stream<DynamicTest> truenoPartialFeedsSparkFinal() {
    return tests(
        "PARTIAL",
        AggregateMode.PARTIAL,
        "partialOnTruenoFinalOnSpark",
        // Spark's final aggregate is told why it stays: the modes key.
        MODES);
  }

  @TestFactory
  Stream<DynamicTest> sparkPartialFeedsTruenoFinal() {
    return tests("FINAL", AggregateMode.FINAL, "partialOnSparkFinalOnTrueno", MODES);
  }

  private static Stream<DynamicTest> tests(
      String modes, AggregateMode expected, String prefix, String reason) {
    List<DynamicTest> tests = new ArrayList<>();
    for (String[] q : QUERIES) {
      for (String table : List.of("t", "tp")) {
        if (q[1].contains("tp_empty") && table.equals("tp")) {
          continue;
        }
        String sql = q[1].replace("{t}", table);
        String name = prefix + "_" + q[0] + (table.equals("tp") ? " [parquet]" : "");
        tests.add(
            dynamicTest(
                name,
                () ->
                    harness
                        .sql(name, sql)
                        .conf(MODES, modes)
                        .modes(expected)
                        .fallback(reason)
                        .run()));
      }
      String name = prefix + "_" + q[0] + " [AQE off]";
      String sql = q[1].replace("{t}", "t");
      tests.add(
          dynamicTest(
              name,
              () ->
                  harness
                      .sql(name, sql)
                      .conf(MODES, modes)
                      .conf(AQE, "false")
                      .modes(expected)
                      .fallback(reason)
                      .run()));
    }
    return tests.stream();
  }
}
