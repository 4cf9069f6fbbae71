package dev.trueno.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.trueno.spark.exec.ArrowMemory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through Spark with the Trueno scan: a missing path, a file that is not Parquet, a
 * truncated footer, a corrupt data page, a schema that conflicts between files. Each query fails
 * with the error condition Spark's own reader (Trueno off) raises for the same input, naming the
 * file, or, with {@code spark.sql.files.ignoreCorruptFiles} / {@code ignoreMissingFiles}, skips the
 * bad file and returns the good files' rows exactly as Spark does. After every test the Arrow
 * memory of the JVM is back where it was: failed reads leak nothing.
 */
class ScanBadInputTest {
  private static final String ENABLED = "spark.trueno.enabled";
  private static final String IGNORE_CORRUPT = "spark.sql.files.ignoreCorruptFiles";
  private static final String IGNORE_MISSING = "spark.sql.files.ignoreMissingFiles";
  private static final String SCHEMA = "id bigint, x int, s string, d double";

  @TempDir static Path dir;
  private static SparkSession spark;
  private static Path good;
  private long arrowBytesBefore;

  @BeforeAll
  static void writeGoodFile() throws IOException {
    spark = SharedSpark.get();
    good = writeOneFile("good", "x", "gzip", 0);
  }

  @BeforeEach
  void rememberArrowMemory() {
    // Broadcast join builds of earlier test classes stay cached for a moment for tasks to come;
    // one evicted during a test here would look like memory freed by it.
    dev.trueno.spark.exec.TruenoHashJoinExec.closeIdleBroadcastBuilds();
    arrowBytesBefore = ArrowMemory.allocatedBytes();
  }

