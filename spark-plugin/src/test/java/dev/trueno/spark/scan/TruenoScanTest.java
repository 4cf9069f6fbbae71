package dev.trueno.spark.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.spark.TruenoExtensions;
import dev.trueno.spark.exec.TruenoHashAggregateExec;
import dev.trueno.spark.rules.TruenoOverrides;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanHelper;
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Trueno scan end to end in a real session over Parquet files written by Spark: the {@code
 * trueno} source and the replacement of Spark's Parquet scans read what Spark's own reader reads
 * (Trueno off), with pruning, row-group skipping, partitions and fallbacks.
 */
class TruenoScanTest {
  private static final String ENABLED = "spark.trueno.enabled";
  private static SparkSession spark;
  @TempDir static Path dir;
  private static String allTypes;

  @BeforeAll
  static void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("trueno-scan-test")
            .config("spark.sql.extensions", TruenoExtensions.class.getName())
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
    allTypes = dir.resolve("all_types").toString();
    spark
        .range(0, 3000)
        .selectExpr(
            "id",
            "if(id % 13 = 0, null, id % 2 = 0) as b",
            "if(id % 11 = 0, null, cast(id % 100 as tinyint)) as i8",
            "if(id % 7 = 0, null, cast(id * 3 as smallint)) as i16",
            "if(id % 5 = 0, null, cast(id * 1000 as int)) as i32",
            "if(id % 3 = 0, null, id * 100000007) as i64",
            "if(id % 17 = 0, null, cast(id / 7.0 as float)) as f32",
            "if(id % 19 = 0, null, id / 3.0d) as f64",
            "if(id % 23 = 0, null, cast(id * 1.25 as decimal(9,2))) as d9",
            "if(id % 29 = 0, null, cast(id * 7.125 as decimal(18,4))) as d18",
            "if(id % 31 = 0, null, cast(id * 123456789.0123 as decimal(38,10))) as d38",
            "if(id % 37 = 0, null, concat('s', id, repeat('x', cast(id % 5 as int)))) as s",
            "if(id % 41 = 0, null, cast(concat('b', id) as binary)) as bin",
            "if(id % 43 = 0, null, date_add(date'1970-01-01', cast(id as int) * 10)) as dt",
            "if(id % 47 = 0, null, timestamp_micros(id * 86400123456)) as ts",
            "if(id % 53 = 0, null, cast(timestamp_micros(id * 3600000001) as timestamp_ntz))"
                + " as ntz",
            "cast(id % 3 as int) as p_int",
            "if(id % 4 = 0, null, concat('v', id % 2)) as p_str")
        .write()
        .partitionBy("p_int", "p_str")
        .parquet(allTypes);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void truenoFormatReadsEveryFlatTypeWithNullsAndPartitionsLikeSpark() {
    Dataset<Row> df = spark.read().format("trueno").load(allTypes);
    assertThat(df.schema().fieldNames())
        .endsWith("p_int", "p_str")
        .contains("i8", "d38", "ts", "ntz");
    List<Row> trueno = df.collectAsList();
    assertThat(truenoScans(df.queryExecution().executedPlan())).hasSize(1);
    List<Row> vanilla = vanilla(() -> spark.read().parquet(allTypes));
    assertThat(trueno).hasSize(3000).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  @Test
  void readsSeveralPathsAndGlobs() {
    Dataset<Row> df =
        spark
            .read()
            .format("trueno")
            .option("basePath", allTypes)
            .load(allTypes + "/p_int=0/*", allTypes + "/p_int=1");
    List<Row> rows = df.select("id", "p_int", "p_str").collectAsList();
    assertThat(rows).hasSize(2000).allMatch(r -> r.getInt(1) != 2);
  }

  @Test
  void prunedColumnsAreTheOnlyOnesRead() {
    Dataset<Row> df =
        spark.read().format("trueno").load(allTypes).select("s", "p_str").where("i32 > 5000");
    List<Row> trueno = df.collectAsList();
    BatchScanExec scan = truenoScans(df.queryExecution().executedPlan()).get(0);
    assertThat(java.util.Arrays.stream(scan.scan().readSchema().fields()).map(StructField::name))
        .containsExactlyInAnyOrder("s", "i32", "p_str");
    List<Row> vanilla =
        vanilla(() -> spark.read().parquet(allTypes).select("s", "p_str").where("i32 > 5000"));
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  @Test
  void partitionFiltersPruneFoldersAndDataFiltersStillApply() {
    String query = "p_int = 1 and p_str = 'v1' and id % 10 = 3";
    Dataset<Row> df = spark.read().format("trueno").load(allTypes).where(query);
    List<Row> trueno = df.collectAsList();
    List<Row> vanilla = vanilla(() -> spark.read().parquet(allTypes).where(query));
    assertThat(trueno).isNotEmpty().containsExactlyInAnyOrderElementsOf(vanilla);
    assertThat(metric(df, TruenoScanMetrics.FILES)).isPositive();
  }

  @Test
  void rowGroupsOutsideTheFilterAreSkippedByStatistics() {
    String path = dir.resolve("many_row_groups").toString();
    spark
        .range(0, 200_000)
        .selectExpr("id", "id * 2 as twice")
        .coalesce(1)
        .write()
        .option("parquet.block.size", "65536")
        .parquet(path);
    Dataset<Row> df = spark.read().format("trueno").load(path).where("id between 1000 and 1500");
    List<Row> trueno = df.collectAsList();
    assertThat(trueno).hasSize(501);
    assertThat(metric(df, TruenoScanMetrics.ROW_GROUPS_SKIPPED)).isPositive();
    assertThat(metric(df, TruenoScanMetrics.ROW_GROUPS_READ)).isPositive();
    assertThat(metric(df, TruenoScanMetrics.BYTES_READ)).isPositive();
    List<Row> vanilla = vanilla(() -> spark.read().parquet(path).where("id between 1000 and 1500"));
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  @Test
  void negatedAndStringFiltersStillSkipAndMatchSpark() {
    String path = dir.resolve("negated").toString();
    spark
        .range(0, 100_000)
        .selectExpr("id", "concat('k', lpad(cast(id as string), 6, '0')) as k")
        .coalesce(1)
        .write()
        .option("parquet.block.size", "65536")
        .parquet(path);
    String filter = "not (id >= 500) and k not like 'k0001%' and k like 'k0%'";
    Dataset<Row> df = spark.read().parquet(path).where(filter);
    List<Row> trueno = df.collectAsList();
    assertThat(truenoScans(df.queryExecution().executedPlan())).hasSize(1);
    assertThat(metric(df, TruenoScanMetrics.ROW_GROUPS_SKIPPED)).isPositive();
    assertThat(trueno)
        .hasSize(400)
        .containsExactlyInAnyOrderElementsOf(
            vanilla(() -> spark.read().parquet(path).where(filter)));
  }

  @Test
  void splitsHonourMaxPartitionBytes() {
    String path = dir.resolve("split").toString();
    spark
        .range(0, 200_000)
        .selectExpr("id", "id * 2 as twice")
        .coalesce(1)
        .write()
        .option("parquet.block.size", "65536")
        .parquet(path);
    spark.conf().set("spark.sql.files.maxPartitionBytes", "200000");
    try {
      Dataset<Row> df = spark.read().format("trueno").load(path);
      assertThat(df.rdd().getNumPartitions()).isGreaterThan(2);
      assertThat(df.count()).isEqualTo(200_000);
      assertThat(df.selectExpr("sum(id)").first().getLong(0)).isEqualTo(199_999L * 200_000 / 2);
    } finally {
      spark.conf().unset("spark.sql.files.maxPartitionBytes");
    }
  }

  @Test
  void sparksParquetScanIsReplacedForTheDataFrameReader() {
    Dataset<Row> df = spark.read().parquet(allTypes).where("i64 > 1000");
    List<Row> trueno = df.collectAsList();
    SparkPlan plan = df.queryExecution().executedPlan();
    assertThat(truenoScans(plan)).hasSize(1);
    assertThat(nodes(plan, FileSourceScanExec.class)).isEmpty();
    List<Row> vanilla = vanilla(() -> spark.read().parquet(allTypes).where("i64 > 1000"));
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  @Test
  void sparksParquetScanIsReplacedForSqlOverAParquetTable() {
    spark.sql("create table if not exists parquet_table using parquet location '" + allTypes + "'");
    String sql = "select p_str, count(*), sum(i32), max(s) from parquet_table group by p_str";
    Dataset<Row> df = spark.sql(sql);
    List<Row> trueno = df.collectAsList();
    assertThat(truenoScans(df.queryExecution().executedPlan())).hasSize(1);
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla(() -> spark.sql(sql)));
  }

  @Test
  void v2ParquetScanIsReplaced() {
    spark.conf().set("spark.sql.sources.useV1SourceList", "");
    try {
      Dataset<Row> df = spark.read().parquet(allTypes).where("p_int = 2 and d18 > 100");
      List<Row> trueno = df.collectAsList();
      assertThat(truenoScans(df.queryExecution().executedPlan())).hasSize(1);
      List<Row> vanilla =
          vanilla(() -> spark.read().parquet(allTypes).where("p_int = 2 and d18 > 100"));
      assertThat(trueno).isNotEmpty().containsExactlyInAnyOrderElementsOf(vanilla);
    } finally {
      spark.conf().unset("spark.sql.sources.useV1SourceList");
    }
  }

  @Test
  void createTableUsingTruenoReadsTheLocation() {
    spark.sql("create table if not exists trueno_table using trueno location '" + allTypes + "'");
    Dataset<Row> df = spark.sql("select id, s, p_int from trueno_table where p_int = 1");
    List<Row> trueno = df.collectAsList();
    assertThat(truenoScans(df.queryExecution().executedPlan())).hasSize(1);
    List<Row> vanilla =
        vanilla(() -> spark.read().parquet(allTypes).where("p_int = 1").select("id", "s", "p_int"));
    assertThat(trueno).hasSize(1000).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  @Test
  void nestedColumnsStayOnSparkWithAReason() {
    String path = dir.resolve("nested").toString();
    spark
        .range(0, 10)
        .selectExpr("id", "named_struct('a', id, 'b', 'x') as st")
        .write()
        .parquet(path);
    Dataset<Row> df = spark.read().parquet(path);
    List<Row> rows = df.collectAsList();
    SparkPlan plan = df.queryExecution().executedPlan();
    assertThat(truenoScans(plan)).isEmpty();
    List<FileSourceScanExec> scans = nodes(plan, FileSourceScanExec.class);
    assertThat(scans).hasSize(1);
    assertThat(scans.get(0).getTagValue(TruenoOverrides.FALLBACK_REASON).get()).contains("st");
    assertThat(rows).hasSize(10);
    // Without the nested column the scan is replaced.
    Dataset<Row> flat = spark.read().parquet(path).select("id");
    assertThat(flat.collectAsList()).hasSize(10);
    assertThat(truenoScans(flat.queryExecution().executedPlan())).hasSize(1);
  }

  @Test
  void aggregateOverTheTruenoScanUsesItsArrowBatchesInPlace() {
    Dataset<Row> df =
        spark
            .read()
            .parquet(allTypes)
            .groupBy("p_int")
            .agg(
                org.apache.spark.sql.functions.sum("i64"),
                org.apache.spark.sql.functions.count("*"));
    List<Row> trueno = df.collectAsList();
    SparkPlan plan = df.queryExecution().executedPlan();
    assertThat(truenoScans(plan)).hasSize(1);
    TruenoHashAggregateExec partial =
        nodes(plan, TruenoHashAggregateExec.class).stream()
            .filter(n -> n.plan().mode() == dev.trueno.core.plan.AggregateMode.PARTIAL)
            .findFirst()
            .orElseThrow();
    assertThat(partial.metrics().apply("numInputRows").value()).isEqualTo(3000);
    assertThat(partial.metrics().apply("numConvertedRows").value()).isZero();
    List<Row> vanilla =
        vanilla(
            () ->
                spark
                    .read()
                    .parquet(allTypes)
                    .groupBy("p_int")
                    .agg(
                        org.apache.spark.sql.functions.sum("i64"),
                        org.apache.spark.sql.functions.count("*")));
    assertThat(trueno).containsExactlyInAnyOrderElementsOf(vanilla);
  }

  @Test
  void scanEnabledFalseKeepsSparksScanWithTheKeyAsReason() {
    spark.conf().set("spark.trueno.scan.enabled", "false");
    try {
      Dataset<Row> df = spark.read().parquet(allTypes);
      df.collectAsList();
      SparkPlan plan = df.queryExecution().executedPlan();
      assertThat(truenoScans(plan)).isEmpty();
      assertThat(
              nodes(plan, FileSourceScanExec.class)
                  .get(0)
                  .getTagValue(TruenoOverrides.FALLBACK_REASON)
                  .get())
          .contains("spark.trueno.scan.enabled");
    } finally {
      spark.conf().unset("spark.trueno.scan.enabled");
    }
  }

  private static List<Row> vanilla(Supplier<Dataset<Row>> query) {
    spark.conf().set(ENABLED, "false");
    try {
      Dataset<Row> df = query.get();
      List<Row> rows = df.collectAsList();
      assertThat(truenoScans(df.queryExecution().executedPlan())).isEmpty();
      return rows;
    } finally {
      spark.conf().set(ENABLED, "true");
    }
  }

  private static long metric(Dataset<Row> df, String name) {
    return truenoScans(df.queryExecution().executedPlan()).get(0).metrics().apply(name).value();
  }

  static List<BatchScanExec> truenoScans(SparkPlan plan) {
    return nodes(plan, BatchScanExec.class).stream()
        .filter(b -> b.scan() instanceof TruenoScan)
        .toList();
  }

  static <T> List<T> nodes(SparkPlan plan, Class<T> type) {
    List<T> out = new ArrayList<>();
    AdaptiveSparkPlanHelper helper = new AdaptiveSparkPlanHelper() {};
    helper.foreach(
        plan,
        p -> {
          if (type.isInstance(p)) {
            out.add(type.cast(p));
          }
          return scala.runtime.BoxedUnit.UNIT;
        });
    return out;
  }
}
