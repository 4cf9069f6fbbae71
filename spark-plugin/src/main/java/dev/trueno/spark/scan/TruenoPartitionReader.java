package dev.trueno.spark.scan;

import dev.trueno.core.error.TruenoException;
import dev.trueno.spark.exec.ArrowMemory;
import dev.trueno.spark.scan.decode.AncientDateTimeException;
import dev.trueno.spark.scan.decode.DecodeOptions;
import dev.trueno.spark.scan.decode.ParquetArrowSchemas;
import dev.trueno.spark.scan.decode.ParquetBatchReader;
import dev.trueno.spark.scan.decode.RebaseMode;
import dev.trueno.spark.scan.decode.ScanMetrics;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.RebaseDateTime;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.execution.arrow.ArrowWriter;
import org.apache.spark.sql.execution.datasources.DataSourceUtils$;
import org.apache.spark.sql.execution.datasources.PartitionedFile;
import org.apache.spark.sql.execution.datasources.SchemaColumnConvertNotSupportedException;
import org.apache.spark.sql.execution.datasources.v2.FileDataSourceV2$;
import org.apache.spark.sql.util.ArrowUtils;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the splits of one task as Arrow-backed {@link ColumnarBatch}es: the decoder's vectors for
 * the columns in each file, null vectors for columns a file lacks, and constant vectors for
 * partition columns. Each batch is valid until the next call to {@link #next()}, which frees it.
 *
 * <p>All memory comes from one child allocator of the JVM's Arrow root, limited by {@code
 * spark.trueno.memory.taskBytes} and closed with the reader (also when the task fails or is
 * killed), so a leak fails the task with Arrow's report.
 */
final class TruenoPartitionReader implements PartitionReader<ColumnarBatch> {
  private static final Logger LOG = LoggerFactory.getLogger(TruenoPartitionReader.class);

  private final ReadSettings settings;
  private final Configuration hadoopConf;
  private final PartitionedFile[] files;
  private final BufferAllocator allocator;
  private int nextFile;

  private PartitionedFile file;
  private ParquetBatchReader decoder;

  /** Per output column: its position in the decoder's batch, or -1 (partition or missing). */
  private int[] decoded;

  private VectorSchemaRoot decodedRoot;
  private final List<FieldVector> extra = new ArrayList<>();
  private ColumnarBatch batch;
  private boolean closed;

  private long filesRead;
  private long rowGroupsSkipped;
  private long rowGroupsRead;
  private long bytesRead;
  private long decodeNanos;

  TruenoPartitionReader(
      ReadSettings settings, Configuration hadoopConf, PartitionedFile[] files, long taskAttempt) {
    this.settings = settings;
    this.hadoopConf = hadoopConf;
    this.files = files;
    this.allocator = ArrowMemory.forTask("trueno-scan", taskAttempt, settings.taskMemoryBytes());
  }

  @Override
  public boolean next() throws IOException {
    releaseBatch();
    while (true) {
      if (decoder == null && !openNextFile()) {
        return false;
      }
      VectorSchemaRoot root;
      try {
        root = decoder.next();
      } catch (RuntimeException e) {
        if (!skippable(e)) {
          throw readError(e);
        }
        LOG.warn(
            "Skipped the rest of the corrupted file {} (ignoreCorruptFiles is on)",
            file.filePath(),
            e);
        root = null;
      }
      if (root == null) {
        finishFile();
        continue;
      }
      if (root.getRowCount() == 0) {
        root.close();
        continue;
      }
      decodedRoot = root;
      batch = assemble(root);
      return true;
    }
  }

  @Override
  public ColumnarBatch get() {
    return batch;
  }

  /**
   * Opens the next file that has row groups in this split; false when none is left. Missing and
   * unreadable files are skipped when {@code ignoreMissingFiles} / {@code ignoreCorruptFiles} allow
   * it, as Spark's file scans do.
   */
  private boolean openNextFile() throws IOException {
    while (nextFile < files.length) {
      file = files[nextFile++];
      Path path = file.toPath();
      try {
        InputFile input = HadoopInputFile.fromPath(path, hadoopConf);
        ParquetMetadata footer;
        try (ParquetFileReader reader = ParquetFileReader.open(input)) {
          footer = reader.getFooter();
        }
        Map<String, String> keyValues = footer.getFileMetaData().getKeyValueMetaData();
        RebaseDateTime.RebaseSpec datetime =
            DataSourceUtils$.MODULE$.datetimeRebaseSpec(
                keyValues::get, settings.datetimeRebaseMode());
        RebaseDateTime.RebaseSpec int96 =
            DataSourceUtils$.MODULE$.int96RebaseSpec(keyValues::get, settings.int96RebaseMode());
        RowGroupSelection.Result selection =
            RowGroupSelection.select(footer, file.start(), file.length(), settings, datetime);
        rowGroupsSkipped += selection.skipped();
        if (selection.rowGroups().isEmpty()) {
          continue;
        }
        List<String> requested = resolveColumns(footer.getFileMetaData().getSchema());
        DecodeOptions options =
            new DecodeOptions(
                settings.batchBytes(),
                settings.maxRows(),
                ZoneId.of(settings.sessionZone(), ZoneId.SHORT_IDS),
                RebaseMode.valueOf(datetime.mode().toString()),
                RebaseMode.valueOf(int96.mode().toString()));
        decoder =
            ParquetBatchReader.open(
                input, footer, selection.rowGroups(), requested, allocator, options);
        filesRead++;
        return true;
      } catch (FileNotFoundException e) {
        if (!settings.ignoreMissingFiles()) {
          throw readError(e);
        }
        LOG.warn("Skipped missing file {} (ignoreMissingFiles is on)", path, e);
      } catch (IOException | RuntimeException e) {
        if (!skippable(e)) {
          throw readError(e);
        }
        LOG.warn("Skipped the corrupted file {} (ignoreCorruptFiles is on)", path, e);
      }
    }
    return false;
  }

