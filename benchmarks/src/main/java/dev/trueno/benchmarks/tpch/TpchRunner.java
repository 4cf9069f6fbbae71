package dev.trueno.benchmarks.tpch;

import dev.trueno.benchmarks.BenchmarkSession;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.types.StructType;

/**
 * Runs TPC-H queries on vanilla Spark and with Trueno in one Spark session and reports times, their
 * ratio, the accelerated plan nodes and whether both return the same rows.
 *
 * <p>Each query runs {@code --iterations} times per side, alternating vanilla and Trueno; the
 * median time of each side is reported. Trueno is switched with {@code spark.trueno.enabled} in the
 * same session, so both sides share the JVM, caches and data. The exit code is 0 when every query
 * returned the same rows on both sides, 1 when a query differed or failed, and 2 for a usage error
 * or a missing Trueno extension.
 *
 * <p>With {@code --backends auto,simd,...} each iteration runs vanilla once and then Trueno once
 * per listed value of {@code spark.trueno.backend}; for the {@code auto} run it reads from the
 * executed plan's metrics where the 5x rule placed each aggregation and join, and tells whether the
 * rule's time was within 10% of the fastest backend forced.
 */
public final class TpchRunner {
  /** The Spark extension class that installs Trueno's planner rules. */
  public static final String EXTENSION_CLASS = BenchmarkSession.EXTENSION_CLASS;

  /** The configuration key that switches Trueno on and off within a session. */
  public static final String ENABLED_KEY = "spark.trueno.enabled";

  private static final int EXIT_ROWS_DIFFER = 1;
  private static final int EXIT_USAGE = 2;

  private static final String USAGE =
      """
      Usage: TpchRunner [options]
        --scale SF            TPC-H scale factor (default 0.1)
        --data DIR            dataset folder, generated when missing
                              (default ~/.cache/trueno/tpch/sf<SF>)
        --queries 1,3,6       queries to run (default all 22)
        --iterations N        timed runs per query and side; the median is reported (default 1)
        --warmup N            untimed runs per query and side before the timed ones (default 1),
                              so the side that runs first does not pay for JIT and caches
        --master URL          Spark master (default local[*])
        --conf KEY=VALUE      extra Spark configuration, repeatable
        --backends auto,gpu,simd
                              run Trueno once per listed value of spark.trueno.backend (auto,
                              gpu, simd, scalar) after each vanilla run, compare every backend's
                              rows with vanilla's and report, for auto, where the 5x rule placed
                              each aggregation and join and whether it was as fast as the
                              fastest backend forced (within 10%)
        --allow-missing-trueno
                              run even when the Trueno extension is not on the classpath
                              (both sides are then vanilla Spark: checks the tooling only)
        --help                this text""";

  private final Options options;
  private final PrintStream out;

  private TpchRunner(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /**
   * Command line entry point; exits with 0 when all rows matched, 1 otherwise, 2 on usage errors.
   *
   * @param args the options printed by {@code --help}
   */
  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("Error: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(EXIT_USAGE);
      return;
    }
    if (options.help()) {
      System.out.println(USAGE);
      return;
    }
    System.exit(new TpchRunner(options, System.out).run());
  }

