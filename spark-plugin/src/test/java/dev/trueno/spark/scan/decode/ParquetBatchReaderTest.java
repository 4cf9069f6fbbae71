package dev.trueno.spark.scan.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Files written by parquet-mr read back value by value equal to parquet-mr's record reader. */
class ParquetBatchReaderTest {
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

  static DecodeOptions options(long batchBytes, int maxRows) {
    return new DecodeOptions(
        batchBytes, maxRows, ZoneId.of("UTC"), RebaseMode.CORRECTED, RebaseMode.CORRECTED);
  }

  static Stream<Arguments> writerMatrix() {
    List<Arguments> out = new ArrayList<>();
    for (WriterVersion v : WriterVersion.values()) {
      for (CompressionCodecName codec :
          List.of(
              CompressionCodecName.UNCOMPRESSED,
              CompressionCodecName.SNAPPY,
              CompressionCodecName.GZIP,
              CompressionCodecName.ZSTD,
              CompressionCodecName.LZ4_RAW)) {
        out.add(Arguments.of(v, codec, true, false));
      }
      out.add(Arguments.of(v, CompressionCodecName.SNAPPY, false, false));
      out.add(Arguments.of(v, CompressionCodecName.UNCOMPRESSED, false, true));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} dictionary={2} byteStreamSplit={3}")
  @MethodSource("writerMatrix")
  void everyTypeReadsAsParquetMrReadsIt(
      WriterVersion version, CompressionCodecName codec, boolean dictionary, boolean bss)
      throws Exception {
    List<TestColumn> columns = TestColumn.all();
    List<Object[]> rows = TestFiles.rows(columns, 3000, 0.2, 42);
    Path file =
        TestFiles.write(
            dir.resolve("all.parquet"),
            columns,
            rows,
            TestFiles.Settings.defaults()
                .with(version)
                .with(codec)
                .dictionary(dictionary, 1 << 20)
                .byteStreamSplit(bss)
                .pages(4096, 1100));
    assertThat(TestFiles.footer(file).getBlocks()).hasSizeGreaterThan(1);
    Set<Encoding> used = new HashSet<>();
    TestFiles.footer(file)
        .getBlocks()
        .forEach(b -> b.getColumns().forEach(c -> used.addAll(c.getEncodings())));
    if (bss) {
      assertThat(used).contains(Encoding.BYTE_STREAM_SPLIT);
    } else if (version == WriterVersion.PARQUET_2_0 && !dictionary) {
      assertThat(used)
          .contains(Encoding.DELTA_BINARY_PACKED, Encoding.DELTA_BYTE_ARRAY, Encoding.RLE);
    } else if (dictionary) {
      assertThat(used).containsAnyOf(Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY);
    }
    List<List<Object>> expected = TestFiles.oracle(file, columns);
    assertThat(TestFiles.readAll(file, TestFiles.names(columns), allocator, options(64 << 10, 700)))
        .containsExactlyElementsOf(expected);
  }

  @Test
  void dictionaryFallbackInTheMiddleOfAChunk() throws Exception {
    List<TestColumn> columns =
        TestColumn.all().stream()
            .filter(c -> List.of("s", "i64", "d", "dec_flba", "int96").contains(c.name()))
            .toList();
    for (WriterVersion v : WriterVersion.values()) {
      List<Object[]> rows = TestFiles.rows(columns, 5000, 0.1, 7);
      Path file =
          TestFiles.write(
              dir.resolve("fallback-" + v + ".parquet"),
              columns,
              rows,
              TestFiles.Settings.defaults().with(v).dictionary(true, 2048).pages(1024, 10_000));
      ParquetMetadata footer = TestFiles.footer(file);
      for (ColumnChunkMetaData chunk : footer.getBlocks().get(0).getColumns()) {
        // parquet-mr dictionary-encodes FIXED_LEN_BYTE_ARRAY only in v2 files.
        if (!List.of("s", "i64", "d").contains(chunk.getPath().toDotString())) {
          continue;
        }
        assertThat(chunk.getEncodings())
            .as("chunk %s has dictionary and non-dictionary pages", chunk.getPath())
            .containsAnyOf(Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY)
            .containsAnyOf(Encoding.PLAIN, Encoding.DELTA_BINARY_PACKED, Encoding.DELTA_BYTE_ARRAY);
      }
      assertThat(
              TestFiles.readAll(file, TestFiles.names(columns), allocator, options(1 << 20, 999)))
          .containsExactlyElementsOf(TestFiles.oracle(file, columns));
    }
  }

  @Test
  void pagesOfAllNullsAndColumnsWithoutValues() throws Exception {
    List<TestColumn> columns = TestColumn.all();
    List<Object[]> rows = new ArrayList<>(TestFiles.rows(columns, 2500, 1.0, 1));
    rows.addAll(TestFiles.rows(columns, 500, 0.5, 2));
    rows.addAll(TestFiles.rows(columns, 800, 1.0, 3));
    for (WriterVersion v : WriterVersion.values()) {
      Path file =
          TestFiles.write(
              dir.resolve("nulls-" + v + ".parquet"),
              columns,
              rows,
              TestFiles.Settings.defaults().with(v).pages(1024, 100_000));
      assertThat(
              TestFiles.readAll(file, TestFiles.names(columns), allocator, options(1 << 20, 1000)))
          .containsExactlyElementsOf(TestFiles.oracle(file, columns));
    }
  }

  @Test
  void oneValueDictionariesHaveZeroBitIds() throws Exception {
    List<TestColumn> columns =
        List.of(
            TestColumn.of(
                "one",
                org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT96,
                null,
                r -> new org.apache.parquet.example.data.simple.NanoTime(2_460_000, 5_000L)),
            TestColumn.of(
                "same",
                org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY,
                org.apache.parquet.schema.LogicalTypeAnnotation.stringType(),
                r -> org.apache.parquet.io.api.Binary.fromString("x")));
    for (WriterVersion v : WriterVersion.values()) {
      Path file =
          TestFiles.write(
              dir.resolve("one-" + v + ".parquet"),
              columns,
              TestFiles.rows(columns, 700, 0.3, 4),
              TestFiles.Settings.defaults().with(v));
      assertThat(TestFiles.readAll(file, TestFiles.names(columns), allocator, options(1 << 20, 99)))
          .containsExactlyElementsOf(TestFiles.oracle(file, columns));
    }
  }

  @Test
  void aFileWithoutRowsGivesNoBatches() throws Exception {
    List<TestColumn> columns = TestColumn.all();
    Path file =
        TestFiles.write(
            dir.resolve("empty.parquet"), columns, List.of(), TestFiles.Settings.defaults());
    ParquetMetadata footer = TestFiles.footer(file);
    try (ParquetBatchReader r =
        ParquetBatchReader.open(
            TestFiles.input(file),
            footer,
            TestFiles.allRowGroups(footer),
            TestFiles.names(columns),
            allocator,
            options(1 << 20, 100))) {
      assertThat(r.next()).isNull();
      assertThat(r.next()).isNull();
      assertThat(r.metrics().rowsRead()).isZero();
      assertThat(r.schema().getFields()).hasSize(columns.size());
    }
  }

  @Test
  void batchesAreCutByBytesAndRowsAndSpanRowGroups() throws Exception {
    List<TestColumn> columns =
        TestColumn.all().stream().filter(c -> List.of("i64", "s").contains(c.name())).toList();
    Path file =
        TestFiles.write(
            dir.resolve("batches.parquet"),
            columns,
            TestFiles.rows(columns, 10_000, 0.0, 5),
            TestFiles.Settings.defaults().pages(2048, 300));
    ParquetMetadata footer = TestFiles.footer(file);
    List<Integer> sizes = new ArrayList<>();
    try (ParquetBatchReader r =
        ParquetBatchReader.open(
            TestFiles.input(file),
            footer,
            TestFiles.allRowGroups(footer),
            TestFiles.names(columns),
            allocator,
            options(64 << 10, 5000))) {
      VectorSchemaRoot b;
      while ((b = r.next()) != null) {
        sizes.add(b.getRowCount());
        b.close();
      }
      assertThat(r.metrics().rowGroupsRead()).isEqualTo(footer.getBlocks().size());
      assertThat(r.metrics().bytesRead()).isPositive();
    }
    // 64 KiB over ~8 + ~(avg string + 4) bytes a row: well under 5000 rows, more than a row group.
    assertThat(sizes.get(1)).isGreaterThan(300).isLessThan(5000);
    assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(10_000);
  }

  @Test
  void chosenRowGroupsAndColumnsOnlyInRequestedOrder() throws Exception {
    List<TestColumn> columns = TestColumn.all();
    Path file =
        TestFiles.write(
            dir.resolve("pick.parquet"),
            columns,
            TestFiles.rows(columns, 2000, 0.3, 9),
            TestFiles.Settings.defaults().pages(1024, 500));
    ParquetMetadata footer = TestFiles.footer(file);
    List<List<Object>> all = TestFiles.oracle(file, columns);
    List<String> names = List.of("s", "i32", "dec_bin");
    List<Integer> idx = names.stream().map(n -> TestFiles.names(columns).indexOf(n)).toList();
    List<List<Object>> expected = new ArrayList<>();
    for (int rg : List.of(3, 1)) {
      for (int row = rg * 500; row < rg * 500 + 500; row++) {
        List<Object> full = all.get(row);
        expected.add(idx.stream().map(full::get).toList());
      }
    }
    List<List<Object>> actual = new ArrayList<>();
    try (ParquetBatchReader r =
        ParquetBatchReader.open(
            TestFiles.input(file),
            footer,
            List.of(3, 1),
            names,
            allocator,
            options(1 << 20, 333))) {
      VectorSchemaRoot next;
      while ((next = r.next()) != null) {
        try (VectorSchemaRoot b = next) {
          for (int i = 0; i < b.getRowCount(); i++) {
            List<Object> row = new ArrayList<>();
            for (int c = 0; c < names.size(); c++) {
              row.add(TestColumn.actual(b.getVector(c), i));
            }
            actual.add(row);
          }
        }
      }
    }
    assertThat(actual).containsExactlyElementsOf(expected);
  }

  @Test
  void closingMidFileFreesEverything() throws Exception {
    List<TestColumn> columns = TestColumn.all();
    Path file =
        TestFiles.write(
            dir.resolve("mid.parquet"),
            columns,
            TestFiles.rows(columns, 3000, 0.3, 11),
            TestFiles.Settings.defaults().pages(1024, 1000));
    ParquetMetadata footer = TestFiles.footer(file);
    try (ParquetBatchReader r =
        ParquetBatchReader.open(
            TestFiles.input(file),
            footer,
            TestFiles.allRowGroups(footer),
            TestFiles.names(columns),
            allocator,
            options(1 << 20, 400))) {
      r.next().close();
      r.next().close();
    }
    assertThat(allocator.getAllocatedMemory()).isZero();
  }
}
