package dev.trueno.it;

import static org.assertj.core.api.Assertions.fail;

import dev.trueno.benchmarks.tpch.RowComparison;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.spark.exec.TruenoHashAggregateExec;
import dev.trueno.spark.exec.TruenoHashJoinExec;
import dev.trueno.spark.rules.TruenoOverrides;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.EmptyRelationExec;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.ReusedSubqueryExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.aggregate.BaseAggregateExec;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;
import org.apache.spark.sql.execution.datasources.v2.parquet.ParquetScan;
import org.apache.spark.sql.execution.exchange.ReusedExchangeExec;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Runs a query on vanilla Spark and on Trueno in one session and checks that both give the same
 * answer (or fail with the same error condition), then checks where the plan ran.
 *
 * <p>Results are compared as multisets of rows with {@link RowComparison}: exactly for integers,
 * decimals (by value; the schemas, and so the scales, must be equal), strings, dates, timestamps
 * and booleans; every {@code float} and {@code double} value within a relative tolerance of {@link
 * RowComparison#DEFAULT_RELATIVE_TOLERANCE} (1e-9: the rounding of sums added in another order),
 * with NaN equal to NaN and -0.0 equal to 0.0. {@link Check#exactFloats()} makes floating values
 * exact to the bit pattern's text (so -0.0 differs from 0.0), for queries whose floating columns
 * are keys rather than sums.
 *
 * <p>The vanilla run sets {@code spark.trueno.enabled=false}, the Trueno run {@code true}; any
 * other settings of a check apply to both and are restored afterwards.
 *
 * <p>{@link #requireTruenoScans()} makes every check fail when the Trueno run still reads Parquet
 * with Spark's own scan (a silent fallback of the Trueno scan); {@link Check#truenoScan()} also
 * requires a Trueno scan in the plan.
 */
final class DifferentialHarness {
  static final String ENABLED = "spark.trueno.enabled";

  private final SparkSession spark;
  private final long seed;
  private boolean requireTruenoScans;

  /**
   * A harness over a session that has {@code spark.sql.extensions} set to Trueno's extension.
   *
   * @param seed the seed of the random test data, printed with every failure
   */
  DifferentialHarness(SparkSession spark, long seed) {
    this.spark = spark;
    this.seed = seed;
  }

  /**
   * Every check of this harness fails when its Trueno run reads Parquet with Spark's own scan
   * ({@code FileSourceScanExec} or {@code BatchScanExec} over Parquet) instead of the Trueno scan.
   */
  DifferentialHarness requireTruenoScans() {
    requireTruenoScans = true;
    return this;
  }

  /** The session the queries run in. */
  SparkSession spark() {
    return spark;
  }

  /** A check of one SQL query. */
  Check sql(String sql) {
    return new Check(sql, s -> s.sql(sql));
  }

  /** A check of one SQL query; {@code name} starts every failure message. */
  Check sql(String name, String sql) {
    return new Check("[" + name + "] " + sql, s -> s.sql(sql));
  }

  /** A check of a query built with the Dataset API; {@code description} names it in messages. */
  Check query(String description, Function<SparkSession, Dataset<Row>> query) {
    return new Check(description, query);
  }

  /** What to run, under which settings, and what to expect of the plan. */
  final class Check {
    private final String description;
    private final Function<SparkSession, Dataset<Row>> query;
    private final Map<String, String> conf = new LinkedHashMap<>();
    private final List<String> fallbackReasons = new ArrayList<>();
    private final List<AggregateMode> expectedModes = new ArrayList<>();
    private final List<Function<List<TruenoHashAggregateExec>, String>> nodeChecks =
        new ArrayList<>();
    private final List<Function<List<SparkPlan>, String>> planChecks = new ArrayList<>();
    private boolean expectJoins;
    private boolean expectAccelerated;
    private boolean expectOnlyTrueno;
    private boolean expectTruenoScan;
    private int expectedCount = -1;
    private String expectedError;
    private boolean exactFloats;
    private double tolerance = RowComparison.DEFAULT_RELATIVE_TOLERANCE;

    private Check(String description, Function<SparkSession, Dataset<Row>> query) {
      this.description = description;
      this.query = query;
    }

    /** Sets a SQL configuration for both runs (restored afterwards). */
    Check conf(String key, String value) {
      conf.put(key, value);
      return this;
    }

    /** At least one TruenoHashAggregateExec runs. */
    Check accelerated() {
      expectAccelerated = true;
      return this;
    }

    /** Exactly {@code count} TruenoHashAggregateExec nodes run. */
    Check accelerated(int count) {
      expectAccelerated = true;
      expectedCount = count;
      return this;
    }

    /**
     * Every aggregate runs on Trueno: at least one TruenoHashAggregateExec and no Spark aggregate
     * node (hash, object-hash or sort aggregate) is left.
     */
    Check fullyAccelerated() {
      expectAccelerated = true;
      expectOnlyTrueno = true;
      return this;
    }

    /** The Trueno nodes run in these modes (as a multiset, in any order). */
    Check modes(AggregateMode... modes) {
      expectAccelerated = true;
      expectedModes.addAll(Arrays.asList(modes));
      return this;
    }

    /**
     * Checks the Trueno aggregates of the Trueno run (possibly none): {@code check} returns what is
     * wrong with them, or null. A non-null answer fails the query, with its plan.
     */
    Check checkTruenoNodes(Function<List<TruenoHashAggregateExec>, String> check) {
      nodeChecks.add(check);
      return this;
    }

    /**
     * At least one {@link TruenoHashJoinExec} runs (unless adaptive execution replaced the joins by
     * an empty relation): a query whose joins all fell back to Spark fails.
     */
    Check joinsAccelerated() {
      expectJoins = true;
      return this;
    }

    /**
     * Checks every node of the Trueno run's plan: {@code check} returns what is wrong, or null. A
     * non-null answer fails the query, with its plan.
     */
    Check checkPlan(Function<List<SparkPlan>, String> check) {
      planChecks.add(check);
      return this;
    }

    /**
     * The Trueno run reads through the Trueno scan: at least one {@code BatchScanExec} over {@code
     * TruenoScan} and no Spark Parquet scan left (unless adaptive execution replaced the scans by
     * an empty relation).
     */
    Check truenoScan() {
      expectTruenoScan = true;
      return this;
    }

    /** Some Spark aggregate stays on Spark with a fallback reason containing {@code text}. */
    Check fallback(String text) {
      fallbackReasons.add(text);
      return this;
    }

    /** The query fails on vanilla Spark with this error condition (or one starting with it). */
    Check error(String condition) {
      expectedError = condition;
      return this;
    }

    /** Compares floating-point values exactly (as text, so -0.0 differs from 0.0). */
    Check exactFloats() {
      exactFloats = true;
      return this;
    }

    /** Compares floating-point values within this relative tolerance instead of 1e-9. */
    Check tolerance(double relative) {
      tolerance = relative;
      return this;
    }

    /** Runs both sides and asserts equal results and the plan expectations. */
    void run() {
      Map<String, String> previous = new LinkedHashMap<>();
      for (String key : conf.keySet()) {
        previous.put(key, spark.conf().getOption(key).getOrElse(() -> null));
      }
      previous.put(ENABLED, spark.conf().getOption(ENABLED).getOrElse(() -> null));
      try {
        conf.forEach((k, v) -> spark.conf().set(k, v));
        spark.conf().set(ENABLED, "false");
        Outcome vanilla = execute();
        spark.conf().set(ENABLED, "true");
        Outcome trueno = execute();
        verify(vanilla, trueno);
      } finally {
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

    private Outcome execute() {
      Dataset<Row> df;
      try {
        df = query.apply(spark);
      } catch (RuntimeException e) {
        // Analysis errors: the same on both sides since Trueno only changes physical plans.
        return new Outcome(null, null, null, e);
      }
      try {
        List<Row> rows = df.collectAsList();
        return new Outcome(df.schema(), rows, df.queryExecution().executedPlan(), null);
      } catch (RuntimeException e) {
        SparkPlan plan = null;
        try {
          plan = df.queryExecution().executedPlan();
        } catch (RuntimeException planningFailed) {
          // Planning failed (e.g. the optimizer folded an expression that throws): no plan.
          if (planningFailed != e) {
            e.addSuppressed(planningFailed);
          }
        }
        return new Outcome(df.schema(), null, plan, e);
      }
    }

    private void verify(Outcome vanilla, Outcome trueno) {
      if (vanilla.plan() != null && !truenoScans(allNodes(vanilla.plan())).isEmpty()) {
        fail(message("the vanilla run (spark.trueno.enabled=false) has Trueno scans", vanilla));
      }
      if (vanilla.plan() != null && !truenoJoins(allNodes(vanilla.plan())).isEmpty()) {
        fail(message("the vanilla run (spark.trueno.enabled=false) has Trueno joins", vanilla));
      }
      if (vanilla.plan() != null && !truenoNodes(vanilla.plan()).isEmpty()) {
        fail(message("the vanilla run (spark.trueno.enabled=false) has Trueno nodes", vanilla));
      }
      if (vanilla.error() != null) {
        String expected = condition(vanilla.error());
        if (expectedError == null) {
          fail(
              message(
                  "vanilla Spark failed unexpectedly with "
                      + expected
                      + ": "
                      + vanilla.error()
                      + stackTrace(vanilla.error()),
                  trueno));
        }
        if (expected == null || !expected.startsWith(expectedError)) {
          fail(
              message(
                  "vanilla Spark failed with condition "
                      + expected
                      + ", the test expects "
                      + expectedError
                      + ": "
                      + vanilla.error(),
                  trueno));
        }
        if (trueno.error() == null) {
          fail(
              message(
                  "vanilla Spark fails with "
                      + expected
                      + " but Trueno returned "
                      + trueno.rows().size()
                      + " rows: "
                      + firstRows(trueno.rows()),
                  trueno));
        }
        String actual = condition(trueno.error());
        if (!expected.equals(actual)) {
          fail(
              message(
                  "vanilla Spark fails with "
                      + expected
                      + " but Trueno with "
                      + actual
                      + ": "
                      + trueno.error()
                      + stackTrace(trueno.error()),
                  trueno));
        }
      } else {
        if (expectedError != null) {
          fail(
              message(
                  "expected vanilla Spark to fail with "
                      + expectedError
                      + " but it returned "
                      + firstRows(vanilla.rows()),
                  trueno));
        }
        if (trueno.error() != null) {
          fail(
              message(
                  "vanilla Spark succeeds but Trueno fails: "
                      + trueno.error()
                      + stackTrace(trueno.error()),
                  trueno));
        }
        RowComparison.Result result = compare(vanilla, trueno);
        if (!result.matches()) {
          fail(message("results differ: " + result.description(), trueno));
        }
      }
      verifyPlan(trueno);
    }

    private RowComparison.Result compare(Outcome vanilla, Outcome trueno) {
      RowComparison comparison = RowComparison.withRelativeTolerance(tolerance);
      if (!exactFloats) {
        return comparison.compare(vanilla.schema(), vanilla.rows(), trueno.schema(), trueno.rows());
      }
      if (!vanilla.schema().equals(trueno.schema())) {
        return comparison.compare(vanilla.schema(), vanilla.rows(), trueno.schema(), trueno.rows());
      }
      return comparison.compare(floatsAsText(vanilla.rows()), floatsAsText(trueno.rows()));
    }

    private void verifyPlan(Outcome trueno) {
      if (trueno.plan() == null) {
        if (expectAccelerated || !fallbackReasons.isEmpty() || expectTruenoScan || expectJoins) {
          fail(message("no executed plan to check (planning failed)", trueno));
        }
        return;
      }
      List<SparkPlan> nodes = allNodes(trueno.plan());
      List<TruenoHashAggregateExec> accelerated = truenoNodes(nodes);
      if (expectTruenoScan || requireTruenoScans) {
        List<String> sparkScans =
            sparkParquetScans(nodes).stream()
                .map(n -> n.nodeName() + " (" + reason(n) + ")")
                .toList();
        if (!sparkScans.isEmpty()) {
          fail(
              message(
                  "expected the Trueno scan, but Spark's Parquet scan ran: " + sparkScans, trueno));
        }
      }
      // Adaptive execution may replace the part of a plan with its scans by an empty relation once
      // a
      // stage came back empty (TPC-H Q17 at SF 0.01); the final plan then shows no scan at all.
      if (expectTruenoScan
          && truenoScans(nodes).isEmpty()
          && nodes.stream().noneMatch(n -> n instanceof EmptyRelationExec)) {
        fail(message("expected a BatchScanExec over TruenoScan in the plan, found none", trueno));
      }
      // As for scans: a plan whose joins AQE replaced by an empty relation runs no join at all.
      if (expectJoins
          && truenoJoins(nodes).isEmpty()
          && nodes.stream().noneMatch(n -> n instanceof EmptyRelationExec)) {
        fail(message("expected TruenoHashJoinExec in the plan, found none", trueno));
      }
      for (Function<List<SparkPlan>, String> check : planChecks) {
        String problem = check.apply(nodes);
        if (problem != null) {
          fail(message(problem, trueno));
        }
      }
      if (expectAccelerated && accelerated.isEmpty()) {
        fail(message("expected TruenoHashAggregateExec in the plan, found none", trueno));
      }
      if (expectedCount >= 0 && accelerated.size() != expectedCount) {
        fail(
            message(
                "expected " + expectedCount + " Trueno aggregates, found " + accelerated.size(),
                trueno));
      }
      if (expectOnlyTrueno) {
        List<String> left =
            nodes.stream()
                .filter(n -> n instanceof BaseAggregateExec)
                .map(n -> n.nodeName() + " (" + reason(n) + ")")
                .toList();
        if (!left.isEmpty()) {
          fail(message("expected every aggregate on Trueno, but Spark runs " + left, trueno));
        }
      }
      if (!expectedModes.isEmpty()) {
        Map<AggregateMode, Long> expected = countModes(expectedModes);
        Map<AggregateMode, Long> actual =
            countModes(accelerated.stream().map(n -> n.plan().mode()).toList());
        if (!expected.equals(actual)) {
          fail(
              message(
                  "expected Trueno aggregates in modes " + expected + ", found " + actual, trueno));
        }
      }
      for (Function<List<TruenoHashAggregateExec>, String> check : nodeChecks) {
        String problem = check.apply(accelerated);
        if (problem != null) {
          fail(message(problem, trueno));
        }
      }
      List<String> reasons = fallbackReasons(nodes);
      for (String text : fallbackReasons) {
        if (reasons.stream().noneMatch(r -> r.contains(text))) {
          fail(
              message(
                  "expected a Spark node with a fallback reason containing \""
                      + text
                      + "\", found reasons "
                      + reasons,
                  trueno));
        }
      }
    }

    private String message(String what, Outcome trueno) {
      StringBuilder text = new StringBuilder();
      text.append(
              description.startsWith("[")
                  ? description.substring(0, description.indexOf(']') + 2)
                  : "")
          .append(what)
          .append("\n  query: ")
          .append(description)
          .append("\n  settings: ")
          .append(conf)
          .append("\n  data seed: ")
          .append(seed)
          .append(" (rerun with -Dtrueno.it.seed=")
          .append(seed)
          .append(")");
      if (trueno.plan() != null) {
        text.append("\n  fallback reasons: ")
            .append(fallbackReasons(allNodes(trueno.plan())))
            .append("\n  Trueno plan:\n")
            .append(trueno.plan());
      }
      return text.toString();
    }
  }

  private record Outcome(StructType schema, List<Row> rows, SparkPlan plan, Throwable error) {}

  /** Every node of an executed plan, looking inside adaptive plans, query stages and reuse. */
  static List<SparkPlan> allNodes(SparkPlan plan) {
    List<SparkPlan> out = new ArrayList<>();
    Set<SparkPlan> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<SparkPlan> pending = new ArrayDeque<>();
    pending.push(plan);
    while (!pending.isEmpty()) {
      SparkPlan node = pending.pop();
      if (!seen.add(node)) {
        continue;
      }
      out.add(node);
      if (node instanceof AdaptiveSparkPlanExec adaptive) {
        pending.push(adaptive.executedPlan());
      } else if (node instanceof QueryStageExec stage) {
        pending.push(stage.plan());
      } else if (node instanceof ReusedExchangeExec reused) {
        pending.push(reused.child());
      } else if (node instanceof ReusedSubqueryExec reused) {
        pending.push(reused.child());
      }
      CollectionConverters.asJava(node.children()).forEach(pending::push);
      CollectionConverters.asJava(node.subqueries()).forEach(pending::push);
    }
    return out;
  }

  /** The Trueno aggregates of an executed plan. */
  static List<TruenoHashAggregateExec> truenoNodes(SparkPlan plan) {
    return truenoNodes(allNodes(plan));
  }

  private static List<TruenoHashAggregateExec> truenoNodes(List<SparkPlan> nodes) {
    return nodes.stream()
        .filter(n -> n instanceof TruenoHashAggregateExec)
        .map(n -> (TruenoHashAggregateExec) n)
        .toList();
  }

  /** The Trueno joins among {@code nodes}. */
  static List<TruenoHashJoinExec> truenoJoins(List<SparkPlan> nodes) {
    return nodes.stream()
        .filter(n -> n instanceof TruenoHashJoinExec)
        .map(n -> (TruenoHashJoinExec) n)
        .toList();
  }

  /** The {@code BatchScanExec} nodes over the Trueno scan among {@code nodes}. */
  static List<BatchScanExec> truenoScans(List<SparkPlan> nodes) {
    return nodes.stream()
        .filter(n -> n instanceof BatchScanExec b && isTruenoScan(b))
        .map(n -> (BatchScanExec) n)
        .toList();
  }

  /** Spark's own Parquet scans among {@code nodes}: V1 file scans and V2 batch scans. */
  static List<SparkPlan> sparkParquetScans(List<SparkPlan> nodes) {
    return nodes.stream()
        .filter(
            n ->
                (n instanceof FileSourceScanExec f
                        && f.relation().fileFormat() instanceof ParquetFileFormat)
                    || (n instanceof BatchScanExec b && b.scan() instanceof ParquetScan))
        .toList();
  }

  // TruenoScan is package-private in the plugin: recognise it by name.
  private static boolean isTruenoScan(BatchScanExec node) {
    return node.scan() != null
        && node.scan().getClass().getName().equals("dev.trueno.spark.scan.TruenoScan");
  }

  /** The fallback reasons tagged on the nodes of an executed plan. */
  static List<String> fallbackReasons(SparkPlan plan) {
    return fallbackReasons(allNodes(plan));
  }

  private static List<String> fallbackReasons(List<SparkPlan> nodes) {
    return nodes.stream().map(DifferentialHarness::reason).filter(Objects::nonNull).toList();
  }

  private static String reason(SparkPlan node) {
    return node.getTagValue(TruenoOverrides.FALLBACK_REASON).getOrElse(() -> null);
  }

  private static Map<AggregateMode, Long> countModes(List<AggregateMode> modes) {
    return modes.stream()
        .collect(Collectors.groupingBy(m -> m, TreeMap::new, Collectors.counting()));
  }

  /** The error condition of the first SparkThrowable in the cause chain that has one. */
  static String condition(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SparkThrowable s && s.getCondition() != null) {
        return s.getCondition();
      }
    }
    return null;
  }

  private static String stackTrace(Throwable error) {
    java.io.StringWriter out = new java.io.StringWriter();
    error.printStackTrace(new java.io.PrintWriter(out));
    String text = out.toString();
    return "\n" + (text.length() > 6000 ? text.substring(0, 6000) + "\n..." : text);
  }

  private static String firstRows(List<Row> rows) {
    return rows.stream().limit(5).map(Row::toString).collect(Collectors.joining(", ", "[", "]"))
        + (rows.size() > 5 ? " ..." : "");
  }

  private static List<Row> floatsAsText(List<Row> rows) {
    List<Row> out = new ArrayList<>(rows.size());
    for (Row row : rows) {
      Object[] values = new Object[row.length()];
      for (int i = 0; i < values.length; i++) {
        Object v = row.isNullAt(i) ? null : row.get(i);
        values[i] = v instanceof Double || v instanceof Float ? "float:" + v : v;
      }
      out.add(org.apache.spark.sql.RowFactory.create(values));
    }
    return out;
  }
}