  private int run() throws Exception {
    boolean truenoAvailable = isOnClasspath(EXTENSION_CLASS);
    if (!truenoAvailable) {
      String message =
          "Trueno's Spark extension "
              + EXTENSION_CLASS
              + " is not on the classpath: build the spark-plugin module"
              + " (mvn -q -DskipTests package -pl benchmarks -am)";
      if (!options.allowMissingTrueno()) {
        System.err.println("Error: " + message + ", or pass --allow-missing-trueno.");
        return EXIT_USAGE;
      }
      out.println("WARNING: " + message + "; both sides run vanilla Spark.");
    }

    new TpchDataGenerator(options.scale(), out).ensureGenerated(options.data());
    out.printf(
        Locale.ROOT,
        "TPC-H SF %s from %s; queries %s; %d warm-up and %d timed run(s) per side; master %s%n",
        TpchDataGenerator.formatScaleFactor(options.scale()),
        options.data(),
        options.queries(),
        options.warmup(),
        options.iterations(),
        options.master());

    SparkSession spark =
        BenchmarkSession.create(
            "Trueno TPC-H", options.master(), truenoAvailable, options.sparkConf());
    try {
      TpchQueries.registerTables(spark, options.data());
      List<QueryReport> reports = new ArrayList<>();
      if (!options.backends().isEmpty()) {
        List<BackendsReport> backendReports = new ArrayList<>();
        for (int query : options.queries()) {
          backendReports.add(runQueryOnBackends(spark, query, truenoAvailable));
        }
        printBackendsSummary(backendReports, truenoAvailable);
        return backendReports.stream().allMatch(BackendsReport::rowsMatch) ? 0 : EXIT_ROWS_DIFFER;
      }
      for (int query : options.queries()) {
        reports.add(runQuery(spark, query, truenoAvailable));
      }
      printSummary(reports, truenoAvailable);
      return reports.stream().allMatch(QueryReport::rowsMatch) ? 0 : EXIT_ROWS_DIFFER;
    } finally {
      spark.stop();
    }
  }

