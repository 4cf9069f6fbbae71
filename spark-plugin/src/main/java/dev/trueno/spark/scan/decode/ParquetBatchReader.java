package dev.trueno.spark.scan.decode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * STAND-IN (replaced by the real, vectorized decoder of the same name): decodes the requested flat
 * columns of some row groups into Arrow batches through parquet-mr's record reader, one value at a
 * time. Correct but slow; it exists only so the scan compiles and runs end to end until the real
 * decoder lands.
 */
public final class ParquetBatchReader implements AutoCloseable {
  private static final long JULIAN_DAY_OF_EPOCH = 2_440_588L;
  private static final long MICROS_PER_DAY = 86_400_000_000L;

  private final ParquetFileReader reader;
  private final ParquetMetadata footer;
  private final List<Integer> rowGroups;
  private final MessageType projection;
  private final List<Field> fields;
  private final BufferAllocator allocator;
  private final DecodeOptions options;
  private int nextGroup;
  private RecordReader<Group> records;
  private long remaining;
  private long rowGroupsRead;
  private long rowsRead;
  private long bytesRead;
  private long decodeNanos;

  private ParquetBatchReader(
      ParquetFileReader reader,
      ParquetMetadata footer,
      List<Integer> rowGroups,
      List<String> requested,
      BufferAllocator allocator,
      DecodeOptions options) {
    this.reader = reader;
    this.footer = footer;
    this.rowGroups = rowGroups;
    this.allocator = allocator;
    this.options = options;
    MessageType schema = footer.getFileMetaData().getSchema();
    List<Type> types = new ArrayList<>();
    fields = new ArrayList<>();
    for (String name : requested) {
      Type t = schema.getType(name);
      types.add(t);
      fields.add(ParquetArrowSchemas.arrowField(t));
    }
    projection = new MessageType(schema.getName(), types);
  }

  /** Opens a reader over {@code rowGroups} (indexes into {@code footer.getBlocks()}). */
  public static ParquetBatchReader open(
      InputFile file,
      ParquetMetadata footer,
      List<Integer> rowGroups,
      List<String> requested,
      BufferAllocator allocator,
      DecodeOptions options) {
    try {
      ParquetFileReader r = ParquetFileReader.open(file, ParquetReadOptions.builder().build());
      return new ParquetBatchReader(r, footer, rowGroups, requested, allocator, options);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open parquet file " + file, e);
    }
  }

  /** The next batch (a new root the caller closes), or null at the end. */
  public VectorSchemaRoot next() {
    long start = System.nanoTime();
    try {
      if (!advance()) {
        return null;
      }
      VectorSchemaRoot root =
          VectorSchemaRoot.create(new org.apache.arrow.vector.types.pojo.Schema(fields), allocator);
      root.allocateNew();
      int n = 0;
      long bytes = 0;
      while (n < options.maxRows() && bytes < options.batchBytes() && advance()) {
        Group g = records.read();
        remaining--;
        for (int c = 0; c < fields.size(); c++) {
          bytes += write(root.getVector(c), c, g, n);
        }
        n++;
      }
      root.setRowCount(n);
      rowsRead += n;
      return root;
    } finally {
      decodeNanos += System.nanoTime() - start;
    }
  }

  private boolean advance() {
    while (remaining == 0) {
      if (nextGroup >= rowGroups.size()) {
        return false;
      }
      int index = rowGroups.get(nextGroup++);
      try {
        PageReadStore pages = reader.readRowGroup(index);
        records =
            new ColumnIOFactory()
                .getColumnIO(projection, footer.getFileMetaData().getSchema())
                .getRecordReader(pages, new GroupRecordConverter(projection));
        remaining = pages.getRowCount();
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Cannot read row group " + index + " of " + reader.getFile(), e);
      }
      rowGroupsRead++;
      for (ColumnChunkMetaData c : footer.getBlocks().get(index).getColumns()) {
        if (projection.containsPath(c.getPath().toArray())) {
          bytesRead += c.getTotalSize();
        }
      }
    }
    return true;
  }

  private long write(FieldVector v, int c, Group g, int row) {
    if (g.getFieldRepetitionCount(c) == 0) {
      v.setNull(row);
      return 1;
    }
    PrimitiveType type = projection.getType(c).asPrimitiveType();
    LogicalTypeAnnotation a = type.getLogicalTypeAnnotation();
    if (v instanceof DecimalVector d) {
      var dec = (LogicalTypeAnnotation.DecimalLogicalTypeAnnotation) a;
      BigInteger unscaled =
          switch (type.getPrimitiveTypeName()) {
            case INT32 -> BigInteger.valueOf(g.getInteger(c, 0));
            case INT64 -> BigInteger.valueOf(g.getLong(c, 0));
            default -> new BigInteger(g.getBinary(c, 0).getBytes());
          };
      d.setSafe(row, new BigDecimal(unscaled, dec.getScale()));
      return 16;
    }
    if (v instanceof BitVector b) {
      b.setSafe(row, g.getBoolean(c, 0) ? 1 : 0);
    } else if (v instanceof TinyIntVector t) {
      t.setSafe(row, g.getInteger(c, 0));
    } else if (v instanceof SmallIntVector s) {
      s.setSafe(row, g.getInteger(c, 0));
    } else if (v instanceof IntVector i) {
      i.setSafe(row, g.getInteger(c, 0));
    } else if (v instanceof DateDayVector d) {
      d.setSafe(row, g.getInteger(c, 0));
    } else if (v instanceof BigIntVector l) {
      l.setSafe(row, g.getLong(c, 0));
    } else if (v instanceof Float4Vector f) {
      f.setSafe(row, g.getFloat(c, 0));
    } else if (v instanceof Float8Vector f) {
      f.setSafe(row, g.getDouble(c, 0));
    } else if (v instanceof TimeStampVector ts) {
      long micros;
      if (type.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT96) {
        ByteBuffer buf = g.getInt96(c, 0).toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long nanos = buf.getLong();
        long day = buf.getInt();
        micros = (day - JULIAN_DAY_OF_EPOCH) * MICROS_PER_DAY + nanos / 1000;
      } else {
        long raw = g.getLong(c, 0);
        var t = (LogicalTypeAnnotation.TimestampLogicalTypeAnnotation) a;
        micros = t.getUnit() == LogicalTypeAnnotation.TimeUnit.MILLIS ? raw * 1000 : raw;
      }
      ts.setSafe(row, micros);
    } else if (v instanceof BaseVariableWidthVector b) {
      Binary bin = g.getBinary(c, 0);
      byte[] bytes = bin.getBytes();
      b.setSafe(row, bytes);
      return bytes.length + 4;
    } else {
      throw new IllegalStateException("stand-in decoder cannot write " + v.getClass());
    }
    return 8;
  }

  /** What this reader has read so far. */
  public ScanMetrics metrics() {
    return new ScanMetrics(rowGroupsRead, rowsRead, bytesRead, decodeNanos);
  }

  @Override
  public void close() {
    try {
      reader.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
