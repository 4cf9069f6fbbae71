package dev.trueno.spark.scan.decode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/** Writes test files with parquet-mr, reads them with its record reader (the oracle) and ours. */
final class TestFiles {
  private TestFiles() {}

  /** How parquet-mr writes a file. */
  record Settings(
      WriterVersion version,
      CompressionCodecName codec,
      boolean dictionary,
      boolean byteStreamSplit,
      int pageSize,
      int dictionaryPageSize,
      int rowGroupRows,
      Map<String, String> metadata) {
    static Settings defaults() {
      return new Settings(
          WriterVersion.PARQUET_1_0,
          CompressionCodecName.UNCOMPRESSED,
          true,
          false,
          1 << 20,
          1 << 20,
          1_000_000,
          Map.of());
    }

    Settings with(WriterVersion v) {
      return new Settings(
          v,
          codec,
          dictionary,
          byteStreamSplit,
          pageSize,
          dictionaryPageSize,
          rowGroupRows,
          metadata);
    }

    Settings with(CompressionCodecName c) {
      return new Settings(
          version,
          c,
          dictionary,
          byteStreamSplit,
          pageSize,
          dictionaryPageSize,
          rowGroupRows,
          metadata);
    }

    Settings dictionary(boolean on, int pageBytes) {
      return new Settings(
          version, codec, on, byteStreamSplit, pageSize, pageBytes, rowGroupRows, metadata);
    }

    Settings byteStreamSplit(boolean on) {
      return new Settings(
          version, codec, dictionary, on, pageSize, dictionaryPageSize, rowGroupRows, metadata);
    }

    Settings pages(int bytes, int rowGroupRows) {
      return new Settings(
          version,
          codec,
          dictionary,
          byteStreamSplit,
          bytes,
          dictionaryPageSize,
          rowGroupRows,
          metadata);
    }

    Settings metadata(Map<String, String> m) {
      return new Settings(
          version,
          codec,
          dictionary,
          byteStreamSplit,
          pageSize,
          dictionaryPageSize,
          rowGroupRows,
          m);
    }
  }

  static MessageType schema(List<TestColumn> columns) {
    return new MessageType("test", columns.stream().map(c -> (Type) c.parquetType()).toList());
  }

  /** Random rows: each value null with probability {@code nullRate}. */
  static List<Object[]> rows(List<TestColumn> columns, int n, double nullRate, long seed) {
    Random r = new Random(seed);
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Object[] row = new Object[columns.size()];
      for (int c = 0; c < row.length; c++) {
        row[c] = r.nextDouble() < nullRate ? null : columns.get(c).gen().next(r);
      }
      rows.add(row);
    }
    return rows;
  }

  static Path write(Path file, List<TestColumn> columns, List<Object[]> rows, Settings s)
      throws IOException {
    MessageType schema = schema(columns);
    SimpleGroupFactory groups = new SimpleGroupFactory(schema);
    try (ParquetWriter<Group> w =
        ExampleParquetWriter.builder(new LocalOutputFile(file))
            .withType(schema)
            .withWriterVersion(s.version())
            .withCompressionCodec(s.codec())
            .withDictionaryEncoding(s.dictionary())
            .withByteStreamSplitEncoding(s.byteStreamSplit())
            .withPageSize(s.pageSize())
            .withDictionaryPageSize(s.dictionaryPageSize())
            .withRowGroupRowCountLimit(s.rowGroupRows())
            .withPageRowCountLimit(Math.max(1, Math.min(20_000, s.rowGroupRows())))
            .withExtraMetaData(s.metadata())
            .build()) {
      for (Object[] row : rows) {
        Group g = groups.newGroup();
        for (int c = 0; c < row.length; c++) {
          if (row[c] != null) {
            columns.get(c).write(g, row[c]);
          }
        }
        w.write(g);
      }
    }
    return file;
  }

  /** parquet-mr's own reading of every row, normalized as Spark reads it. */
  static List<List<Object>> oracle(Path file, List<TestColumn> columns) throws IOException {
    List<List<Object>> out = new ArrayList<>();
    try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file))) {
      MessageType schema = r.getFooter().getFileMetaData().getSchema();
      PageReadStore pages;
      while ((pages = r.readNextRowGroup()) != null) {
        RecordReader<Group> records =
            new ColumnIOFactory()
                .getColumnIO(schema)
                .getRecordReader(pages, new GroupRecordConverter(schema));
        for (long i = 0; i < pages.getRowCount(); i++) {
          Group g = records.read();
          out.add(columns.stream().map(c -> c.expected(g)).toList());
        }
      }
    }
    return out;
  }

  /**
   * The file as an {@code InputFile} that prints its path, as Hadoop's {@code HadoopInputFile} does
   * ({@code LocalInputFile} prints only its identity).
   */
  static InputFile input(Path file) {
    LocalInputFile local = new LocalInputFile(file);
    return new InputFile() {
      @Override
      public long getLength() throws IOException {
        return local.getLength();
      }

      @Override
      public SeekableInputStream newStream() throws IOException {
        return local.newStream();
      }

      @Override
      public String toString() {
        return file.toString();
      }
    };
  }

  static ParquetMetadata footer(Path file) throws IOException {
    return ParquetBatchReader.readFooter(input(file));
  }

  static List<Integer> allRowGroups(ParquetMetadata footer) {
    return IntStream.range(0, footer.getBlocks().size()).boxed().toList();
  }

  /** Our reading of all row groups; checks each batch's shape on the way. */
  static List<List<Object>> readAll(
      Path file, List<String> names, BufferAllocator allocator, DecodeOptions options)
      throws IOException {
    ParquetMetadata footer = footer(file);
    List<List<Object>> out = new ArrayList<>();
    try (ParquetBatchReader reader =
        ParquetBatchReader.open(
            input(file), footer, allRowGroups(footer), names, allocator, options)) {
      VectorSchemaRoot root;
      while ((root = reader.next()) != null) {
        try (VectorSchemaRoot batch = root) {
          if (batch.getRowCount() > options.maxRows() || batch.getRowCount() == 0) {
            throw new AssertionError("batch of " + batch.getRowCount() + " rows");
          }
          for (int i = 0; i < batch.getRowCount(); i++) {
            List<Object> row = new ArrayList<>();
            for (int c = 0; c < names.size(); c++) {
              row.add(TestColumn.actual(batch.getVector(c), i));
            }
            out.add(row);
          }
        }
      }
      if (reader.metrics().rowsRead() != out.size()) {
        throw new AssertionError("metrics say " + reader.metrics().rowsRead() + " rows");
      }
    }
    return out;
  }

  static List<String> names(List<TestColumn> columns) {
    return columns.stream().map(TestColumn::name).toList();
  }
}