  private QueryReport runQuery(SparkSession spark, int query, boolean truenoAvailable) {
    String label = String.format(Locale.ROOT, "Q%02d", query);
    String sql = TpchQueries.sql(query);
    long[] vanillaNanos = new long[options.iterations()];
    long[] truenoNanos = new long[options.iterations()];
    Execution vanilla = null;
    Execution trueno = null;
    try {
      for (int i = 0; i < options.warmup(); i++) {
        spark.conf().set(ENABLED_KEY, "false");
        Execution v = execute(spark, sql);
        spark.conf().set(ENABLED_KEY, "true");
        Execution t = execute(spark, sql);
        out.printf(
            Locale.ROOT,
            "%s warm-up %d/%d: vanilla %,d ms, trueno %,d ms%n",
            label,
            i + 1,
            options.warmup(),
            millis(v.nanos()),
            millis(t.nanos()));
      }
      for (int i = 0; i < options.iterations(); i++) {
        spark.conf().set(ENABLED_KEY, "false");
        Execution v = execute(spark, sql);
        vanillaNanos[i] = v.nanos();
        spark.conf().set(ENABLED_KEY, "true");
        Execution t = execute(spark, sql);
        truenoNanos[i] = t.nanos();
        if (vanilla == null) { // the first timed run's rows are compared
          vanilla = v;
          trueno = t;
        }
        out.printf(
            Locale.ROOT,
            "%s run %d/%d: vanilla %,d ms, trueno %,d ms%n",
            label,
            i + 1,
            options.iterations(),
            millis(v.nanos()),
            millis(t.nanos()));
      }
    } catch (Exception e) { // Scala code throws SparkException undeclared, so catch all
      out.printf(Locale.ROOT, "%s FAILED: %s%n", label, e);
      return QueryReport.failed(
          query, String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
    RowComparison.Result comparison =
        RowComparison.withDefaultTolerance()
            .compare(vanilla.schema(), vanilla.rows(), trueno.schema(), trueno.rows());
    SortedMap<String, Integer> nodes = TruenoPlanNodes.acceleratedNodes(trueno.plan());
    QueryReport report =
        new QueryReport(
            query,
            median(vanillaNanos),
            median(truenoNanos),
            vanilla.rows().size(),
            comparison.matches(),
            truenoAvailable ? TruenoPlanNodes.describe(nodes) : "n/a (no extension)",
            comparison.matches() ? "" : comparison.description());
    out.printf(
        Locale.ROOT,
        "%s vanilla %,d ms  trueno %,d ms  ratio %.2fx  rows %d %s  accelerated: %s%n",
        label,
        millis(report.vanillaNanos()),
        millis(report.truenoNanos()),
        report.ratio(),
        report.rowCount(),
        report.rowsMatch() ? "match" : "DIFFER",
        report.acceleratedNodes());
    if (!comparison.matches()) {
      out.println("  " + comparison.description());
    }
    return report;
  }

  private BackendsReport runQueryOnBackends(
      SparkSession spark, int query, boolean truenoAvailable) {
    String label = String.format(Locale.ROOT, "Q%02d", query);
    String sql = TpchQueries.sql(query);
    List<String> backends = options.backends();
    long[] vanillaNanos = new long[options.iterations()];
    long[][] backendNanos = new long[backends.size()][options.iterations()];
    Execution vanilla = null;
    Execution[] firstRuns = new Execution[backends.size()];
    try {
      for (int i = 0; i < options.warmup() + options.iterations(); i++) {
        boolean warmup = i < options.warmup();
        spark.conf().set(ENABLED_KEY, "false");
        Execution v = execute(spark, sql);
        StringBuilder line =
            new StringBuilder(
                String.format(
                    Locale.ROOT,
                    "%s %s %d/%d: vanilla %,d ms",
                    label,
                    warmup ? "warm-up" : "run",
                    warmup ? i + 1 : i - options.warmup() + 1,
                    warmup ? options.warmup() : options.iterations(),
                    millis(v.nanos())));
        spark.conf().set(ENABLED_KEY, "true");
        for (int b = 0; b < backends.size(); b++) {
          Execution t = executeOnBackend(spark, sql, backends.get(b));
          line.append(
              String.format(Locale.ROOT, ", %s %,d ms", backends.get(b), millis(t.nanos())));
          if (!warmup) {
            backendNanos[b][i - options.warmup()] = t.nanos();
            if (firstRuns[b] == null) { // the first timed run's rows are compared
              firstRuns[b] = t;
            }
          }
        }
        if (!warmup) {
          vanillaNanos[i - options.warmup()] = v.nanos();
          if (vanilla == null) {
            vanilla = v;
          }
        }
        out.println(line);
      }
    } catch (Exception e) { // Scala code throws SparkException undeclared, so catch all
      out.printf(Locale.ROOT, "%s FAILED: %s%n", label, e);
      return BackendsReport.failed(
          query, String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
    Map<String, Long> medians = new LinkedHashMap<>();
    List<String> differences = new ArrayList<>();
    for (int b = 0; b < backends.size(); b++) {
      medians.put(backends.get(b), median(backendNanos[b]));
      RowComparison.Result comparison =
          RowComparison.withDefaultTolerance()
              .compare(
                  vanilla.schema(), vanilla.rows(), firstRuns[b].schema(), firstRuns[b].rows());
      if (!comparison.matches()) {
        differences.add(backends.get(b) + ": " + comparison.description());
      }
    }
    int auto = backends.indexOf(TpchBackends.AUTO);
    List<OperatorChoice> choices =
        auto >= 0 && truenoAvailable
            ? TruenoPlanNodes.operatorChoices(firstRuns[auto].plan())
            : List.of();
    BackendsReport report =
        new BackendsReport(
            query,
            median(vanillaNanos),
            medians,
            vanilla.rows().size(),
            differences.isEmpty(),
            auto < 0 ? null : truenoAvailable ? OperatorChoice.describe(choices) : "n/a",
            auto < 0 ? null : truenoAvailable ? OperatorChoice.summarize(choices) : "n/a",
            String.join("\n  ", differences));
    StringBuilder line =
        new StringBuilder(
            String.format(Locale.ROOT, "%s vanilla %,d ms", label, millis(report.vanillaNanos())));
    for (String backend : backends) {
      line.append(
          String.format(
              Locale.ROOT,
              "  %s %,d ms (%.2fx)",
              backend,
              millis(report.nanos().get(backend)),
              report.ratio(backend)));
    }
    line.append(
        String.format(
            Locale.ROOT,
            "  rows %d %s",
            report.rowCount(),
            report.rowsMatch() ? "match" : "DIFFER"));
    if (report.choices() != null) {
      line.append("  auto choices: ").append(report.choices());
    }
    out.println(line);
    if (!differences.isEmpty()) {
      out.println("  " + report.failure());
    }
    return report;
  }

  /**
   * Runs {@code sql} with {@code spark.trueno.backend} set to {@code backend}, then restores it.
   */
  private static Execution executeOnBackend(SparkSession spark, String sql, String backend) {
    scala.Option<String> previous = spark.conf().getOption(TpchBackends.BACKEND_KEY);
    spark.conf().set(TpchBackends.BACKEND_KEY, TpchBackends.confValue(backend));
    try {
      return execute(spark, sql);
    } finally {
      if (previous.isDefined()) {
        spark.conf().set(TpchBackends.BACKEND_KEY, previous.get());
      } else {
        spark.conf().unset(TpchBackends.BACKEND_KEY);
      }
    }
  }

  private void printBackendsSummary(List<BackendsReport> reports, boolean truenoAvailable) {
    List<String> backends = options.backends();
    boolean withAuto = backends.contains(TpchBackends.AUTO);
    out.println();
    out.printf(
        Locale.ROOT,
        "TPC-H SF %s backends summary (median of %d after %d warm-up, ratio = vanilla / backend;"
            + " rule right? = auto within %d%% of the fastest forced backend%s)%n",
        TpchDataGenerator.formatScaleFactor(options.scale()),
        options.iterations(),
        options.warmup(),
        Math.round((TpchBackends.RULE_TOLERANCE - 1) * 100),
        truenoAvailable ? "" : "; TRUENO EXTENSION MISSING: all runs vanilla");
    List<String> header = new ArrayList<>(List.of("query", "vanilla ms"));
    backends.forEach(b -> header.add(b + " ms (ratio)"));
    header.add("result");
    if (withAuto) {
      header.add("auto choices");
      header.add("rule right?");
    }
    List<List<String>> rows = new ArrayList<>();
    double[] logRatioSums = new double[backends.size()];
    int ratioCount = 0;
    for (BackendsReport r : reports) {
      String label = String.format(Locale.ROOT, "Q%02d", r.query());
      List<String> row = new ArrayList<>(List.of(label));
      if (r.nanos().isEmpty()) {
        row.add("-");
        backends.forEach(b -> row.add("-"));
        row.add("FAILED: " + r.failure());
        rows.add(row);
        continue;
      }
      row.add(String.format(Locale.ROOT, "%,d", millis(r.vanillaNanos())));
      for (int b = 0; b < backends.size(); b++) {
        String backend = backends.get(b);
        row.add(
            String.format(
                Locale.ROOT, "%,d (%.2fx)", millis(r.nanos().get(backend)), r.ratio(backend)));
        logRatioSums[b] += Math.log(r.ratio(backend));
      }
      ratioCount++;
      row.add(r.rowsMatch() ? "match" : "DIFFER");
      if (withAuto) {
        row.add(r.choiceSummary());
        row.add(TpchBackends.ruleVerdict(r.nanos()));
      }
      rows.add(row);
    }
    printTable(header, rows);
    if (ratioCount > 0) {
      StringBuilder geomeans = new StringBuilder("geometric mean ratio:");
      for (int b = 0; b < backends.size(); b++) {
        geomeans.append(
            String.format(
                Locale.ROOT,
                " %s %.2fx%s",
                backends.get(b),
                Math.exp(logRatioSums[b] / ratioCount),
                b + 1 < backends.size() ? "," : ""));
      }
      out.println(geomeans);
    }
    long differing = reports.stream().filter(r -> !r.rowsMatch()).count();
    out.println(
        differing == 0
            ? "All " + reports.size() + " queries returned the same rows on every backend."
            : differing + " of " + reports.size() + " queries differed or failed.");
  }

  /** Prints rows under a header, columns left-aligned, the last one not padded. */
  private void printTable(List<String> header, List<List<String>> rows) {
    int[] widths = new int[header.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (List<String> row : all) {
      for (int c = 0; c < row.size(); c++) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < row.size(); c++) {
        if (c > 0) {
          line.append(" | ");
        }
        line.append(c + 1 < row.size() ? pad(row.get(c), widths[c]) : row.get(c));
      }
      out.println(line);
    }
  }

  private static String pad(String text, int width) {
    return text + " ".repeat(Math.max(0, width - text.length()));
  }

  private static Execution execute(SparkSession spark, String sql) {
    long start = System.nanoTime();
    Dataset<Row> dataset = spark.sql(sql);
    List<Row> rows = dataset.collectAsList();
    long nanos = System.nanoTime() - start;
    SparkPlan plan =
        ((org.apache.spark.sql.classic.Dataset<Row>) dataset).queryExecution().executedPlan();
    return new Execution(dataset.schema(), rows, plan, nanos);
  }

  private void printSummary(List<QueryReport> reports, boolean truenoAvailable) {
    out.println();
    out.printf(
        Locale.ROOT,
        "TPC-H SF %s summary (median of %d after %d warm-up, ratio = vanilla / trueno%s)%n",
        TpchDataGenerator.formatScaleFactor(options.scale()),
        options.iterations(),
        options.warmup(),
        truenoAvailable ? "" : "; TRUENO EXTENSION MISSING: both sides vanilla");
    String format = "%-5s %12s %12s %8s %8s %-7s %s%n";
    out.printf(
        Locale.ROOT,
        format,
        "query",
        "vanilla ms",
        "trueno ms",
        "ratio",
        "rows",
        "result",
        "accelerated");
    double logRatioSum = 0;
    int ratioCount = 0;
    long vanillaTotal = 0;
    long truenoTotal = 0;
    for (QueryReport r : reports) {
      String label = String.format(Locale.ROOT, "Q%02d", r.query());
      if (r.failure() != null) {
        out.printf(Locale.ROOT, format, label, "-", "-", "-", "-", "FAILED", r.failure());
        continue;
      }
      out.printf(
          Locale.ROOT,
          format,
          label,
          String.format(Locale.ROOT, "%,d", millis(r.vanillaNanos())),
          String.format(Locale.ROOT, "%,d", millis(r.truenoNanos())),
          String.format(Locale.ROOT, "%.2fx", r.ratio()),
          r.rowCount(),
          r.rowsMatch() ? "match" : "DIFFER",
          r.acceleratedNodes());
      logRatioSum += Math.log(r.ratio());
      ratioCount++;
      vanillaTotal += r.vanillaNanos();
      truenoTotal += r.truenoNanos();
    }
    if (ratioCount > 0) {
      out.printf(
          Locale.ROOT,
          "total vanilla %,d ms, trueno %,d ms; geometric mean ratio %.2fx%n",
          millis(vanillaTotal),
          millis(truenoTotal),
          Math.exp(logRatioSum / ratioCount));
    }
    long differing = reports.stream().filter(r -> !r.rowsMatch()).count();
    out.println(
        differing == 0
            ? "All " + reports.size() + " queries returned the same rows."
            : differing + " of " + reports.size() + " queries differed or failed.");
  }

  private static boolean isOnClasspath(String className) {
    try {
      Class.forName(className, false, TpchRunner.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  private static long millis(long nanos) {
    return Math.round(nanos / 1e6);
  }

  /** Parses a scale factor option value, naming the option when it is not a positive number. */
  public static double parseScale(String value) {
    double scale;
    try {
      scale = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--scale must be a number such as 0.1, got '" + value + "'");
    }
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("--scale must be positive, got '" + value + "'");
    }
    return scale;
  }

  /** The default dataset folder of a scale factor: {@code ~/.cache/trueno/tpch/sf<SF>}. */
  public static Path defaultDataDir(double scale) {
    return Path.of(
        System.getProperty("user.home"),
        ".cache",
        "trueno",
        "tpch",
        "sf" + TpchDataGenerator.formatScaleFactor(scale));
  }

  private record Execution(StructType schema, List<Row> rows, SparkPlan plan, long nanos) {}

  private record QueryReport(
      int query,
      long vanillaNanos,
      long truenoNanos,
      int rowCount,
      boolean rowsMatch,
      String acceleratedNodes,
      String failure) {
    static QueryReport failed(int query, String message) {
      return new QueryReport(query, 0, 0, 0, false, "", message);
    }

    QueryReport {
      failure = failure == null || failure.isEmpty() ? null : failure;
    }

    double ratio() {
      return truenoNanos == 0 ? Double.NaN : (double) vanillaNanos / truenoNanos;
    }
  }

  /**
   * One query of a {@code --backends} run.
   *
   * @param nanos the median time of each backend, in {@code --backends} order; empty when failed
   * @param choices where the rule placed each operator in the auto run, or null without auto
   * @param choiceSummary the choices counted by placement, or null without auto
   * @param failure why the query failed, or the row differences; null when all matched
   */
  private record BackendsReport(
      int query,
      long vanillaNanos,
      Map<String, Long> nanos,
      int rowCount,
      boolean rowsMatch,
      String choices,
      String choiceSummary,
      String failure) {
    static BackendsReport failed(int query, String message) {
      return new BackendsReport(query, 0, Map.of(), 0, false, null, null, message);
    }

    BackendsReport {
      failure = failure == null || failure.isEmpty() ? null : failure;
    }

    double ratio(String backend) {
      long n = nanos.get(backend);
      return n == 0 ? Double.NaN : (double) vanillaNanos / n;
    }
  }

  record Options(
      double scale,
      Path data,
      List<Integer> queries,
      int iterations,
      int warmup,
      String master,
      Map<String, String> sparkConf,
      List<String> backends,
      boolean allowMissingTrueno,
      boolean help) {

    static Options parse(String[] args) {
      double scale = 0.1;
      Path data = null;
      List<Integer> queries = null;
      int iterations = 1;
      int warmup = 1;
      String master = "local[*]";
      Map<String, String> sparkConf = new LinkedHashMap<>();
      List<String> backends = List.of();
      boolean allowMissingTrueno = false;
      boolean help = false;
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        switch (option) {
          case "--help", "-h" -> help = true;
          case "--allow-missing-trueno" -> allowMissingTrueno = true;
          default -> {
            if (i + 1 >= args.length) {
              throw new IllegalArgumentException(
                  option.startsWith("--")
                      ? option + " needs a value"
                      : "Unknown argument " + option);
            }
            String value = args[++i];
            switch (option) {
              case "--scale" -> scale = parseScale(value);
              case "--data" -> data = Path.of(value);
              case "--queries" -> queries = parseQueries(value);
              case "--iterations" -> iterations = parsePositiveInt(option, value);
              case "--warmup" -> warmup = parseCount(option, value);
              case "--master" -> master = value;
              case "--conf" -> BenchmarkSession.addConf(sparkConf, value);
              case "--backends" -> backends = TpchBackends.parse(value);
              default -> throw new IllegalArgumentException("Unknown option " + option);
            }
          }
        }
      }
      if (queries == null) {
        queries = new ArrayList<>();
        for (int q = 1; q <= TpchQueries.QUERY_COUNT; q++) {
          queries.add(q);
        }
      }
      return new Options(
          scale,
          data != null ? data : defaultDataDir(scale),
          List.copyOf(queries),
          iterations,
          warmup,
          master,
          sparkConf,
          backends,
          allowMissingTrueno,
          help);
    }

    private static List<Integer> parseQueries(String value) {
      TreeMap<Integer, Boolean> unique = new TreeMap<>();
      for (String part : value.split(",")) {
        String trimmed = part.trim().toLowerCase(Locale.ROOT);
        if (trimmed.startsWith("q")) {
          trimmed = trimmed.substring(1);
        }
        int query;
        try {
          query = Integer.parseInt(trimmed);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "--queries takes numbers such as 1,3,6; '" + part + "' is not one");
        }
        if (query < 1 || query > TpchQueries.QUERY_COUNT) {
          throw new IllegalArgumentException("--queries: TPC-H has queries 1 to 22, got " + query);
        }
        unique.put(query, true);
      }
      return new ArrayList<>(unique.keySet());
    }

    private static int parseCount(String option, String value) {
      try {
        int parsed = Integer.parseInt(value);
        if (parsed >= 0) {
          return parsed;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(option + " must be 0 or more, got '" + value + "'");
    }

    private static int parsePositiveInt(String option, String value) {
      try {
        int parsed = Integer.parseInt(value);
        if (parsed >= 1) {
          return parsed;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          option + " must be a positive integer, got '" + value + "'");
    }
  }
}
