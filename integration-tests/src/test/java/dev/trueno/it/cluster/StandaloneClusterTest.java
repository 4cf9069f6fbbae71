package dev.trueno.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.it.PluginJar;
import dev.trueno.spark.exec.TruenoHashAggregateExec;
import dev.trueno.spark.exec.TruenoHashJoinExec;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import org.apache.spark.SparkContext$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Trueno on a real Spark standalone cluster: a master and two workers in their own JVMs, executors
 * that see Spark's jars only, and the driver (this JVM) shipping the shaded plugin jar through
 * {@code spark.jars}, as {@code spark-submit --jars} does.
 *
 * <p>This is what local mode cannot show: that the jar is complete (every class an executor needs
 * is inside), that plans and tasks serialize to other JVMs, and that the executors really load
 * Trueno from the shipped jar.
 */
@Tag("cluster")
class StandaloneClusterTest {
  private static final int WORKERS = 2;
  private static StandaloneCluster cluster;
  private static SparkSession spark;
  private static Path pluginJar;

  @RegisterExtension
  static final AppendDiagnosticsOnFailure DIAGNOSTICS =
      new AppendDiagnosticsOnFailure(
          () -> cluster == null ? "(cluster not started)" : cluster.diagnostics());

  @BeforeAll
  @Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
  static void startClusterAndDriver() throws Exception {
    pluginJar = PluginJar.require();
    assertThat(SparkContext$.MODULE$.getActive().isDefined())
        .as("another SparkContext is active in this JVM; cluster tests need a JVM of their own")
        .isFalse();
    Path runRoot =
        Path.of(System.getProperty("trueno.clusterRunDir", "target/cluster-run")).toAbsolutePath();
    cluster = StandaloneCluster.start(runRoot, testClasspath(), sparkJvmFlags(), WORKERS);
    Path runDir = cluster.runDir();
    Path probeJar = probeJar(runDir.resolve("probe"));
    spark =
        SparkSession.builder()
            .master(cluster.masterUrl())
            .appName("trueno-standalone-cluster-test")
            .config("spark.jars", pluginJar + "," + probeJar)
            .config("spark.sql.extensions", "dev.trueno.spark.TruenoExtensions")
            .config("spark.executor.memory", "512m")
            .config("spark.executor.cores", "1")
            .config("spark.cores.max", Integer.toString(WORKERS))
            .config("spark.executor.extraJavaOptions", sparkJvmFlags())
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.local.dir", runDir.resolve("driver-local").toString())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
    awaitExecutors(WORKERS);
  }