  @AfterEach
  void arrowMemoryIsReleased() throws InterruptedException {
    // Tasks cancelled after a failure close their readers asynchronously: give them a moment.
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (ArrowMemory.allocatedBytes() != arrowBytesBefore && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(ArrowMemory.allocatedBytes())
        .as("Arrow bytes allocated after the test")
        .isEqualTo(arrowBytesBefore);
    spark.conf().unset(IGNORE_CORRUPT);
    spark.conf().unset(IGNORE_MISSING);
  }

  @Test
  void missingPathFailsAsSparkDoes() {
    String missing = dir.resolve("no_such_folder").toString();
    Outcome vanilla = run(false, s -> s.read().parquet(missing));
    assertThat(vanilla.condition()).isEqualTo("PATH_NOT_FOUND");
    sameFailure(vanilla, run(true, s -> s.read().parquet(missing)), "no_such_folder");
    sameFailure(vanilla, run(true, s -> s.read().format("trueno").load(missing)), "no_such_folder");
  }

  @Test
  void fileDeletedAfterPlanningFailsOrIsSkippedAsSparkDoes() throws IOException {
    for (boolean ignore : new boolean[] {false, true}) {
      Path folder = Files.createDirectories(dir.resolve("deleted_" + ignore));
      Files.copy(good, folder.resolve("a.parquet"));
      Files.copy(good, folder.resolve("b.parquet"));
      spark.conf().set(IGNORE_MISSING, String.valueOf(ignore));
      Outcome[] outcomes = new Outcome[2];
      for (boolean trueno : new boolean[] {false, true}) {
        Files.copy(
            good, folder.resolve("b.parquet"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        outcomes[trueno ? 1 : 0] =
            run(
                trueno,
                s -> {
                  // The file index lists the folder here; the file is gone when the task runs.
                  Dataset<Row> df = s.read().parquet(folder.toString());
                  try {
                    Files.delete(folder.resolve("b.parquet"));
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                  return df;
                });
      }
      if (ignore) {
        sameRows(outcomes[0], outcomes[1]);
        assertThat(outcomes[1].rows()).hasSize(1000);
      } else {
        sameFailure(outcomes[0], outcomes[1], "b.parquet");
        assertThat(outcomes[0].condition()).isEqualTo("FAILED_READ_FILE.FILE_NOT_EXIST");
      }
    }
  }

  @Test
  void fileThatIsNotParquetFailsOrIsSkippedAsSparkDoes() throws IOException {
    Path folder =
        folderWithBadFile("not_parquet", bytes -> "this is not parquet\n".repeat(20).getBytes());
    checkBadFile(folder, "part-bad.parquet");
  }

  @Test
  void truncatedFooterFailsOrIsSkippedAsSparkDoes() throws IOException {
    // The last 8 bytes (footer length and magic) kept, 40 bytes of the footer before them cut.
    Path folder =
        folderWithBadFile(
            "truncated_footer",
            bytes -> {
              byte[] out = new byte[bytes.length - 40];
              System.arraycopy(bytes, 0, out, 0, out.length - 8);
              System.arraycopy(bytes, bytes.length - 8, out, out.length - 8, 8);
              return out;
            });
    checkBadFile(folder, "part-bad.parquet");
  }

  @Test
  void fileCutShortFailsOrIsSkippedAsSparkDoes() throws IOException {
    Path folder =
        folderWithBadFile("cut_short", bytes -> java.util.Arrays.copyOf(bytes, bytes.length / 2));
    checkBadFile(folder, "part-bad.parquet");
  }

  @Test
  void corruptPageHeaderFailsOrIsSkippedAsSparkDoes() throws IOException {
    Path folder =
        folderWithBadFile(
            "corrupt_page_header",
            bytes -> {
              long offset = firstDataPage(good, "s");
              byte[] out = bytes.clone();
              for (int i = 0; i < 12; i++) {
                out[(int) offset + i] = (byte) 0xFF;
              }
              return out;
            });
    checkBadFile(folder, "part-bad.parquet");
  }

  @Test
  void corruptCompressedPageFailsOrIsSkippedAsSparkDoes() throws IOException {
    Path folder =
        folderWithBadFile(
            "corrupt_page_data",
            bytes -> {
              long offset = firstDataPage(good, "s");
              int header = pageHeaderLength(bytes, offset);
              PageHeader page = pageHeader(bytes, offset);
              byte[] out = bytes.clone();
              int start = (int) offset + header + page.getCompressed_page_size() / 3;
              for (int i = 0; i < 16; i++) {
                out[start + i] ^= (byte) 0x5A;
              }
              return out;
            });
    checkBadFile(folder, "part-bad.parquet");
  }

  @Test
  void conflictingColumnTypesFailAsSparkDoes() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("conflict"));
    Files.copy(good, folder.resolve("part-a.parquet"));
    Files.copy(
        writeOneFile("string_x", "cast(x as string)", "snappy", 0),
        folder.resolve("part-b.parquet"));
    // With the table's schema given: Spark's reader fails on the file whose column does not match.
    sameFailure(
        run(false, s -> s.read().schema(SCHEMA).parquet(folder.toString())),
        run(true, s -> s.read().schema(SCHEMA).parquet(folder.toString())),
        "part-b.parquet");
    // Schema inferred from the footers: whatever Spark infers, the outcome is the same.
    same(
        run(false, s -> s.read().parquet(folder.toString())),
        run(true, s -> s.read().parquet(folder.toString())),
        "part-");
    // mergeSchema: Spark cannot merge int and string.
    Outcome merged =
        run(false, s -> s.read().option("mergeSchema", "true").parquet(folder.toString()));
    assertThat(merged.error()).isNotNull();
    sameFailure(
        merged,
        run(true, s -> s.read().option("mergeSchema", "true").parquet(folder.toString())),
        null);
    sameFailure(
        merged,
        run(
            true,
            s -> s.read().format("trueno").option("mergeSchema", "true").load(folder.toString())),
        null);
    // ignoreCorruptFiles: Spark skips the file it cannot convert.
    spark.conf().set(IGNORE_CORRUPT, "true");
    same(
        run(false, s -> s.read().schema(SCHEMA).parquet(folder.toString())),
        run(true, s -> s.read().schema(SCHEMA).parquet(folder.toString())),
        "part-b.parquet");
  }

  @Test
  void ancientDatesOfAnUnknownWriterFailAsSparkDoes() throws IOException {
    // parquet-mr writes no Spark version or calendar: under rebase mode EXCEPTION (Spark 4's
    // default is CORRECTED) Spark refuses dates before 1582-10-15.
    Path file = dir.resolve("ancient.parquet");
    org.apache.parquet.schema.MessageType schema =
        org.apache.parquet.schema.MessageTypeParser.parseMessageType(
            "message m { required int64 id; optional int32 dt (DATE); }");
    try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> writer =
        org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(
                new org.apache.parquet.io.LocalOutputFile(file))
            .withType(schema)
            .build()) {
      var groups = new org.apache.parquet.example.data.simple.SimpleGroupFactory(schema);
      for (int i = 0; i < 100; i++) {
        writer.write(groups.newGroup().append("id", (long) i).append("dt", -200_000 + i));
      }
    }
    String mode = "spark.sql.parquet.datetimeRebaseModeInRead";
    spark.conf().set(mode, "EXCEPTION");
    try {
      Outcome vanilla = run(false, s -> s.read().parquet(file.toString()));
      assertThat(vanilla.condition()).startsWith("INCONSISTENT_BEHAVIOR_CROSS_VERSION");
      sameFailure(vanilla, run(true, s -> s.read().parquet(file.toString())), null);
      for (String other : List.of("CORRECTED", "LEGACY")) {
        spark.conf().set(mode, other);
        sameRows(
            run(false, s -> s.read().parquet(file.toString())),
            run(true, s -> s.read().parquet(file.toString())));
      }
    } finally {
      spark.conf().unset(mode);
    }
  }

  /** With and without ignoreCorruptFiles, with the schema given and inferred. */
  private void checkBadFile(Path folder, String badName) {
    Function<SparkSession, Dataset<Row>> withSchema =
        s -> s.read().schema(SCHEMA).parquet(folder.toString());
    Outcome vanilla = run(false, withSchema);
    assertThat(vanilla.error()).as("Spark's own reader fails").isNotNull();
    sameFailure(vanilla, run(true, withSchema), badName);
    sameFailure(
        vanilla,
        run(true, s -> s.read().format("trueno").schema(SCHEMA).load(folder.toString())),
        badName);

    spark.conf().set(IGNORE_CORRUPT, "true");
    try {
      Outcome skipped = run(false, withSchema);
      assertThat(skipped.rows()).as("Spark skips the bad file").hasSize(1000);
      sameRows(skipped, run(true, withSchema));
      // Inferred schema: the good file sorts first, so Spark infers from it.
      sameRows(
          run(false, s -> s.read().parquet(folder.toString())),
          run(true, s -> s.read().parquet(folder.toString())));
    } finally {
      spark.conf().unset(IGNORE_CORRUPT);
    }
  }

  /** A folder with the good file ({@code part-a.parquet}) and {@code part-bad.parquet}. */
  private static Path folderWithBadFile(String name, BadBytes bad) throws IOException {
    Path folder = Files.createDirectories(dir.resolve(name));
    Files.copy(good, folder.resolve("part-a.parquet"));
    Files.write(folder.resolve("part-bad.parquet"), bad.from(Files.readAllBytes(good)));
    return folder;
  }

  private interface BadBytes {
    byte[] from(byte[] good) throws IOException;
  }

  /** One Parquet file of 1000 rows ({@link #SCHEMA}, with {@code x} as {@code xExpression}). */
  private static Path writeOneFile(String name, String xExpression, String codec, long start)
      throws IOException {
    String path = dir.resolve("write_" + name).toString();
    spark
        .range(start, start + 1000)
        .selectExpr(
            "id",
            "cast(if(id % 7 = 0, null, id * 3) as int) as x",
            "if(id % 5 = 0, null, concat('row-', id, repeat('z', cast(id % 9 as int)))) as s",
            "id / 4.0d as d")
        .selectExpr("id", xExpression + " as x", "s", "d")
        .coalesce(1)
        .write()
        .option("compression", codec)
        .parquet(path);
    return ScanDifferentialTest.firstParquetFile(Path.of(path));
  }

  private static long firstDataPage(Path file, String column) throws IOException {
    for (ColumnChunkMetaData c :
        ScanDifferentialTest.footer(file).getBlocks().get(0).getColumns()) {
      if (c.getPath().toDotString().equals(column)) {
        return c.getFirstDataPageOffset();
      }
    }
    throw new AssertionError("no column " + column + " in " + file);
  }

  private static PageHeader pageHeader(byte[] bytes, long offset) throws IOException {
    return Util.readPageHeader(
        new ByteArrayInputStream(bytes, (int) offset, bytes.length - (int) offset));
  }

  private static int pageHeaderLength(byte[] bytes, long offset) throws IOException {
    ByteArrayInputStream in =
        new ByteArrayInputStream(bytes, (int) offset, bytes.length - (int) offset);
    int before = in.available();
    Util.readPageHeader(in);
    return before - in.available();
  }

  /** What one side did: its rows or its error, and its executed plan where there was one. */
  private record Outcome(boolean trueno, List<Row> rows, Throwable error, SparkPlan plan) {
    String condition() {
      return error == null ? null : DifferentialHarness.condition(error);
    }

    String describe() {
      StringBuilder text = new StringBuilder(trueno ? "Trueno: " : "Spark: ");
      if (error != null) {
        java.io.StringWriter trace = new java.io.StringWriter();
        error.printStackTrace(new java.io.PrintWriter(trace));
        String t = trace.toString();
        text.append(condition()).append(" ").append(t, 0, Math.min(t.length(), 4000));
      } else {
        text.append(rows.size()).append(" rows");
      }
      return text.append(plan == null ? "" : "\n" + plan).toString();
    }
  }

  private static Outcome run(boolean trueno, Function<SparkSession, Dataset<Row>> query) {
    spark.conf().set(ENABLED, String.valueOf(trueno));
    Dataset<Row> df = null;
    try {
      df = query.apply(spark);
      List<Row> rows = df.collectAsList();
      return new Outcome(trueno, rows, null, df.queryExecution().executedPlan());
    } catch (Exception e) { // SparkException and AnalysisException are checked
      SparkPlan plan = null;
      if (df != null) {
        try {
          plan = df.queryExecution().executedPlan();
        } catch (RuntimeException planning) {
          e.addSuppressed(planning);
        }
      }
      return new Outcome(trueno, null, e, plan);
    } finally {
      spark.conf().unset(ENABLED);
    }
  }

  /**
   * Both failed with the same condition and the Trueno error names {@code file} (when not null); a
   * Trueno run that got as far as a plan ran the Trueno scan.
   */
  private static void sameFailure(Outcome vanilla, Outcome trueno, String file) {
    if (vanilla.error() == null || trueno.error() == null) {
      fail("expected both to fail:\n" + vanilla.describe() + "\n" + trueno.describe());
    }
    assertThat(vanilla.condition()).as("Spark's condition; %s", vanilla.describe()).isNotNull();
    assertThat(trueno.condition())
        .as("condition of the Trueno run\n%s\n%s", trueno.describe(), vanilla.describe())
        .isEqualTo(vanilla.condition());
    assertThat(trueno.error().getClass())
        .as("error class\n%s\n%s", trueno.describe(), vanilla.describe())
        .isEqualTo(vanilla.error().getClass());
    if (file != null) {
      assertThat(messages(trueno.error())).as(trueno.describe()).contains(file);
    }
    ranTruenoScan(trueno);
  }

  /** The same rows, or the same failure. */
  private static void same(Outcome vanilla, Outcome trueno, String file) {
    if (vanilla.error() != null) {
      sameFailure(vanilla, trueno, file);
    } else {
      sameRows(vanilla, trueno);
    }
  }

  private static void sameRows(Outcome vanilla, Outcome trueno) {
    if (vanilla.error() != null || trueno.error() != null) {
      fail("expected both to return rows:\n" + vanilla.describe() + "\n" + trueno.describe());
    }
    assertThat(trueno.rows())
        .as(trueno.describe())
        .containsExactlyInAnyOrderElementsOf(vanilla.rows());
    ranTruenoScan(trueno);
  }

  private static void ranTruenoScan(Outcome trueno) {
    if (trueno.plan() == null) {
      return; // failed in analysis, before any scan was planned (as Spark's reader does)
    }
    List<SparkPlan> nodes = DifferentialHarness.allNodes(trueno.plan());
    assertThat(DifferentialHarness.truenoScans(nodes)).as(trueno.describe()).isNotEmpty();
    assertThat(DifferentialHarness.sparkParquetScans(nodes)).as(trueno.describe()).isEmpty();
  }

  private static String messages(Throwable error) {
    List<String> out = new ArrayList<>();
    for (Throwable t = error; t != null; t = t.getCause()) {
      out.add(String.valueOf(t.getMessage()));
    }
    return String.join("\n", out);
  }
}
