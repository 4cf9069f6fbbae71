package dev.trueno.benchmarks.join;

import dev.trueno.benchmarks.BenchmarkSession;
import dev.trueno.benchmarks.tpch.TpchRunner;
import dev.trueno.benchmarks.tpch.TruenoPlanNodes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.util.QueryExecutionListener;

/**
 * An equi-join of a probe table with a build table, on vanilla Spark and with Trueno on each
 * requested backend, side by side in one Spark session over the same Parquet files.
 *
 * <p>The build table has {@code B} rows with the unique keys {@code 0..B-1}; the probe table has
 * {@code P} rows whose keys are spread uniformly over them, so the join returns exactly {@code P}
 * rows. The timed query selects four columns of the join ({@code SELECT p.p_id, p.p_v, b.b_v, b.b_d
 * FROM probe p JOIN build b ON p.p_k = b.b_k}) and writes them to Spark's {@code noop} sink, so
 * every row is produced and nothing else is measured. Spark plans the join as it would for a user
 * (sort-merge for large inputs unless configured otherwise); each Trueno run checks that the plan
 * holds a {@code TruenoHashJoin} node, and before timing, each side's checksum ({@code count},
 * {@code sum(p_v + b_v)}, {@code sum(b_k * p_v)}, all exact integers) must equal vanilla Spark's.
 * The median of the timed runs is reported with the ratio Spark / side (above 1 means faster than
 * Spark). Exit code 0 when every check held, 1 otherwise, 2 on a usage error.
 */
public final class JoinBenchmark {
  private static final int EXIT_CHECK_FAILED = 1;
  private static final int EXIT_USAGE = 2;
  private static final String BACKEND_KEY = "spark.trueno.backend";
  private static final String JOIN_NODE = "TruenoHashJoin";

  private static final String USAGE =
      """
      Usage: JoinBenchmark [options]
        --probe-rows N        rows of the probe table (default 1000000)
        --build-rows N        rows of the build table, unique keys (default 1000000)
        --data DIR            dataset folder, generated when missing
                              (default ~/.cache/trueno/join/p<N>-b<N>)
        --sides LIST          comma-separated: spark (Trueno off), scalar, simd, gpu
                              (default spark,scalar,simd)
        --iterations N        timed runs per side; the median is reported (default 3)
        --warmup N            untimed runs per side first (default 1)
        --master URL          Spark master (default local[*])
        --conf KEY=VALUE      extra Spark configuration, repeatable
        --help                this text""";

  private static final String QUERY =
      "SELECT p.p_id, p.p_v, b.b_v, b.b_d FROM probe p JOIN build b ON p.p_k = b.b_k";
  private static final String CHECKSUM =
      "SELECT count(*), sum(p.p_v + b.b_v), sum(b.b_k * p.p_v) FROM probe p JOIN build b ON p.p_k = b.b_k";

  private final Options options;
  private final PrintStream out;
  private boolean checksHeld = true;