  @AfterAll
  static void stopDriverAndCluster() {
    try {
      if (spark != null) {
        spark.stop();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
  void executorsLoadTruenoFromTheShippedJarOnly() throws IOException {
    List<String> reports =
        spark
            .range(0, 4, 1, 4)
            .as(Encoders.LONG())
            .mapPartitions(new ExecutorProbe(), Encoders.STRING())
            .collectAsList();

    String jarName = pluginJar.getFileName().toString();
    long driverPid = ProcessHandle.current().pid();
    assertThat(reports).hasSize(4);
    List<String> pids = new ArrayList<>();
    for (String report : reports) {
      String[] fields = report.split("\t");
      assertThat(fields).as(report).hasSize(3);
      pids.add(fields[0]);
      assertThat(fields[1])
          .as("where an executor loaded %s from", ExecutorProbe.PROBED_CLASS)
          .endsWith("/" + jarName);
      assertThat(fields[2])
          .as("%s is on the executor's own classpath, so the test proves nothing", jarName)
          .isEqualTo("false");
    }
    assertThat(pids).as("executor pids").doesNotContain(Long.toString(driverPid));
    assertThat(pids.stream().distinct().count()).as("executors that ran the probe").isEqualTo(2);

    // Each executor's own log records the fetch from the driver and the class-loader addition.
    List<Path> executorLogs = cluster.executorLogs();
    assertThat(executorLogs).as("executor stderr files under the workers' work dirs").hasSize(2);
    for (Path log : executorLogs) {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(text)
          .as("%s", log)
          .containsPattern("Fetching spark://127\\.0\\.0\\.1:\\d+/jars/" + jarName)
          .containsPattern("Adding file:\\S*/" + jarName + " to class loader");
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
  void groupedAggregatesOverRangeMatchSpark() {
    spark
        .range(0, 200_000, 1, 4)
        .selectExpr("id % 13 as k", "id as v", "cast(id % 1000 as int) as i")
        .createOrReplaceTempView("numbers");
    assertSameAsSpark("select k, sum(v), count(*), avg(v), min(i), max(i) from numbers group by k");
    assertSameAsSpark("select i % 7 as k, sum(i), count(v) from numbers group by i % 7");
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
  void groupedAggregatesOverParquetWithNullsMatchSpark() throws IOException {
    Path dir = cluster.runDir().resolve("parquet").resolve("facts");
    StandaloneCluster.deleteRecursively(dir);
    // Executors on this machine write the files; the local path is the same for every JVM.
    spark
        .range(0, 50_000, 1, 4)
        .selectExpr(
            "cast(id % 17 as int) as k",
            "case when id % 5 = 0 then null else id * 3 end as v", "cast(id as double) / 4 as d")
        .write()
        .parquet(dir.toString());
    spark.read().parquet(dir.toString()).createOrReplaceTempView("facts");
    assertSameAsSpark(
        "select k, sum(v), count(v), count(*), avg(v), min(d), max(d), sum(d)"
            + " from facts group by k");
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
  void broadcastAndShuffledJoinsMatchSpark() {
    spark
        .range(0, 100_000, 1, 4)
        .selectExpr("id as o_id", "id % 97 as o_cust", "cast(id % 1000 as decimal(12,2)) as o_amt")
        .createOrReplaceTempView("orders_c");
    spark
        .range(0, 90, 1, 2)
        .selectExpr("id as c_id", "concat('cust', id) as c_name")
        .createOrReplaceTempView("customers_c");
    // The small side is broadcast: one build per executor JVM, shared by its tasks.
    assertSameAsSpark(
        "select c_name, o_id, o_amt from orders_c join customers_c on o_cust = c_id",
        TruenoHashJoinExec.class);
    assertSameAsSpark(
        "select o_id, c_name from orders_c left join customers_c on o_cust = c_id"
            + " and o_amt > 500",
        TruenoHashJoinExec.class);
    // Without broadcasts Spark plans a sort-merge join, which Trueno runs as a shuffled hash join.
    spark.conf().set("spark.sql.autoBroadcastJoinThreshold", "-1");
    try {
      assertSameAsSpark(
          "select a.o_id, b.o_amt from orders_c a join orders_c b on a.o_id = b.o_cust",
          TruenoHashJoinExec.class);
    } finally {
      spark.conf().unset("spark.sql.autoBroadcastJoinThreshold");
    }
  }

  /**
   * Runs the query with Trueno on, checks Trueno executed its aggregation, and compares the rows
   * with the same query on vanilla Spark.
   */
  private static void assertSameAsSpark(String sql) {
    assertSameAsSpark(sql, TruenoHashAggregateExec.class);
  }

  /**
   * Runs the query with Trueno on, checks that a node of class {@code node} ran, and compares the
   * rows with the same query on vanilla Spark.
   */
  private static void assertSameAsSpark(String sql, Class<? extends SparkPlan> node) {
    Dataset<Row> accelerated = spark.sql(sql);
    List<String> truenoRows = sortedRows(accelerated.collectAsList());
    assertThat(truenoNodes(accelerated.queryExecution().executedPlan(), node))
        .as("%s in the executed plan of %s", node.getSimpleName(), sql)
        .isNotEmpty();

    List<String> sparkRows;
    spark.conf().set("spark.trueno.enabled", "false");
    try {
      Dataset<Row> vanilla = spark.sql(sql);
      sparkRows = sortedRows(vanilla.collectAsList());
      assertThat(truenoNodes(vanilla.queryExecution().executedPlan(), node)).isEmpty();
    } finally {
      spark.conf().set("spark.trueno.enabled", "true");
    }
    assertThat(truenoRows).as(sql).isNotEmpty().isEqualTo(sparkRows);
  }

  private static List<String> sortedRows(List<Row> rows) {
    return rows.stream().map(Row::toString).sorted().collect(Collectors.toList());
  }

  private static List<SparkPlan> truenoNodes(SparkPlan plan, Class<? extends SparkPlan> node) {
    List<SparkPlan> out = new ArrayList<>();
    new AdaptiveSparkPlanHelper() {}.foreach(
        plan,
        p -> {
          if (node.isInstance(p)) {
            out.add(p);
          }
          return scala.runtime.BoxedUnit.UNIT;
        });
    return out;
  }

  /** Waits until {@code count} executors have registered, so work spreads over both workers. */
  private static void awaitExecutors(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      // The driver counts itself among the executor infos.
      int executors = spark.sparkContext().statusTracker().getExecutorInfos().length - 1;
      if (executors >= count) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            executors + " of " + count + " executors registered within 90 s");
      }
      Thread.sleep(250);
    }
  }

  /**
   * The real test classpath: surefire runs tests from a manifest-only jar, so java.class.path names
   * just that jar; surefire publishes the entries separately.
   */
  private static List<Path> testClasspath() {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return Arrays.stream(cp.split(File.pathSeparator))
        .filter(s -> !s.isBlank())
        .map(Path::of)
        .toList();
  }

  /**
   * The JVM flags Spark 4 needs on Java 17, as the build passes them to this JVM (pom property
   * spark.jvm.flags); outside Maven, the matching flags this JVM was started with.
   */
  private static String sparkJvmFlags() {
    String flags = System.getProperty("trueno.sparkJvmFlags");
    if (flags != null && !flags.isBlank()) {
      return flags;
    }
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(
            a ->
                a.startsWith("--add-")
                    || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
                    || a.startsWith("-Djdk.reflect.")
                    || a.startsWith("-Dio.netty."))
        .collect(Collectors.joining(" "));
  }

  /** A jar holding only {@link ExecutorProbe}, shipped beside the plugin jar. */
  private static Path probeJar(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path jar = dir.resolve("trueno-it-probe.jar");
    String entry = ExecutorProbe.class.getName().replace('.', '/') + ".class";
    try (InputStream in = ExecutorProbe.class.getClassLoader().getResourceAsStream(entry);
        OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file)) {
      assertThat(in).as("class file %s on the test classpath", entry).isNotNull();
      out.putNextEntry(new JarEntry(entry));
      in.transferTo(out);
      out.closeEntry();
    }
    return jar;
  }
}
