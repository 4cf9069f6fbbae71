package dev.trueno.it;

import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregation corpus: every query runs on vanilla Spark and on Trueno and must give the same
 * rows (or the same error), with an assertion of which aggregates Trueno ran and why the others
 * stayed on Spark.
 *
 * <p>Queries written against {@code {t}} run twice, over the in-memory table {@code t} and over its
 * Parquet copy {@code tp}. Queries marked {@code aqeOff} run a second time with {@code
 * spark.sql.adaptive.enabled=false}. The data seed is {@code -Dtrueno.it.seed} (default 20240601)
 * and is printed with every failure.
 */
class AggregationCorpusTest {
  static final long SEED = Long.getLong("trueno.it.seed", 20240601L);
  private static final String ANSI = "spark.sql.ansi.enabled";
  private static final String AQE = "spark.sql.adaptive.enabled";

  @TempDir static Path dir;
  private static DifferentialHarness harness;

  @BeforeAll
  static void registerData() {
    // Every read of the Parquet copies (tp, tp_empty) must go through the Trueno scan.
    harness = new DifferentialHarness(SharedSpark.get(), SEED).requireTruenoScans();
    AggregationData.register(harness.spark(), SEED, dir);
  }

  /** One query of the corpus. */
  private record Case(
      String name, String sql, UnaryOperator<DifferentialHarness.Check> expect, boolean aqeOff) {}

  private static final List<Case> CASES = new ArrayList<>();

  private static void add(
      String name, String sql, UnaryOperator<DifferentialHarness.Check> expect) {
    CASES.add(new Case(name, sql, expect, false));
  }

  private static void addWithAqeOff(
      String name, String sql, UnaryOperator<DifferentialHarness.Check> expect) {
    CASES.add(new Case(name, sql, expect, true));
  }

  private static UnaryOperator<DifferentialHarness.Check> full() {
    return DifferentialHarness.Check::fullyAccelerated;
  }