  private JoinBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /**
   * Command line entry point; exits with 0 when every check held, 1 otherwise, 2 on usage errors.
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
    System.exit(new JoinBenchmark(options, System.out).run());
  }

  private int run() throws IOException {
    SparkSession spark =
        BenchmarkSession.create(
            "Trueno join benchmark", options.master(), true, options.sparkConf());
    AtomicReference<QueryExecution> last = new AtomicReference<>();
    spark
        .listenerManager()
        .register(
            new QueryExecutionListener() {
              @Override
              public void onSuccess(String name, QueryExecution qe, long durationNs) {
                last.set(qe);
              }

              @Override
              public void onFailure(String name, QueryExecution qe, Exception e) {
                last.set(qe);
              }
            });
    try {
      ensureData(spark);
      spark
          .read()
          .parquet(options.data().resolve("probe").toString())
          .createOrReplaceTempView("probe");
      spark
          .read()
          .parquet(options.data().resolve("build").toString())
          .createOrReplaceTempView("build");
      out.printf(
          Locale.ROOT,
          "join of %,d probe rows with %,d build rows (unique keys) from %s;"
              + " %d warm-up and %d timed run(s) per side; master %s%n",
          options.probeRows(),
          options.buildRows(),
          options.data(),
          options.warmup(),
          options.iterations(),
          options.master());
      List<String> expected = checksum(spark, "spark");
      out.println("vanilla Spark checksum: " + expected);
      List<Report> reports = new ArrayList<>();
      for (String side : options.sides()) {
        if (!side.equals("spark")) {
          List<String> actual = checksum(spark, side);
          if (!actual.equals(expected)) {
            checksHeld = false;
            out.printf(
                Locale.ROOT, "WRONG RESULT on %s: %s, Spark gave %s%n", side, actual, expected);
          }
        }
        reports.add(measure(spark, side, last));
      }
      printSummary(reports);
    } finally {
      spark.stop();
    }
    out.println(checksHeld ? "All checks held." : "SOME CHECKS FAILED (see above).");
    return checksHeld ? 0 : EXIT_CHECK_FAILED;
  }

  /** Writes the two tables once; a half-written dataset is never left under the final name. */
  private void ensureData(SparkSession spark) throws IOException {
    Path data = options.data();
    if (Files.isDirectory(data.resolve("probe")) && Files.isDirectory(data.resolve("build"))) {
      return;
    }
    Path staging =
        data.resolveSibling(data.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    out.printf(Locale.ROOT, "generating the join tables into %s%n", data);
    long b = options.buildRows();
    spark
        .range(0, b)
        .selectExpr("id AS b_k", "id * 3 AS b_v", "CAST(id AS DOUBLE) / 7 AS b_d")
        .write()
        .parquet(staging.resolve("build").toString());
    spark
        .range(0, options.probeRows())
        .selectExpr("id AS p_id", "pmod(xxhash64(id), " + b + ") AS p_k", "id % 1000 AS p_v")
        .write()
        .parquet(staging.resolve("probe").toString());
    Files.createDirectories(data.getParent());
    Files.move(staging, data);
  }

  private void configure(SparkSession spark, String side) {
    boolean trueno = !side.equals("spark");
    spark.conf().set(TpchRunner.ENABLED_KEY, String.valueOf(trueno));
    if (trueno) {
      spark.conf().set(BACKEND_KEY, side.toUpperCase(Locale.ROOT));
    }
  }

  private List<String> checksum(SparkSession spark, String side) {
    configure(spark, side);
    Row row = spark.sql(CHECKSUM).collectAsList().get(0);
    return List.of(
        String.valueOf(row.get(0)), String.valueOf(row.get(1)), String.valueOf(row.get(2)));
  }

  private Report measure(SparkSession spark, String side, AtomicReference<QueryExecution> last) {
    configure(spark, side);
    long[] times = new long[options.iterations()];
    String nodes = "";
    for (int i = -options.warmup(); i < options.iterations(); i++) {
      Dataset<Row> df = spark.sql(QUERY);
      long start = System.nanoTime();
      df.write().format("noop").mode("overwrite").save();
      long elapsed = System.nanoTime() - start;
      if (i >= 0) {
        times[i] = elapsed;
      }
      SparkPlan plan = last.get().executedPlan();
      SortedMap<String, Integer> accelerated = TruenoPlanNodes.acceleratedNodes(plan);
      nodes = side.equals("spark") ? sparkJoinNode(plan) : TruenoPlanNodes.describe(accelerated);
      if (!side.equals("spark") && !accelerated.containsKey(JOIN_NODE)) {
        checksHeld = false;
        out.printf(Locale.ROOT, "NO TRUENO JOIN on %s: the plan is%n%s%n", side, plan);
      }
    }
    Report report = new Report(side, median(times), nodes);
    out.printf(Locale.ROOT, "%-7s median %,d ms  (%s)%n", side, millis(report.nanos()), nodes);
    return report;
  }

  /** The name of the join node vanilla Spark chose, for the report. */
  private static String sparkJoinNode(SparkPlan plan) {
    String text = plan.toString();
    for (String name : List.of("SortMergeJoin", "ShuffledHashJoin", "BroadcastHashJoin")) {
      if (text.contains(name)) {
        return name;
      }
    }
    return "no join node found";
  }

  private void printSummary(List<Report> reports) {
    long spark =
        reports.stream()
            .filter(r -> r.side().equals("spark"))
            .mapToLong(Report::nanos)
            .findFirst()
            .orElse(0);
    out.println();
    out.printf(
        Locale.ROOT,
        "%,d x %,d join (median of %d after %d warm-up; ratio = Spark / side)%n",
        options.probeRows(),
        options.buildRows(),
        options.iterations(),
        options.warmup());
    String format = "| %-7s | %10s | %7s | %-40s |%n";
    out.printf(Locale.ROOT, format, "side", "ms", "ratio", "nodes");
    out.printf(Locale.ROOT, "| --- | ---: | ---: | --- |%n");
    for (Report r : reports) {
      out.printf(
          Locale.ROOT,
          format,
          r.side(),
          String.format(Locale.ROOT, "%,d", millis(r.nanos())),
          spark == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", (double) spark / r.nanos()),
          r.nodes());
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

  private record Report(String side, long nanos, String nodes) {}

  private record Options(
      long probeRows,
      long buildRows,
      Path data,
      List<String> sides,
      int iterations,
      int warmup,
      String master,
      Map<String, String> sparkConf,
      boolean help) {

    static Options parse(String[] args) {
      long probeRows = 1_000_000;
      long buildRows = 1_000_000;
      Path data = null;
      List<String> sides = List.of("spark", "scalar", "simd");
      int iterations = 3;
      int warmup = 1;
      String master = "local[*]";
      Map<String, String> sparkConf = new LinkedHashMap<>();
      boolean help = false;
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        if (option.equals("--help") || option.equals("-h")) {
          help = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(
              option.startsWith("--") ? option + " needs a value" : "Unknown argument " + option);
        }
        String value = args[++i];
        switch (option) {
          case "--probe-rows" -> probeRows = parseLong(option, value, 1);
          case "--build-rows" -> buildRows = parseLong(option, value, 1);
          case "--data" -> data = Path.of(value);
          case "--sides" -> sides = parseSides(value);
          case "--iterations" -> iterations = (int) Math.min(1000, parseLong(option, value, 1));
          case "--warmup" -> warmup = (int) Math.min(1000, parseLong(option, value, 0));
          case "--master" -> master = value;
          case "--conf" -> BenchmarkSession.addConf(sparkConf, value);
          default -> throw new IllegalArgumentException("Unknown option " + option);
        }
      }
      if (data == null) {
        data =
            Path.of(System.getProperty("user.home"), ".cache", "trueno", "join")
                .resolve("p" + probeRows + "-b" + buildRows);
      }
      return new Options(
          probeRows, buildRows, data, sides, iterations, warmup, master, sparkConf, help);
    }

    private static List<String> parseSides(String value) {
      List<String> sides = new ArrayList<>();
      for (String s : value.split(",")) {
        String side = s.trim().toLowerCase(Locale.ROOT);
        if (!List.of("spark", "scalar", "simd", "gpu").contains(side)) {
          throw new IllegalArgumentException(
              "--sides takes spark, scalar, simd and gpu, got '" + s + "'");
        }
        sides.add(side);
      }
      if (!sides.contains("spark")) {
        sides.add(0, "spark");
      }
      return List.copyOf(sides);
    }

    private static long parseLong(String option, String value, long min) {
      try {
        long parsed = Long.parseLong(value.replace("_", ""));
        if (parsed >= min) {
          return parsed;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          option + " must be an integer of at least " + min + ", got '" + value + "'");
    }
  }
}
