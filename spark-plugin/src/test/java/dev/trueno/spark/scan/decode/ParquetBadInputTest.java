package dev.trueno.spark.scan.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken files fail with an error naming the file (and column and row group) and leak nothing. */
class ParquetBadInputTest {
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

  private static final DecodeOptions OPTIONS =
      new DecodeOptions(
          1 << 20, 10_000, ZoneId.of("UTC"), RebaseMode.CORRECTED, RebaseMode.CORRECTED);

  private Path goodFile(String name, CompressionCodecName codec) throws Exception {
    List<TestColumn> columns =
        TestColumn.all().stream()
            .filter(c -> List.of("i64", "s_lowcard").contains(c.name()))
            .toList();
    return TestFiles.write(
        dir.resolve(name),
        columns,
        TestFiles.rows(columns, 5000, 0.1, 3),
        TestFiles.Settings.defaults().with(codec));
  }

  @Test
  void wrongMagicNamesTheFile() throws Exception {
    Path file = goodFile("magic.parquet", CompressionCodecName.UNCOMPRESSED);
    byte[] bytes = Files.readAllBytes(file);
    System.arraycopy("NOPE".getBytes(), 0, bytes, bytes.length - 4, 4);
    Files.write(file, bytes);
    assertThatThrownBy(() -> ParquetBatchReader.readFooter(TestFiles.input(file)))
        .isInstanceOf(ParquetDecodeException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("bad footer");
  }

  @Test
  void truncatedFooterNamesTheFile() throws Exception {
    Path file = goodFile("truncated.parquet", CompressionCodecName.UNCOMPRESSED);
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 30));
    assertThatThrownBy(() -> ParquetBatchReader.readFooter(TestFiles.input(file)))
        .isInstanceOf(ParquetDecodeException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void emptyAndNonParquetFilesNameTheFile() throws Exception {
    Path empty = Files.createFile(dir.resolve("zero.parquet"));
    Path text = Files.writeString(dir.resolve("text.parquet"), "a,b,c\n1,2,3\n");
    for (Path file : List.of(empty, text)) {
      assertThatThrownBy(() -> ParquetBatchReader.readFooter(TestFiles.input(file)))
          .isInstanceOf(ParquetDecodeException.class)
          .hasMessageContaining(file.toString());
    }
  }

  @Test
  void corruptPageHeaderNamesFileAndRowGroup() throws Exception {
    Path file = goodFile("header.parquet", CompressionCodecName.SNAPPY);
    ParquetMetadata footer = TestFiles.footer(file);
    ColumnChunkMetaData chunk = footer.getBlocks().get(0).getColumns().get(0);
    byte[] bytes = Files.readAllBytes(file);
    Arrays.fill(
        bytes, (int) chunk.getStartingPos(), (int) chunk.getStartingPos() + 12, (byte) 0xff);
    Files.write(file, bytes);
    assertThatThrownBy(() -> readAll(file, footer))
        .isInstanceOf(UncheckedIOException.class)
        .hasCauseInstanceOf(ParquetDecodeException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("row group 0");
  }

  @Test
  void corruptCompressedPageNamesFileColumnAndRowGroup() throws Exception {
    Path file = goodFile("snappy.parquet", CompressionCodecName.SNAPPY);
    ParquetMetadata footer = TestFiles.footer(file);
    ColumnChunkMetaData chunk = footer.getBlocks().get(0).getColumns().get(0);
    byte[] bytes = Files.readAllBytes(file);
    int pageStart = (int) chunk.getFirstDataPageOffset();
    ByteArrayInputStream in = new ByteArrayInputStream(bytes, pageStart, bytes.length - pageStart);
    Util.readPageHeader(in);
    int dataStart = bytes.length - in.available();
    // The snappy preamble (uncompressed length) and first tag: a wrong length must be caught.
    Arrays.fill(bytes, dataStart, dataStart + 6, (byte) 0xff);
    Files.write(file, bytes);
    assertThatThrownBy(() -> readAll(file, footer))
        .isInstanceOf(UncheckedIOException.class)
        .hasCauseInstanceOf(ParquetDecodeException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("row group 0");
  }

  @Test
  void corruptDictionaryIdsNameFileColumnAndRowGroup() throws Exception {
    // A required dictionary-encoded column: the page's values start with the ids' bit width.
    MessageType schema = new MessageType("t", Types.required(PrimitiveTypeName.INT64).named("k"));
    Path file = dir.resolve("ids.parquet");
    TestColumn k =
        new TestColumn("k", schema.getType(0).asPrimitiveType(), r -> (long) r.nextInt(5));
    TestFiles.write(
        file, List.of(k), TestFiles.rows(List.of(k), 1000, 0, 1), TestFiles.Settings.defaults());
    ParquetMetadata footer = TestFiles.footer(file);
    ColumnChunkMetaData chunk = footer.getBlocks().get(0).getColumns().get(0);
    byte[] bytes = Files.readAllBytes(file);
    int pageStart = (int) chunk.getFirstDataPageOffset();
    ByteArrayInputStream in = new ByteArrayInputStream(bytes, pageStart, bytes.length - pageStart);
    Util.readPageHeader(in);
    int dataStart = bytes.length - in.available();
    bytes[dataStart] = 30;
    Files.write(file, bytes);
    assertThatThrownBy(() -> readAll(file, footer))
        .isInstanceOf(UncheckedIOException.class)
        .hasCauseInstanceOf(ParquetDecodeException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("column k")
        .hasMessageContaining("row group 0");
  }

  @Test
  void nestedColumnsAreRefusedWithAReason() throws Exception {
    MessageType schema =
        Types.buildMessage()
            .optionalGroup()
            .optional(PrimitiveTypeName.INT32)
            .named("x")
            .named("point")
            .named("t");
    assertThat(ParquetArrowSchemas.unsupportedReason(schema.getType("point")))
        .contains("nested type");
    Path file = goodFile("plain.parquet", CompressionCodecName.UNCOMPRESSED);
    ParquetMetadata footer = TestFiles.footer(file);
    ParquetMetadata nested =
        new ParquetMetadata(
            new org.apache.parquet.hadoop.metadata.FileMetaData(schema, java.util.Map.of(), "test"),
            footer.getBlocks());
    assertThatThrownBy(
            () ->
                ParquetBatchReader.open(
                    TestFiles.input(file),
                    nested,
                    List.of(0),
                    List.of("point"),
                    allocator,
                    OPTIONS))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("nested type")
        .satisfies(e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.UNSUPPORTED));
  }

  @Test
  void missingColumnIsNamed() throws Exception {
    Path file = goodFile("missing.parquet", CompressionCodecName.UNCOMPRESSED);
    ParquetMetadata footer = TestFiles.footer(file);
    assertThatThrownBy(
            () ->
                ParquetBatchReader.open(
                    TestFiles.input(file), footer, List.of(0), List.of("nope"), allocator, OPTIONS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("no column nope");
  }

  private void readAll(Path file, ParquetMetadata footer) {
    try (ParquetBatchReader r =
        ParquetBatchReader.open(
            TestFiles.input(file),
            footer,
            TestFiles.allRowGroups(footer),
            footer.getFileMetaData().getSchema().getFields().stream()
                .map(t -> t.getName())
                .toList(),
            allocator,
            OPTIONS)) {
      VectorSchemaRoot b;
      while ((b = r.next()) != null) {
        b.close();
      }
    }
  }
}