  static {
    // ---- every supported type as grouping key ----
    // (No MIN/MAX of strings here: Spark plans those as SortAggregateExec, see minMaxCount_str.)
    String keyAggs = "count(*), count(v_int), sum(v_big), min(v_int), max(v_ts), avg(v_double)";
    for (String k :
        List.of(
            "bool", "tiny", "small", "int", "big", "float", "double", "dec5", "dec9", "dec15",
            "dec18", "dec38", "date", "ts", "str")) {
      String sql = "select k_" + k + ", " + keyAggs + " from {t} group by k_" + k;
      if (k.equals("int") || k.equals("str") || k.equals("dec38")) {
        addWithAqeOff("groupBy_" + k, sql, full());
      } else {
        add("groupBy_" + k, sql, full());
      }
    }
    addWithAqeOff(
        "groupBy_severalKeysOfMixedTypes",
        "select k_int, k_str, k_date, k_dec18, k_bool, count(*), sum(v_int) from {t}"
            + " group by k_int, k_str, k_date, k_dec18, k_bool",
        full());

    // ---- every supported type as aggregated value ----
    for (String v :
        List.of("tiny", "small", "int", "big", "float", "double", "dec15", "dec18", "dec38")) {
      String sql =
          "select k_int, sum(v_%1$s), count(v_%1$s), min(v_%1$s), max(v_%1$s), avg(v_%1$s)"
              + " from {t} group by k_int";
      add("aggregate_" + v, String.format(sql, v), full());
    }
    // Small decimals: Spark's optimizer rule DecimalAggregates rewrites SUM of decimal(p <= 8)
    // and AVG of decimal(p <= 11) over the unscaled long: MakeDecimal(sum(UnscaledValue(x))) and
    // sum(UnscaledValue(x)) / 10^s. Both are in Trueno's IR, so these are fully accelerated.
    for (String v : List.of("dec5", "dec9")) {
      add(
          "minMaxCount_" + v,
          String.format(
              "select k_int, count(v_%1$s), min(v_%1$s), max(v_%1$s) from {t} group by k_int", v),
          full());
      add(
          "sumAvg_" + v,
          String.format("select k_int, sum(v_%1$s), avg(v_%1$s) from {t} group by k_int", v),
          full());
    }
    // Strings: Spark plans MIN/MAX of strings as SortAggregateExec (a string buffer is not
    // mutable in place), which Trueno leaves to Spark with a reason (its output order may be
    // relied on above it).
    add(
        "minMaxCount_str",
        "select k_int, count(v_str), min(v_str), max(v_str) from {t} group by k_int",
        c -> c.fallback("Trueno replaces hash aggregates only"));
    for (String v : List.of("date", "ts")) {
      add(
          "minMaxCount_" + v,
          String.format(
              "select k_int, count(v_%1$s), min(v_%1$s), max(v_%1$s) from {t} group by k_int", v),
          full());
    }
    add("countOfBoolean", "select k_str, count(v_bool), count(*) from {t} group by k_str", full());
    add(
        "minMaxOfBooleanFallsBack",
        "select k_str, min(v_bool), max(v_bool) from {t} group by k_str",
        c -> c.fallback("of boolean is not supported"));

    // ---- global aggregates, empty input, one row, one group ----
    addWithAqeOff(
        "global_allFunctions",
        "select count(*), count(v_str), sum(v_big), sum(v_double), min(v_ts), max(v_date),"
            + " avg(v_int), avg(v_dec18), sum(v_dec38) from {t}",
        full());
    addWithAqeOff(
        "global_emptyInputGivesOneRow",
        "select count(*), count(v_int), sum(v_big), min(v_date), max(v_ts), avg(v_double),"
            + " sum(v_dec38), avg(v_dec15) from tp_empty",
        full());
    // A grouped aggregate over no rows: with AQE, Spark replaces the whole aggregation by an
    // empty LocalTableScan once the first stage (or, for in-memory data, the optimizer) shows the
    // input is empty, on vanilla Spark as with Trueno; so no plan expectation there. Without AQE
    // the aggregates run, on Trueno.
    add(
        "grouped_emptyInputGivesNoRows",
        "select k_int, count(*), sum(v_big), avg(v_double) from tp_empty group by k_int",
        c -> c);
    add(
        "grouped_emptyInputGivesNoRows [AQE off]",
        "select k_int, count(*), sum(v_big), avg(v_double) from tp_empty group by k_int",
        c -> c.conf(AQE, "false").fullyAccelerated());
    add(
        "global_filteredToEmptyGivesOneRow",
        "select count(*), sum(v_big), max(v_dec38), avg(v_dec18) from {t} where id < 0",
        full());
    add(
        "grouped_filteredToEmptyGivesNoRows",
        "select k_str, count(*), sum(v_big) from {t} where id < 0 group by k_str",
        c -> c);
    add(
        "grouped_filteredToEmptyGivesNoRows [AQE off]",
        "select k_str, count(*), sum(v_big) from tp where id < 0 group by k_str",
        c -> c.conf(AQE, "false").fullyAccelerated());
    add(
        "oneRow",
        "select k_str, count(*), sum(v_int), avg(v_double), min(v_ts) from {t}"
            + " where id = 7 group by k_str",
        full());
    add(
        "oneGroup",
        "select k_bool, count(*), sum(v_big), max(v_dec38) from {t}"
            + " where k_bool group by k_bool",
        full());

    // ---- nulls ----
    addWithAqeOff(
        "allNullColumn_grouped",
        "select k_int, sum(all_null), count(all_null), min(all_null), max(all_null),"
            + " avg(all_null), count(*) from {t} group by k_int",
        full());
    add(
        "allNullColumn_global",
        "select sum(all_null), count(all_null), min(all_null), avg(all_null) from {t}",
        full());
    add(
        "allNullGroupGivesNullResults",
        "select k_int, sum(v_int), sum(v_double), sum(v_dec38), min(v_date), avg(v_dec15),"
            + " count(v_ts) from {t} where k_int = 5 or k_int is null group by k_int",
        full());
    add(
        "nullKeysFormOneGroup",
        "select k_str, k_date, count(*) from {t} group by k_str, k_date",
        full());

    // ---- NaN, -0.0 and infinities ----
    add(
        "nanAndNegativeZeroDoubleKeys",
        "select kd, count(*), count(vd) from special group by kd",
        c -> c.fullyAccelerated().exactFloats());
    add(
        "nanAndNegativeZeroFloatKeys",
        "select kf, count(*), count(vf) from special group by kf",
        c -> c.fullyAccelerated().exactFloats());
    addWithAqeOff(
        "nanInfinityAndNegativeZeroValues",
        "select g, sum(vd), min(vd), max(vd), avg(vd), sum(vf), min(vf), max(vf), avg(vf)"
            + " from special group by g",
        full());
    add(
        "nanAndNegativeZeroValuesByDoubleKey",
        "select kd, min(vd), max(vd), min(vf), max(vf) from special group by kd",
        c -> c.fullyAccelerated().exactFloats());

    // ---- overflow and errors, ANSI on (Spark 4's default) and off ----
    addWithAqeOff(
        "bigintSumOverflowFailsWithAnsi",
        "select k, sum(v) from values (1, 9223372036854775000L), (1, 9223372036854775000L),"
            + " (2, 1L) as o(k, v) group by k",
        c -> c.conf(ANSI, "true").error("ARITHMETIC_OVERFLOW").accelerated());
    add(
        "bigintSumOverflowWrapsWithoutAnsi",
        "select k, sum(v) from values (1, 9223372036854775000L), (1, 9223372036854775000L),"
            + " (2, 1L) as o(k, v) group by k",
        c -> c.conf(ANSI, "false").fullyAccelerated());
    add(
        "bigintSumOverflowAcrossPartitionsFailsWithAnsi",
        "select id % 2 as k, sum(9223372036854775807L - id) from range(0, 20, 1, 4) group by 1",
        c -> c.conf(ANSI, "true").error("ARITHMETIC_OVERFLOW").accelerated());
    add(
        "bigintSumOverflowAcrossPartitionsWrapsWithoutAnsi",
        "select id % 2 as k, sum(9223372036854775807L - id) from range(0, 20, 1, 4) group by 1",
        c -> c.conf(ANSI, "false").fullyAccelerated());
    add(
        "arithmeticOverflowInsideSumFailsWithAnsi",
        "select k_int, sum(v_big * 100000000L) from {t} group by k_int",
        c -> c.conf(ANSI, "true").error("ARITHMETIC_OVERFLOW").accelerated());
    add(
        "arithmeticOverflowInsideSumWrapsWithoutAnsi",
        "select k_int, sum(v_big * 100000000L) from {t} group by k_int",
        c -> c.conf(ANSI, "false").fullyAccelerated());
    add(
        "decimalSumOverflowFailsWithAnsi",
        "select k, sum(v) from values (1, 99999999999999999999999999999999999999BD),"
            + " (1, 1BD) as o(k, v) group by k",
        c -> c.conf(ANSI, "true").error("ARITHMETIC_OVERFLOW").accelerated());
    add(
        "decimalSumOverflowIsNullWithoutAnsi",
        "select k, sum(v) from values (1, 99999999999999999999999999999999999999BD),"
            + " (1, 1BD), (2, 5BD) as o(k, v) group by k",
        c -> c.conf(ANSI, "false").fullyAccelerated());
    add(
        "divideByZeroInsideSumFailsWithAnsi",
        "select k_int, sum(v_int / (k_int - k_int)) from {t} group by k_int",
        c -> c.conf(ANSI, "true").error("DIVIDE_BY_ZERO").accelerated());
    add(
        "divideByZeroInsideSumIsNullWithoutAnsi",
        "select k_int, sum(v_int / (k_int - k_int)), count(*) from {t} group by k_int",
        c -> c.conf(ANSI, "false").fullyAccelerated());
    add(
        "valuesWithoutAnsi",
        "select k_str, sum(v_int), avg(v_big), sum(v_dec18), avg(v_dec38), sum(v_float)"
            + " from {t} group by k_str",
        c -> c.conf(ANSI, "false").fullyAccelerated());

    add(
        "decimalAvgOverflowFailsWithAnsi",
        "select k, avg(v) from values (1, 99999999999999999999999999.999999999999BD),"
            + " (1, 99999999999999999999999999.999999999999BD) as o(k, v) group by k",
        c -> c.conf(ANSI, "true").error("ARITHMETIC_OVERFLOW").accelerated());
    add(
        "castOverflowInGroupingKeyFailsWithAnsi",
        "select cast(v_double * 1e6 as int) k, count(*) from tp group by 1",
        c -> c.conf(ANSI, "true").error("CAST_OVERFLOW").accelerated());
    add(
        "castOverflowInGroupingKeyIsNullWithoutAnsi",
        "select cast(v_double * 1e6 as int) k, count(*) from tp group by 1",
        c -> c.conf(ANSI, "false").fullyAccelerated());
    add(
        "remainderByZeroInGroupingKeyFailsWithAnsi",
        "select v_int % (k_int - k_int) k, count(*) from tp group by 1",
        c -> c.conf(ANSI, "true").error("REMAINDER_BY_ZERO").accelerated());

    // The running decimal sum leaves decimal(38, 0) in the middle and comes back at the end.
    add(
        "decimalSumOverflowingOnlyInTheMiddleWithAnsi",
        "select k, sum(v) from values (1, 90000000000000000000000000000000000000BD),"
            + " (1, 90000000000000000000000000000000000000BD),"
            + " (1, -90000000000000000000000000000000000000BD) as o(k, v) group by k",
        c -> c.conf(ANSI, "true").accelerated());
    add(
        "decimalSumOverflowingOnlyInTheMiddleWithoutAnsi",
        "select k, sum(v) from values (1, 90000000000000000000000000000000000000BD),"
            + " (1, 90000000000000000000000000000000000000BD),"
            + " (1, -90000000000000000000000000000000000000BD) as o(k, v) group by k",
        c -> c.conf(ANSI, "false").accelerated());
    add(
        "bigintSumWrappingTwiceWithoutAnsi",
        "select k, sum(v) from values (1, 9223372036854775807L), (1, 9223372036854775807L),"
            + " (1, 9223372036854775807L), (1, 5L) as o(k, v) group by k",
        c -> c.conf(ANSI, "false").fullyAccelerated());

    // ---- HAVING and expressions ----
    addWithAqeOff(
        "having",
        "select k_str, sum(v_big) s, count(*) c from {t} group by k_str"
            + " having count(*) > 400 and sum(v_int) is not null",
        full());
    add(
        "groupByModulo",
        "select v_int % 3, count(*), sum(v_big) from {t} group by v_int % 3",
        full());
    add(
        "groupByCaseWhen",
        "select case when v_int > 0 then 'pos' when v_int < 0 then 'neg' else 'zero' end b,"
            + " count(*), avg(v_double) from {t} group by 1",
        full());
    add(
        "groupByCoalesce",
        "select coalesce(k_str, 'none') s, coalesce(k_int, -1) i, count(*) from {t} group by 1, 2",
        full());
    add(
        "groupByInList",
        "select k_str in ('key-a', 'key-c', '') s, k_int in (1, 2) i, count(*), sum(v_small)"
            + " from {t} group by 1, 2",
        full());
    addWithAqeOff(
        "arithmeticInsideAggregates",
        "select k_int, sum(cast(v_int as bigint) * v_small + 1), avg(v_double * 2 - v_float), max(v_big - v_int),"
            + " sum(v_dec15 * 3 + 1) from {t} group by k_int",
        full());
    add(
        "castsInsideAggregates",
        "select k_tiny, sum(cast(v_int as bigint)), max(cast(v_small as int)),"
            + " sum(cast(v_float as double)) from {t} group by k_tiny",
        full());
    add(
        "aggregateFilterClause",
        "select k_int, count(*) filter (where v_int > 0), sum(v_big) filter (where v_str < 'm'),"
            + " avg(v_double) filter (where v_bool) from {t} group by k_int",
        full());
    add(
        "resultExpressionsOverAggregates",
        "select k_int, sum(v_big) + count(*), max(v_big) - min(v_big) from {t} group by k_int",
        full());

    add(
        "decimalArithmeticInsideAggregates",
        "select k_int, sum(v_dec15 * v_dec9), sum(v_dec18 / 7), avg(v_dec9 * 2 + v_dec5),"
            + " max(v_dec38 - v_dec18) from {t} group by k_int",
        full());
    add(
        "aggregateFilterMatchingNoRows",
        "select count(*) filter (where id < 0), sum(v_big) filter (where id < 0),"
            + " avg(v_dec38) filter (where id < 0), count(*) from {t}",
        full());
    add(
        "unicodeStringKeys",
        "select k, count(*), sum(v) from values ('\u00e9', 1), ('e\u0301', 2), ('\u00e9', 3),"
            + " ('\ud83d\ude00', 4), ('', 5), (null, 6), ('\u00e9 ', 7) as v(k, v) group by k",
        full());

    // ---- ROLLUP / GROUPING SETS / CUBE (Expand + spark_grouping_id) ----
    // Observed: fully accelerated; Expand stays a Spark node, both aggregates (keys plus the
    // grouping-id column) run on Trueno.
    addWithAqeOff(
        "rollup",
        "select k_int, k_str, count(*), sum(v_big) from {t} group by rollup(k_int, k_str)",
        full());
    add(
        "groupingSets",
        "select k_int, k_bool, count(*), avg(v_double), grouping_id() from {t}"
            + " group by grouping sets ((k_int), (k_bool), ())",
        full());
    add(
        "cube",
        "select k_bool, k_tiny, count(*), sum(v_int) from {t} group by cube(k_bool, k_tiny)",
        full());

    // ---- DISTINCT aggregates ----
    // Spark plans a single DISTINCT aggregate as four HashAggregates: two that only group by
    // (key, value) to de-duplicate, and partial/final ones over the de-duplicated rows; all four
    // are accelerated.
    addWithAqeOff(
        "countDistinct", "select k_int, count(distinct v_tiny) from {t} group by k_int", full());
    add("sumDistinct", "select k_str, sum(distinct v_tiny) from {t} group by k_str", full());
    add("globalCountDistinct", "select count(distinct v_small) from {t}", full());
    add(
        "distinctMixedWithPlainAggregates",
        "select k_int, count(distinct v_tiny), sum(v_big), count(*) from {t} group by k_int",
        c -> c.accelerated().fallback("mixes aggregate modes"));
    add(
        // Two DISTINCT aggregates: Spark rewrites them with an Expand and a gid column
        // (RewriteDistinctAggregates) into plain aggregates; observed: accelerated.
        "twoDistinctAggregates",
        "select k_int, count(distinct v_tiny), count(distinct v_bool) from {t} group by k_int",
        c -> c.accelerated());
    add("selectDistinct", "select distinct k_str, k_bool from {t}", full());
    // A grouping-only aggregate takes its phase from Spark's distribution requirement, so
    // restricting Trueno to PARTIAL leaves exactly the final de-duplication step on Spark.
    add(
        "selectDistinctPartialOnly",
        "select distinct k_str, k_bool from {t}",
        c ->
            c.conf("spark.trueno.aggregate.modes", "PARTIAL")
                .modes(dev.trueno.core.plan.AggregateMode.PARTIAL)
                .fallback("mode FINAL is not in spark.trueno.aggregate.modes"));

    // ---- unsupported functions fall back with a reason naming them ----
    add(
        "percentileApproxFallsBack",
        "select k_int, percentile_approx(v_int, 0.5) from {t} group by k_int",
        c -> c.fallback("percentile_approx"));
    add(
        "stddevFallsBack",
        "select k_int, stddev(v_double) from {t} group by k_int",
        c -> c.fallback("stddev"));
    add(
        "collectListFallsBack",
        "select k_int, sort_array(collect_list(v_tiny)) from {t} group by k_int",
        c -> c.fallback("collect_list"));
    add(
        "trySumFallsBack",
        "select k_int, try_sum(v_big) from {t} group by k_int",
        c -> c.fallback("TRY"));
    add(
        "countOfTwoColumns",
        "select k_int, count(v_int, v_str) from {t} group by k_int",
        c -> c.fallback("COUNT of 2 columns"));

    // ---- unsupported types: a fallback whose reason names the type, never a failure ----
    add(
        "binaryKeyFallsBack",
        "select k, count(*) from (select cast(cast(id % 3 as string) as binary) as k"
            + " from range(30)) group by k",
        c -> c.fallback("binary"));
    add(
        "timestampNtzFallsBack",
        "select id % 2 as k, max(ts) from (select id, timestamp_ntz'2024-01-01 00:00:00'"
            + " + make_interval(0, 0, 0, 0, 0, 0, id) as ts from range(20)) group by k",
        c -> c.fallback("timestamp_ntz"));
    add(
        "arrayKeyFallsBack",
        "select k, sum(id) from (select array(id % 2, id % 3) as k, id from range(30)) group by k",
        c -> c.fallback("array"));
    add(
        "intervalSumFallsBack",
        "select id % 2 as k, sum(make_dt_interval(cast(id as int))) from range(20) group by k",
        c -> c.fallback("interval"));
    add(
        "collatedStringKeyFallsBack",
        "select k, count(*) from (select collate(cast(id % 3 as string), 'UTF8_LCASE') as k"
            + " from range(30)) group by k",
        c -> c.fallback("UTF8_LCASE"));

    // ---- many groups: a million groups from 1.5 million rows ----
    add(
        "manyGroups_oneMillion",
        "select id % 1000000 as k, sum(id), count(*), min(id), max(id), avg(id)"
            + " from range(0, 1500000, 1, 4) group by 1",
        full());

    // ---- other inputs: range, VALUES ----
    add(
        "rangeInput",
        "select id % 7 as k, sum(id), count(*), min(id), max(id), avg(id) from range(0, 10000, 1, 3)"
            + " group by 1",
        full());
    add(
        "valuesInput",
        "select k, sum(v), count(v), avg(v) from values ('a', 1), ('b', null), ('a', 3),"
            + " (null, 4), (null, null) as v(k, v) group by k",
        full());
  }

