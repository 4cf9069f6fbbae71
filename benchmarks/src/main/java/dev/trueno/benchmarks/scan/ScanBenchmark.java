package dev.trueno.benchmarks.scan;

import dev.trueno.benchmarks.BenchmarkSession;
import dev.trueno.benchmarks.tpch.TpchDataGenerator;
import dev.trueno.benchmarks.tpch.TpchRunner;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Times reading TPC-H {@code lineitem} with Spark's vectorized Parquet reader and with the Trueno
 * scan, side by side in one Spark session.
 *
 * <p>Two projections (all 16 columns, and the 4 columns of TPC-H Q6's arithmetic) are each read two
 * ways:
 *
 * <ul>
 *   <li><b>noop write</b>: {@code df.write.format("noop")}, so each side pays Spark's {@code
 *       ColumnarToRow} and hands every row to a writer that drops it: what a query that consumes
 *       rows above the scan pays.
 *   <li><b>columnar</b>: the scan node's {@code executeColumnar()}, counting the rows of each batch
 *       on the executors: the scan's own cost (I/O, decompression, decoding into column vectors),
 *       since both readers decode every column of a batch before handing it out.
 * </ul>
 *
 * <p>Spark's reader runs with {@code spark.trueno.enabled=false}, the Trueno scan with {@code
 * true}; the two alternate, after untimed warm-up runs, and the median of each side is reported
 * with the ratio Spark / Trueno (above 1 means the Trueno scan is faster). Every run checks which
 * scan the plan holds, and the columnar runs check that both sides return the same number of rows.
 * The exit code is 0 when all checks held, 1 otherwise, 2 for a usage error.
 */
public final class ScanBenchmark {
  private static final int EXIT_CHECK_FAILED = 1;
  private static final int EXIT_USAGE = 2;

  /** The columns of the projected case: those TPC-H Q6 reads. */
  static final List<String> PROJECTED_COLUMNS =
      List.of("l_quantity", "l_extendedprice", "l_discount", "l_shipdate");

  private static final String USAGE =
      """
      Usage: ScanBenchmark [options]
        --scale SF            TPC-H scale factor (default 1)
        --data DIR            dataset folder, generated when missing
                              (default ~/.cache/trueno/tpch/sf<SF>)
        --iterations N        timed runs per case and side; the median is reported (default 3)
        --warmup N            untimed runs per case and side first (default 1)
        --master URL          Spark master (default local[*])
        --conf KEY=VALUE      extra Spark configuration, repeatable
        --help                this text""";

  private final Options options;
  private final PrintStream out;
  private boolean checksHeld = true;

  private ScanBenchmark(Options options, PrintStream out) {
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
    System.exit(new ScanBenchmark(options, System.out).run());
  }

  private int run() throws Exception {
    new TpchDataGenerator(options.scale(), out).ensureGenerated(options.data());
    String lineitem = options.data().resolve("lineitem").toString();
    out.printf(
        Locale.ROOT,
        "lineitem of TPC-H SF %s from %s; %d warm-up and %d timed run(s) per case and side;"
            + " master %s%n",
        TpchDataGenerator.formatScaleFactor(options.scale()),
        lineitem,
        options.warmup(),
        options.iterations(),
        options.master());

    SparkSession spark =
        BenchmarkSession.create(
            "Trueno scan benchmark", options.master(), true, options.sparkConf());
    try {
      List<Report> reports = new ArrayList<>();
      for (List<String> columns : List.of(List.<String>of(), PROJECTED_COLUMNS)) {
        for (Measure measure : Measure.values()) {
          reports.add(runCase(spark, lineitem, columns, measure));
        }
      }
      printSummary(reports);
    } finally {
      spark.stop();
    }
    out.println(checksHeld ? "All checks held." : "SOME CHECKS FAILED (see above).");
    return checksHeld ? 0 : EXIT_CHECK_FAILED;
  }

  private enum Measure {
    NOOP_WRITE("noop write"),
    COLUMNAR("columnar");

    final String label;

    Measure(String label) {
      this.label = label;
    }
  }

  private Report runCase(SparkSession spark, String path, List<String> columns, Measure measure) {
    String projection = columns.isEmpty() ? "all columns" : columns.size() + " columns";
    String label = projection + ", " + measure.label;
    long[] sparkNanos = new long[options.iterations()];
    long[] truenoNanos = new long[options.iterations()];
    long sparkRows = -1;
    long truenoRows = -1;
    for (int i = 0; i < options.warmup() + options.iterations(); i++) {
      Run s = runOnce(spark, path, columns, measure, false);
      Run t = runOnce(spark, path, columns, measure, true);
      boolean timed = i >= options.warmup();
      if (timed) {
        sparkNanos[i - options.warmup()] = s.nanos();
        truenoNanos[i - options.warmup()] = t.nanos();
      }
      if (s.rows() >= 0) {
        sparkRows = s.rows();
        truenoRows = t.rows();
        if (s.rows() != t.rows()) {
          checksHeld = false;
          out.printf(
              Locale.ROOT,
              "ROW COUNTS DIFFER (%s): Spark %,d, Trueno %,d%n",
              label,
              s.rows(),
              t.rows());
        }
      }
      out.printf(
          Locale.ROOT,
          "%s %s %d/%d: Spark %,d ms, Trueno %,d ms%n",
          label,
          timed ? "run" : "warm-up",
          timed ? i - options.warmup() + 1 : i + 1,
          timed ? options.iterations() : options.warmup(),
          millis(s.nanos()),
          millis(t.nanos()));
    }
    Report report =
        new Report(label, median(sparkNanos), median(truenoNanos), sparkRows, truenoRows);
    out.printf(
        Locale.ROOT,
        "%s: Spark %,d ms, Trueno %,d ms, ratio %.2fx%s%n",
        label,
        millis(report.sparkNanos()),
        millis(report.truenoNanos()),
        report.ratio(),
        sparkRows < 0 ? "" : String.format(Locale.ROOT, ", rows %,d / %,d", sparkRows, truenoRows));
    return report;
  }

