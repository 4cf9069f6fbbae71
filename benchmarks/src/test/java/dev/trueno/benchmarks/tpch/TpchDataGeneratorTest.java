package dev.trueno.benchmarks.tpch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TpchDataGeneratorTest {
  private static final double SCALE = 0.01;

  @TempDir static Path tempDir;
  private static Path dataDir;
  private static String progress;

  @BeforeAll
  static void generate() throws IOException {
    dataDir = tempDir.resolve("sf0.01");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      new TpchDataGenerator(SCALE, out).generate(dataDir);
    }
    progress = bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void rowCountsFollowTheTpchScaleFormulas() throws IOException {
    Map<String, Long> expected =
        Map.of(
            "nation", 25L,
            "region", 5L,
            "supplier", (long) (10_000 * SCALE),
            "customer", (long) (150_000 * SCALE),
            "part", (long) (200_000 * SCALE),
            "partsupp", (long) (800_000 * SCALE),
            "orders", (long) (1_500_000 * SCALE));
    expected.forEach((table, rows) -> assertThat(parquetRowCount(table)).as(table).isEqualTo(rows));
    // lineitem has 1 to 7 lines per order: about 4 on average
    assertThat(parquetRowCount("lineitem")).isBetween(3 * 15_000L, 5 * 15_000L);
  }

  @Test
  void marksTheDatasetCompleteAndReportsEveryTable() {
    assertThat(TpchDataGenerator.isComplete(dataDir, SCALE)).isTrue();
    assertThat(dataDir.getParent()).isDirectoryNotContaining("glob:**.tmp-*");
    for (String table : TpchQueries.TABLE_NAMES) {
      assertThat(progress).contains(table);
    }
  }

  @Test
  void refusesADatasetOfAnotherScaleFactor() {
    assertThatThrownBy(() -> TpchDataGenerator.isComplete(dataDir, 0.1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("has scale factor 0.01, not 0.1");
  }

  @Test
  void refusesToOverwriteAFolderThatIsNotEmpty() throws IOException {
    Path occupied = Files.createDirectories(tempDir.resolve("occupied"));
    Files.writeString(occupied.resolve("stray.txt"), "x");
    assertThatThrownBy(() -> new TpchDataGenerator(0.001, System.out).generate(occupied))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(occupied.toString())
        .hasMessageContaining("not an empty folder");
  }

  @Test
  void sparkReadsStandardTypes() {
    SparkSession spark =
        SparkSession.builder()
            .master("local[1]")
            .appName("TpchDataGeneratorTest")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .getOrCreate();
    try {
      TpchQueries.registerTables(spark, dataDir);
      StructType lineitem = spark.table("lineitem").schema();
      assertThat(lineitem.apply("l_orderkey").dataType()).isEqualTo(DataTypes.LongType);
      assertThat(lineitem.apply("l_linenumber").dataType()).isEqualTo(DataTypes.IntegerType);
      assertThat(lineitem.apply("l_extendedprice").dataType())
          .isEqualTo(DataTypes.createDecimalType(15, 2));
      assertThat(lineitem.apply("l_discount").dataType())
          .isEqualTo(DataTypes.createDecimalType(15, 2));
      assertThat(lineitem.apply("l_shipdate").dataType()).isEqualTo(DataTypes.DateType);
      assertThat(lineitem.apply("l_comment").dataType()).isEqualTo(DataTypes.StringType);

      List<Row> range =
          spark
              .sql(
                  "select cast(min(o_orderdate) as string), cast(max(o_orderdate) as string),"
                      + " cast(min(o_totalprice) > 0 as string) from orders")
              .collectAsList();
      // TPC-H order dates run from 1992-01-01 to 151 days before 1998-12-31.
      assertThat(range.get(0).getString(0)).isEqualTo("1992-01-01");
      assertThat(range.get(0).getString(1)).isEqualTo("1998-08-02");
      assertThat(range.get(0).getString(2)).isEqualTo("true");
    } finally {
      spark.stop();
    }
  }

  private static long parquetRowCount(String table) {
    try (Stream<Path> files = Files.list(dataDir.resolve(table))) {
      long rows = 0;
      for (Path file : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file))) {
          rows += reader.getRecordCount();
        }
      }
      return rows;
    } catch (IOException e) {
      throw new AssertionError("Cannot read the Parquet files of " + table, e);
    }
  }
}