  @TestFactory
  Stream<DynamicTest> corpus() {
    return tests(harness, check -> check).stream();
  }

  /**
   * The corpus as dynamic tests over {@code harness}, whose session must have the corpus data
   * registered ({@link AggregationData#register}); {@code extra} adds settings and expectations to
   * every check (the GPU run of the corpus uses it).
   */
  static List<DynamicTest> tests(
      DifferentialHarness harness, UnaryOperator<DifferentialHarness.Check> extra) {
    List<DynamicTest> tests = new ArrayList<>();
    for (Case c : CASES) {
      List<String[]> sources =
          c.sql().contains("{t}")
              ? List.of(new String[] {"", "t"}, new String[] {" [parquet]", "tp"})
              : List.<String[]>of(new String[] {"", null});
      for (String[] source : sources) {
        String sql = source[1] == null ? c.sql() : c.sql().replace("{t}", source[1]);
        tests.add(
            dynamicTest(
                c.name() + source[0],
                () -> extra.apply(c.expect().apply(harness.sql(c.name() + source[0], sql))).run()));
        if (c.aqeOff()) {
          tests.add(
              dynamicTest(
                  c.name() + source[0] + " [AQE off]",
                  () ->
                      extra
                          .apply(
                              c.expect()
                                  .apply(harness.sql(c.name() + source[0], sql).conf(AQE, "false")))
                          .run()));
        }
      }
    }
    return tests;
  }
}
