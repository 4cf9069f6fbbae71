package dev.trueno.spark.scan.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TimeZone;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.parquet.example.data.simple.NanoTime;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.spark.sql.catalyst.util.RebaseDateTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ancient dates and timestamps read as Spark reads them. Spark's own {@code RebaseDateTime} (on the
 * test classpath only; the decoder does not use Spark) is the oracle for LEGACY values.
 */
class ParquetRebaseTest {
  @TempDir Path dir;
  private BufferAllocator allocator;

  @BeforeEach
  void open() {
    allocator = new RootAllocator(1L << 30);
  }

  @AfterEach
  void closeChecksForLeaks() {
    allocator.close();
  }

  private static final long MICROS_1900 = -2208988800L * 1_000_000L;
  private static final int DAY_1582 = (int) LocalDate.of(1582, 10, 15).toEpochDay();

  private static final List<TestColumn> COLUMNS =
      List.of(
          TestColumn.of(
              "date",
              PrimitiveTypeName.INT32,
              LogicalTypeAnnotation.dateType(),
              r -> DAY_1582 - 1 - r.nextInt(700_000)),
          TestColumn.of(
              "ts",
              PrimitiveTypeName.INT64,
              LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS),
              r -> MICROS_1900 - 1 - (r.nextLong() >>> 4)),
          TestColumn.of(
              "ts_ms",
              PrimitiveTypeName.INT64,
              LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS),
              r -> MICROS_1900 / 1000 - 1 - (r.nextLong() >>> 14)),
          TestColumn.of(
              "int96",
              PrimitiveTypeName.INT96,
              null,
              r ->
                  new NanoTime(
                      2_440_588 - 30_000 - r.nextInt(600_000), r.nextLong(86_400_000_000_000L))));

  private Path write(String name, Map<String, String> meta) throws Exception {
    return TestFiles.write(
        dir.resolve(name),
        COLUMNS,
        TestFiles.rows(COLUMNS, 500, 0.1, 17),
        TestFiles.Settings.defaults().metadata(meta));
  }

  private static DecodeOptions options(RebaseMode datetime, RebaseMode int96) {
    return new DecodeOptions(1 << 20, 1000, ZoneId.of("UTC"), datetime, int96);
  }

  @Test
  void exceptionModeFailsOnAncientValuesOfFilesWithoutSparkMetadata() throws Exception {
    Path file = write("plain.parquet", Map.of());
    assertThatThrownBy(
            () ->
                TestFiles.readAll(
                    file,
                    List.of("ts"),
                    allocator,
                    options(RebaseMode.EXCEPTION, RebaseMode.CORRECTED)))
        .isInstanceOf(AncientDateTimeException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("spark.sql.parquet.datetimeRebaseModeInRead")
        .satisfies(e -> assertThat(((AncientDateTimeException) e).format()).isEqualTo("Parquet"));
    assertThatThrownBy(
            () ->
                TestFiles.readAll(
                    file,
                    List.of("int96"),
                    allocator,
                    options(RebaseMode.CORRECTED, RebaseMode.EXCEPTION)))
        .isInstanceOf(AncientDateTimeException.class)
        .hasMessageContaining("spark.sql.parquet.int96RebaseModeInRead")
        .satisfies(
            e -> assertThat(((AncientDateTimeException) e).format()).isEqualTo("Parquet INT96"));
  }

  @Test
  void correctedModeReadsValuesAsStored() throws Exception {
    Path file = write("corrected.parquet", Map.of());
    assertThat(
            TestFiles.readAll(
                file,
                TestFiles.names(COLUMNS),
                allocator,
                options(RebaseMode.CORRECTED, RebaseMode.CORRECTED)))
        .containsExactlyElementsOf(TestFiles.oracle(file, COLUMNS));
  }

  @Test
  void legacyModeRebasesAsSparkDoesInTheJvmZone() throws Exception {
    Path file = write("legacy.parquet", Map.of());
    List<List<Object>> stored = TestFiles.oracle(file, COLUMNS);
    String zone = TimeZone.getDefault().getID();
    assertThat(
            TestFiles.readAll(
                file,
                TestFiles.names(COLUMNS),
                allocator,
                options(RebaseMode.LEGACY, RebaseMode.LEGACY)))
        .containsExactlyElementsOf(sparkRebased(stored, zone));
  }

  @Test
  void sparkWrittenFilesSayWhichCalendarTheyUseWhateverTheMode() throws Exception {
    // Spark 2.4 wrote the hybrid calendar, in the zone it recorded.
    Path old =
        write(
            "spark24.parquet",
            Map.of(
                "org.apache.spark.version",
                "2.4.8",
                "org.apache.spark.timeZone",
                "America/Los_Angeles"));
    assertThat(
            TestFiles.readAll(
                old,
                TestFiles.names(COLUMNS),
                allocator,
                options(RebaseMode.EXCEPTION, RebaseMode.EXCEPTION)))
        .containsExactlyElementsOf(
            sparkRebased(TestFiles.oracle(old, COLUMNS), "America/Los_Angeles"));
    // Spark 3.5 in CORRECTED mode: values as stored, even under EXCEPTION.
    Path modern = write("spark35.parquet", Map.of("org.apache.spark.version", "3.5.1"));
    assertThat(
            TestFiles.readAll(
                modern,
                TestFiles.names(COLUMNS),
                allocator,
                options(RebaseMode.EXCEPTION, RebaseMode.EXCEPTION)))
        .containsExactlyElementsOf(TestFiles.oracle(modern, COLUMNS));
    // Spark 3.0 marks LEGACY datetime writes; INT96 was rebased until 3.1.
    Path marked =
        write(
            "spark30.parquet",
            Map.of(
                "org.apache.spark.version",
                "3.0.3",
                "org.apache.spark.legacyDateTime",
                "",
                "org.apache.spark.timeZone",
                "Asia/Kolkata"));
    assertThat(
            TestFiles.readAll(
                marked,
                TestFiles.names(COLUMNS),
                allocator,
                options(RebaseMode.CORRECTED, RebaseMode.CORRECTED)))
        .containsExactlyElementsOf(sparkRebased(TestFiles.oracle(marked, COLUMNS), "Asia/Kolkata"));
  }

  @Test
  void rebaseEqualsSparksForRandomValuesAndZones() {
    Random r = new Random(99);
    for (String zone :
        List.of("UTC", "America/Los_Angeles", "Europe/Amsterdam", "Asia/Kolkata", "+08:00")) {
      DateTimeRebase.Rebaser rebaser = new DateTimeRebase.Rebaser(ZoneId.of(zone));
      for (int i = 0; i < 2000; i++) {
        long micros = MICROS_1900 - (r.nextLong() >>> (1 + r.nextInt(20)));
        assertThat(rebaser.julianToGregorianMicros(micros))
            .as("%s in %s", micros, zone)
            .isEqualTo(RebaseDateTime.rebaseJulianToGregorianMicros(zone, micros));
        int days = DAY_1582 + 5 - r.nextInt(800_000);
        assertThat(rebaser.julianToGregorianDays(days))
            .isEqualTo(RebaseDateTime.rebaseJulianToGregorianDays(days));
      }
    }
    assertThat(DateTimeRebase.LAST_SWITCH_JULIAN_DAY)
        .isEqualTo(RebaseDateTime.lastSwitchJulianDay());
    assertThat(DateTimeRebase.LAST_SWITCH_JULIAN_MICROS)
        .isEqualTo(RebaseDateTime.lastSwitchJulianTs());
  }

  private static List<List<Object>> sparkRebased(List<List<Object>> stored, String zone) {
    List<List<Object>> out = new ArrayList<>();
    for (List<Object> row : stored) {
      List<Object> r = new ArrayList<>();
      r.add(
          row.get(0) == null
              ? null
              : (long) RebaseDateTime.rebaseJulianToGregorianDays((int) (long) (Long) row.get(0)));
      for (int c = 1; c < row.size(); c++) {
        r.add(
            row.get(c) == null
                ? null
                : RebaseDateTime.rebaseJulianToGregorianMicros(zone, (Long) row.get(c)));
      }
      out.add(r);
    }
    return out;
  }
}
