package dev.trueno.spark.scan;

import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.execution.datasources.FilePartition;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.util.SerializableConfiguration;
import org.apache.spark.util.TaskCompletionListener;

/** Creates, on an executor, the columnar reader of one split of the Trueno scan. */
final class TruenoReaderFactory implements PartitionReaderFactory {
  private static final long serialVersionUID = 1L;

  private final ReadSettings settings;
  private final Broadcast<SerializableConfiguration> hadoopConf;

  TruenoReaderFactory(ReadSettings settings, Broadcast<SerializableConfiguration> hadoopConf) {
    this.settings = settings;
    this.hadoopConf = hadoopConf;
  }

  @Override
  public boolean supportColumnarReads(InputPartition partition) {
    return true;
  }

  /** Never called: the scan reads columnar batches only (Spark adds the row conversion above). */
  @Override
  public PartitionReader<InternalRow> createReader(InputPartition partition) {
    throw new UnsupportedOperationException(
        "The Trueno scan produces columnar batches only; Spark asked it for rows");
  }

  @Override
  public PartitionReader<ColumnarBatch> createColumnarReader(InputPartition partition) {
    TaskContext ctx = TaskContext.get();
    long attempt = ctx == null ? -1 : ctx.taskAttemptId();
    TruenoPartitionReader reader =
        new TruenoPartitionReader(
            settings, hadoopConf.value().value(), ((FilePartition) partition).files(), attempt);
    if (ctx != null) {
      // Spark closes readers when the task completes; this also covers a task that fails or is
      // killed before Spark registered its own listener. Closing twice is harmless.
      ctx.addTaskCompletionListener((TaskCompletionListener) c -> reader.close());
    }
    return reader;
  }
}