  /**
   * Whether {@code ignoreCorruptFiles} lets this failure skip the rest of the file, as Spark's file
   * scans skip any runtime or I/O failure of a file. Failures that say nothing about the file are
   * never skipped: Arrow running out of the task's memory, and columns the Trueno scan cannot read
   * (which Spark's reader might): skipping those would silently drop rows Spark returns.
   */
  private boolean skippable(Exception e) {
    return settings.ignoreCorruptFiles()
        && !(e instanceof OutOfMemoryException)
        && !(e instanceof UnsupportedColumnException)
        && !(e instanceof TruenoException);
  }

  /**
   * Spark's error for a failure reading the current file, thrown as Spark's own scans throw it
   * (often a checked SparkException), so callers see the same class and condition: FAILED_READ_FILE
   * naming the file (FILE_NOT_EXIST for a missing file, PARQUET_COLUMN_DATA_TYPE_MISMATCH for a
   * column of another type, NO_HINT otherwise, with the decoder's message naming the column as the
   * cause), or Spark's SparkUpgradeException for ancient dates under rebase mode EXCEPTION.
   * Failures that are not about the file (Arrow memory, unsupported columns) pass through as they
   * are.
   */
  private RuntimeException readError(Exception e) {
    if (e instanceof OutOfMemoryException
        || e instanceof UnsupportedColumnException
        || e instanceof TruenoException) {
      throw (RuntimeException) e;
    }
    if (e instanceof AncientDateTimeException ancient) {
      throw DataSourceUtils$.MODULE$.newRebaseExceptionInRead(ancient.format());
    }
    Throwable cause =
        e instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : e;
    String path = file.urlEncodedPath();
    throw TruenoPartitionReader.<RuntimeException>sneaky(
        FileDataSourceV2$.MODULE$.attachFilePath(() -> path, cause));
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> T sneaky(Throwable t) throws T {
    throw (T) t;
  }

  /**
   * Matches the output's data columns to this file's columns (by exact name, or ignoring case
   * unless {@code spark.sql.caseSensitive}), checks their types, and returns the file's names of
   * the columns it has, in output order.
   */
  private List<String> resolveColumns(MessageType schema) {
    List<ReadColumn> columns = settings.columns();
    decoded = new int[columns.size()];
    List<String> requested = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      ReadColumn c = columns.get(i);
      decoded[i] = -1;
      if (c.isPartition()) {
        continue;
      }
      Type type = find(schema, c.name());
      if (type == null) {
        continue;
      }
      String reason = ParquetArrowSchemas.unsupportedReason(type);
      if (reason != null) {
        throw new UnsupportedColumnException(
            "The Trueno scan cannot read column "
                + c.name()
                + " of "
                + file.filePath()
                + ": "
                + reason
                + ". Set spark.trueno.scan.enabled=false to read it with Spark's reader.");
      }
      Field field = ParquetArrowSchemas.arrowField(type);
      ArrowType expected = ArrowUtils.toArrowType(c.type(), settings.sessionZone(), false);
      if (!compatible(field.getType(), expected)) {
        // What Spark's vectorized reader throws for a column of another type (which Spark's scans
        // turn into FAILED_READ_FILE.PARQUET_COLUMN_DATA_TYPE_MISMATCH naming the file); the
        // widenings Spark's reader applies (int to bigint, float to double, ...) are not done here.
        throw new SchemaColumnConvertNotSupportedException(
            "[" + type.getName() + "]",
            type.isPrimitive()
                ? type.asPrimitiveType().getPrimitiveTypeName().toString()
                : type.toString(),
            c.type().catalogString());
      }
      decoded[i] = requested.size();
      requested.add(type.getName());
    }
    return requested;
  }