  /** One read of {@code path}; rows is -1 for the noop write, which does not count them. */
  private Run runOnce(
      SparkSession spark, String path, List<String> columns, Measure measure, boolean trueno) {
    spark.conf().set(TpchRunner.ENABLED_KEY, String.valueOf(trueno));
    Dataset<Row> df = spark.read().parquet(path);
    if (!columns.isEmpty()) {
      df = df.selectExpr(columns.toArray(String[]::new));
    }
    SparkPlan plan =
        ((org.apache.spark.sql.classic.Dataset<Row>) df).queryExecution().executedPlan();
    SparkPlan scan = checkScan(plan, trueno);
    long start = System.nanoTime();
    long rows = -1;
    switch (measure) {
      case NOOP_WRITE -> df.write().format("noop").mode("overwrite").save();
      case COLUMNAR -> rows = countRows(scan.executeColumnar());
    }
    return new Run(System.nanoTime() - start, rows);
  }

  private static long countRows(RDD<ColumnarBatch> batches) {
    return batches.toJavaRDD().map(b -> (long) b.numRows()).fold(0L, Long::sum);
  }

  /** The plan's one scan node, checked to be the reader this side must use. */
  private SparkPlan checkScan(SparkPlan plan, boolean trueno) {
    List<SparkPlan> scans = new ArrayList<>();
    Deque<SparkPlan> pending = new ArrayDeque<>();
    pending.push(plan);
    while (!pending.isEmpty()) {
      SparkPlan node = pending.pop();
      if (node instanceof AdaptiveSparkPlanExec adaptive) {
        pending.push(adaptive.executedPlan());
      }
      if (node instanceof FileSourceScanExec || node instanceof BatchScanExec) {
        scans.add(node);
      }
      CollectionConverters.asJava(node.children()).forEach(pending::push);
    }
    if (scans.size() != 1) {
      throw new IllegalStateException(
          "Expected one scan in the plan, found " + scans + ":\n" + plan);
    }
    SparkPlan scan = scans.get(0);
    boolean isTrueno =
        scan instanceof BatchScanExec b
            && b.scan().getClass().getName().equals("dev.trueno.spark.scan.TruenoScan");
    boolean isSparkVectorized = scan instanceof FileSourceScanExec && scan.supportsColumnar();
    if (trueno ? !isTrueno : !isSparkVectorized) {
      checksHeld = false;
      out.printf(
          Locale.ROOT,
          "WRONG SCAN: expected %s, the plan is:%n%s%n",
          trueno ? "the Trueno scan (TruenoScan)" : "Spark's vectorized Parquet scan",
          plan);
    }
    return scan;
  }

  private void printSummary(List<Report> reports) {
    out.println();
    out.printf(
        Locale.ROOT,
        "lineitem, TPC-H SF %s (median of %d after %d warm-up; ratio = Spark / Trueno)%n",
        TpchDataGenerator.formatScaleFactor(options.scale()),
        options.iterations(),
        options.warmup());
    String format = "| %-25s | %10s | %10s | %6s | %11s |%n";
    out.printf(Locale.ROOT, format, "case", "Spark ms", "Trueno ms", "ratio", "rows");
    out.printf(Locale.ROOT, "| --- | ---: | ---: | ---: | ---: |%n");
    for (Report r : reports) {
      out.printf(
          Locale.ROOT,
          format,
          r.label(),
          String.format(Locale.ROOT, "%,d", millis(r.sparkNanos())),
          String.format(Locale.ROOT, "%,d", millis(r.truenoNanos())),
          String.format(Locale.ROOT, "%.2fx", r.ratio()),
          r.sparkRows() < 0 ? "-" : String.format(Locale.ROOT, "%,d", r.sparkRows()));
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

  private record Run(long nanos, long rows) {}

  private record Report(
      String label, long sparkNanos, long truenoNanos, long sparkRows, long truenoRows) {
    double ratio() {
      return truenoNanos == 0 ? Double.NaN : (double) sparkNanos / truenoNanos;
    }
  }

  private record Options(
      double scale,
      Path data,
      int iterations,
      int warmup,
      String master,
      Map<String, String> sparkConf,
      boolean help) {

    static Options parse(String[] args) {
      double scale = 1;
      Path data = null;
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
          case "--scale" -> scale = TpchRunner.parseScale(value);
          case "--data" -> data = Path.of(value);
          case "--iterations" -> iterations = parseInt(option, value, 1);
          case "--warmup" -> warmup = parseInt(option, value, 0);
          case "--master" -> master = value;
          case "--conf" -> BenchmarkSession.addConf(sparkConf, value);
          default -> throw new IllegalArgumentException("Unknown option " + option);
        }
      }
      return new Options(
          scale,
          data != null ? data : TpchRunner.defaultDataDir(scale),
          iterations,
          warmup,
          master,
          sparkConf,
          help);
    }

    private static int parseInt(String option, String value, int min) {
      try {
        int parsed = Integer.parseInt(value);
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
