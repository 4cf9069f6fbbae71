package dev.trueno.spark.scan.decode;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Reads chosen row groups of one file, only the requested columns, into Arrow batches.
 *
 * <p>parquet-mr reads the column chunks and pages and decompresses them; this class and its column
 * readers decode the pages straight into Arrow vectors. A batch may span row groups: its row count
 * comes from {@link DecodeOptions#batchBytes()} over the expected bytes per row (fixed widths
 * exactly, strings and binaries by their running average), capped by {@link
 * DecodeOptions#maxRows()} and by the rows left.
 *
 * <p>Failures: a file that cannot be read throws {@link UncheckedIOException} wrapping a {@link
 * ParquetDecodeException} that names the file, column and row group; ancient dates under rebase
 * mode EXCEPTION throw {@link AncientDateTimeException}; Arrow's {@link OutOfMemoryException}
 * passes through. Every failure closes the batch being built, so nothing leaks.
 */
public final class ParquetBatchReader implements AutoCloseable {
  private final String file;
  private final ParquetFileReader reader;
  private final ParquetMetadata footer;
  private final List<Integer> rowGroups;
  private final List<ColumnReader> columns;
  private final Schema schema;
  private final DecodeOptions options;
  private final BufferAllocator allocator;

  private int nextRowGroup;
  private int currentRowGroup = -1;
  private long rowGroupRowsLeft;
  private long rowsLeftInFile;
  private PageReadStore pages;
  private ColumnReader currentColumn;
  private boolean done;
  private boolean closed;

  private long rowGroupsRead;
  private long rowsRead;
  private long bytesRead;
  private long decodeNanos;

  private ParquetBatchReader(
      String file,
      ParquetFileReader reader,
      ParquetMetadata footer,
      List<Integer> rowGroups,
      List<ColumnReader> columns,
      Schema schema,
      BufferAllocator allocator,
      DecodeOptions options) {
    this.file = file;
    this.allocator = allocator;
    this.reader = reader;
    this.footer = footer;
    this.rowGroups = rowGroups;
    this.columns = columns;
    this.schema = schema;
    this.options = options;
    for (int rg : rowGroups) {
      rowsLeftInFile += footer.getBlocks().get(rg).getRowCount();
    }
  }

  /**
   * Opens a reader with parquet-mr's default read options (Hadoop codecs, heap buffers).
   *
   * @param file the file, named in every error by its {@code toString()}
   * @param footer its footer, e.g. from {@link #readFooter}
   * @param rowGroups indexes into {@code footer.getBlocks()}, read in this order
   * @param requested top-level columns to read, by name as in the file (pruned schema order =
   *     output column order)
   * @throws TruenoException with {@link ErrorCode#UNSUPPORTED} when a requested column's type is
   *     not supported (nested, or a type Spark does not read), naming the reason
   * @throws IllegalArgumentException for a column the file lacks, a duplicate column or a row group
   *     index out of range
   * @throws UncheckedIOException wrapping {@link ParquetDecodeException} when the file cannot be
   *     opened
   */
  public static ParquetBatchReader open(
      InputFile file,
      ParquetMetadata footer,
      List<Integer> rowGroups,
      List<String> requested,
      BufferAllocator allocator,
      DecodeOptions options) {
    return open(
        file,
        footer,
        rowGroups,
        requested,
        allocator,
        options,
        ParquetReadOptions.builder().build());
  }

  /**
   * As {@link #open(InputFile, ParquetMetadata, List, List, BufferAllocator, DecodeOptions)}, with
   * parquet-mr read options (e.g. {@code HadoopReadOptions} built from the Hadoop conf).
   */
  public static ParquetBatchReader open(
      InputFile file,
      ParquetMetadata footer,
      List<Integer> rowGroups,
      List<String> requested,
      BufferAllocator allocator,
      DecodeOptions options,
      ParquetReadOptions readOptions) {
    String path = String.valueOf(file);
    MessageType fileSchema = footer.getFileMetaData().getSchema();
    int blocks = footer.getBlocks().size();
    for (int rg : rowGroups) {
      if (rg < 0 || rg >= blocks) {
        throw new IllegalArgumentException(
            "Cannot read parquet file "
                + path
                + ": row group "
                + rg
                + " out of range (the file has "
                + blocks
                + ")");
      }
    }
    Map<String, String> meta = footer.getFileMetaData().getKeyValueMetaData();
    DateTimeRebase.Spec datetime = DateTimeRebase.datetimeSpec(meta, options.datetimeRebase());
    DateTimeRebase.Spec int96 = DateTimeRebase.int96Spec(meta, options.int96Rebase());
    List<ColumnReader> columns = new ArrayList<>();
    List<Field> fields = new ArrayList<>();
    List<Type> projected = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String name : requested) {
      if (!seen.add(name)) {
        throw new IllegalArgumentException(
            "Cannot read parquet file " + path + ": column " + name + " requested twice");
      }
      if (!fileSchema.containsField(name)) {
        throw new IllegalArgumentException(
            "Cannot read parquet file " + path + ": it has no column " + name);
      }
      Type type = fileSchema.getType(name);
      String reason = ParquetArrowSchemas.unsupportedReason(type);
      if (reason != null) {
        throw new TruenoException(
            ErrorCode.UNSUPPORTED, "Cannot read parquet file " + path + " with Trueno: " + reason);
      }
      ColumnDescriptor descriptor = fileSchema.getColumnDescription(new String[] {name});
      columns.add(
          new ColumnReader(path, descriptor, ParquetArrowSchemas.kind(type), datetime, int96));
      fields.add(ParquetArrowSchemas.arrowField(type));
      projected.add(type);
    }
    ParquetFileReader reader;
    SeekableInputStream stream = null;
    try {
      stream = file.newStream();
      reader = new ParquetFileReader(file, footer, readOptions, stream);
      reader.setRequestedSchema(new MessageType(fileSchema.getName(), projected));
    } catch (IOException | RuntimeException e) {
      if (stream != null) {
        try {
          stream.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new UncheckedIOException(
          new ParquetDecodeException(path, null, -1, "cannot open it: " + e, e));
    }
    return new ParquetBatchReader(
        path,
        reader,
        footer,
        List.copyOf(rowGroups),
        columns,
        new Schema(fields),
        allocator,
        options);
  }

  /**
   * Reads a file's footer, turning parquet-mr's errors (not a Parquet file, truncated footer) into
   * a {@link ParquetDecodeException} that names the file.
   */
  public static ParquetMetadata readFooter(InputFile file) throws ParquetDecodeException {
    try (ParquetFileReader r = ParquetFileReader.open(file)) {
      return r.getFooter();
    } catch (IOException | RuntimeException e) {
      throw new ParquetDecodeException(String.valueOf(file), null, -1, "bad footer: " + e, e);
    }
  }

  /** The Arrow schema of the batches: the requested columns in order. */
  public Schema schema() {
    return schema;
  }

  /**
   * The next batch (a new root the caller closes), or null at the end. Columns in `requested`
   * order.
   */
  public VectorSchemaRoot next() {
    if (closed) {
      throw new IllegalStateException("reader of " + file + " is closed");
    }
    if (done) {
      return null;
    }
    long start = System.nanoTime();
    VectorSchemaRoot root = null;
    try {
      int target = targetRows();
      if (target == 0) {
        done = true;
        return null;
      }
      root = allocate(target);
      int rows = 0;
      while (rows < target) {
        if (rowGroupRowsLeft == 0) {
          if (!advanceRowGroup()) {
            break;
          }
          continue;
        }
        int take = (int) Math.min(target - rows, rowGroupRowsLeft);
        for (int i = 0; i < columns.size(); i++) {
          currentColumn = columns.get(i);
          currentColumn.read(root.getVector(i), rows, take);
        }
        currentColumn = null;
        rows += take;
        rowGroupRowsLeft -= take;
        rowsLeftInFile -= take;
      }
      if (rows == 0) {
        root.close();
        done = true;
        return null;
      }
      for (FieldVector v : root.getFieldVectors()) {
        if (v instanceof BaseVariableWidthVector vv) {
          vv.setLastSet(rows - 1);
        }
      }
      root.setRowCount(rows);
      rowsRead += rows;
      VectorSchemaRoot result = root;
      root = null;
      return result;
    } catch (AncientDateTimeException | OutOfMemoryException | TruenoException e) {
      done = true;
      throw e;
    } catch (IOException | RuntimeException e) {
      done = true;
      throw new UncheckedIOException(failure(e));
    } finally {
      if (root != null) {
        root.close();
      }
      currentColumn = null;
      decodeNanos += System.nanoTime() - start;
    }
  }

  private ParquetDecodeException failure(Exception e) {
    if (e instanceof UncheckedIOException u && u.getCause() instanceof ParquetDecodeException p) {
      return p;
    }
    String column = currentColumn == null ? null : currentColumn.name;
    String problem =
        e instanceof CorruptPageException
            ? e.getMessage()
            : e.getClass().getSimpleName() + ": " + e.getMessage();
    return new ParquetDecodeException(file, column, currentRowGroup, problem, e);
  }

  private int targetRows() {
    long left = rowsLeftInFile;
    if (left <= 0) {
      return 0;
    }
    double perRow = 0;
    for (ColumnReader c : columns) {
      perRow += c.estimatedValueBytes();
    }
    long rows = perRow <= 0 ? options.maxRows() : (long) (options.batchBytes() / perRow);
    rows = Math.max(1, Math.min(rows, options.maxRows()));
    return (int) Math.min(rows, left);
  }

  private VectorSchemaRoot allocate(int rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
    try {
      for (int i = 0; i < columns.size(); i++) {
        FieldVector v = root.getVector(i);
        if (v instanceof BaseVariableWidthVector vv) {
          long bytes = (long) Math.ceil(columns.get(i).averageVariableBytes() * rows * 1.1);
          vv.allocateNew(Math.max(64, Math.min(bytes, Integer.MAX_VALUE / 2)), rows);
        } else {
          v.setInitialCapacity(rows);
          v.allocateNew();
        }
      }
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private boolean advanceRowGroup() throws IOException {
    closePages();
    if (nextRowGroup >= rowGroups.size()) {
      return false;
    }
    int rg = rowGroups.get(nextRowGroup++);
    currentRowGroup = rg;
    BlockMetaData block = footer.getBlocks().get(rg);
    rowGroupRowsLeft = block.getRowCount();
    if (columns.isEmpty() || block.getRowCount() == 0) {
      rowGroupsRead++;
      return true;
    }
    pages = reader.readRowGroup(rg);
    if (pages == null) {
      throw new CorruptPageException("row group is missing");
    }
    if (pages.getRowCount() != block.getRowCount()) {
      throw new CorruptPageException(
          "row group has " + pages.getRowCount() + " rows, footer says " + block.getRowCount());
    }
    for (ColumnReader c : columns) {
      currentColumn = c;
      c.startRowGroup(pages.getPageReader(c.descriptor));
      ColumnChunkMetaData chunk = chunkOf(block, c.descriptor);
      if (chunk != null) {
        bytesRead += chunk.getTotalSize();
      }
    }
    currentColumn = null;
    rowGroupsRead++;
    return true;
  }

  private static ColumnChunkMetaData chunkOf(BlockMetaData block, ColumnDescriptor d) {
    for (ColumnChunkMetaData c : block.getColumns()) {
      if (c.getPath().equals(org.apache.parquet.hadoop.metadata.ColumnPath.get(d.getPath()))) {
        return c;
      }
    }
    return null;
  }

  private void closePages() {
    if (pages != null) {
      PageReadStore p = pages;
      pages = null;
      p.close();
    }
  }

  /** What this reader has done so far. */
  public ScanMetrics metrics() {
    return new ScanMetrics(rowGroupsRead, rowsRead, bytesRead, decodeNanos);
  }

  /**
   * Frees everything, also mid-file; batches already returned stay valid (the caller owns them).
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      closePages();
    } finally {
      try {
        reader.close();
      } catch (IOException e) {
        // Closing a read-only stream: nothing was lost, and the caller is already done.
      }
    }
  }
}