  private Type find(MessageType schema, String name) {
    if (schema.containsField(name)) {
      return schema.getType(name);
    }
    if (settings.caseSensitive()) {
      return null;
    }
    Type match = null;
    for (Type t : schema.getFields()) {
      if (t.getName().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        if (match != null) {
          throw new UnsupportedColumnException(
              "Found duplicate field(s) "
                  + name
                  + " in case-insensitive mode in "
                  + file.filePath()
                  + ": "
                  + match.getName()
                  + ", "
                  + t.getName());
        }
        match = t;
      }
    }
    return match;
  }

  /**
   * Whether Spark's {@link ArrowColumnVector} reads the decoder's vector as the expected type: the
   * same kind, width and scale. Time zones of timestamps do not matter (values are UTC microseconds
   * either way).
   */
  private static boolean compatible(ArrowType actual, ArrowType expected) {
    if (actual instanceof ArrowType.Timestamp a && expected instanceof ArrowType.Timestamp e) {
      return a.getUnit() == e.getUnit();
    }
    return actual.equals(expected);
  }

  private ColumnarBatch assemble(VectorSchemaRoot root) {
    int rows = root.getRowCount();
    List<ReadColumn> columns = settings.columns();
    ColumnVector[] vectors = new ColumnVector[columns.size()];
    List<Integer> partitionColumns = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      ReadColumn c = columns.get(i);
      if (decoded[i] >= 0) {
        vectors[i] = DecimalColumnVectors.of(root.getVector(decoded[i]));
      } else if (c.isPartition()) {
        partitionColumns.add(i);
      } else {
        vectors[i] = new ArrowColumnVector(nulls(c, rows));
      }
    }
    if (!partitionColumns.isEmpty()) {
      writeConstants(partitionColumns, rows, vectors);
    }
    return new ColumnarBatch(vectors, rows);
  }

  private FieldVector nulls(ReadColumn c, int rows) {
    FieldVector v =
        ArrowUtils.toArrowField(c.name(), c.type(), true, settings.sessionZone(), false)
            .createVector(allocator);
    extra.add(v);
    v.setInitialCapacity(Math.max(rows, 1));
    v.allocateNew();
    v.setValueCount(rows);
    return v;
  }

  /**
   * Writes the file's partition values into Arrow vectors, so that the whole batch is Arrow and
   * operators above use it in place.
   */
  private void writeConstants(List<Integer> positions, int rows, ColumnVector[] vectors) {
    List<Field> fields = new ArrayList<>();
    InternalRow values = file.partitionValues();
    Object[] row = new Object[positions.size()];
    for (int k = 0; k < positions.size(); k++) {
      ReadColumn c = settings.columns().get(positions.get(k));
      fields.add(ArrowUtils.toArrowField(c.name(), c.type(), true, settings.sessionZone(), false));
      row[k] =
          values.isNullAt(c.partitionIndex()) ? null : values.get(c.partitionIndex(), c.type());
    }
    VectorSchemaRoot constants =
        VectorSchemaRoot.create(new org.apache.arrow.vector.types.pojo.Schema(fields), allocator);
    extra.addAll(constants.getFieldVectors());
    ArrowWriter writer = ArrowWriter.create(constants);
    InternalRow constant = new GenericInternalRow(row);
    for (int r = 0; r < rows; r++) {
      writer.write(constant);
    }
    writer.finish();
    for (int k = 0; k < positions.size(); k++) {
      vectors[positions.get(k)] = new ArrowColumnVector(constants.getVector(k));
    }
  }

  private void releaseBatch() {
    batch = null;
    if (decodedRoot != null) {
      decodedRoot.close();
      decodedRoot = null;
    }
    for (FieldVector v : extra) {
      v.close();
    }
    extra.clear();
  }

  private void finishFile() {
    ScanMetrics m = decoder.metrics();
    rowGroupsRead += m.rowGroupsRead();
    bytesRead += m.bytesRead();
    decodeNanos += m.decodeNanos();
    decoder.close();
    decoder = null;
  }

  @Override
  public CustomTaskMetric[] currentMetricsValues() {
    ScanMetrics open = decoder == null ? null : decoder.metrics();
    return new CustomTaskMetric[] {
      new TaskMetric(TruenoScanMetrics.FILES, filesRead),
      new TaskMetric(
          TruenoScanMetrics.ROW_GROUPS_READ,
          rowGroupsRead + (open == null ? 0 : open.rowGroupsRead())),
      new TaskMetric(TruenoScanMetrics.ROW_GROUPS_SKIPPED, rowGroupsSkipped),
      new TaskMetric(
          TruenoScanMetrics.BYTES_READ, bytesRead + (open == null ? 0 : open.bytesRead())),
      new TaskMetric(
          TruenoScanMetrics.DECODE_TIME, decodeNanos + (open == null ? 0 : open.decodeNanos()))
    };
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      releaseBatch();
      if (decoder != null) {
        finishFile();
      }
    } finally {
      allocator.close();
    }
  }

  /** A column this scan cannot serve: never skipped as a corrupt file. */
  static final class UnsupportedColumnException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    UnsupportedColumnException(String message) {
      super(message);
    }
  }
}
