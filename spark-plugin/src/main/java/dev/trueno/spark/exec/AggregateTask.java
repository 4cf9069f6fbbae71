package dev.trueno.spark.exec;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.backend.Backend;
import dev.trueno.core.cost.Decision;
import dev.trueno.core.cost.OperatorEstimate;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.spark.scan.DecimalColumnVectors;
import java.io.Serializable;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * What one Spark task of {@link TruenoHashAggregateExec} does: feed its partition to a backend
 * aggregator as Arrow batches and hand the result to the parent as Arrow-backed batches. Shipped to
 * executors, so it holds only serializable plan data and metrics.
 */
final class AggregateTask implements Serializable {
  private static final long serialVersionUID = 1L;

  private final AggregatePlan plan;
  private final Backends.Choice backendChoice;
  private final StructType inputType;
  private final String timeZone;
  private final int maxRows;
  private final long taskMemoryBytes;
  // Read from the session's conf on the driver and shipped with the task, like the other settings
  // here: one record per task instead of a conf lookup per key on the executor, and the values
  // are the ones the query was planned with even if the session's conf changes meanwhile.
  private final GpuSettings gpuSettings;
  // Null when the backend is fixed at planning; else each task decides by the 5x rule whether
  // its partition runs on the GPU or on backendChoice (the CPU backend).
  private final CostSettings costSettings;
  private final long failoverReplayBytes;
  private final Metrics metrics;

  /** The node's SQL metrics, as the task updates them. */
  record Metrics(
      SQLMetric inputRows,
      SQLMetric inputBatches,
      SQLMetric convertedRows,
      SQLMetric outputRows,
      SQLMetric outputBatches,
      SQLMetric backendTime,
      PartitionDecisions.Metrics decisions,
      SQLMetric gpuFailovers)
      implements Serializable {}

  AggregateTask(
      AggregatePlan plan,
      Backends.Choice backendChoice,
      StructType inputType,
      String timeZone,
      int maxRows,
      long taskMemoryBytes,
      GpuSettings gpuSettings,
      CostSettings costSettings,
      long failoverReplayBytes,
      Metrics metrics) {
    this.plan = plan;
    this.backendChoice = backendChoice;
    this.inputType = inputType;
    this.timeZone = timeZone;
    this.maxRows = maxRows;
    this.taskMemoryBytes = taskMemoryBytes;
    this.gpuSettings = gpuSettings;
    this.costSettings = costSettings;
    this.failoverReplayBytes = failoverReplayBytes;
    this.metrics = metrics;
  }

  /** Arrow schemas are not serializable, so the task ships Spark's type and derives it here. */
  private Schema inputSchema() {
    return ArrowInput.arrowSchema(inputType, timeZone);
  }

  Iterator<ColumnarBatch> runOnRows(Iterator<InternalRow> rows) {
    Run run = new Run();
    run.input = ArrowInput.fromRows(rows, inputSchema(), run.allocator, maxRows);
    return run;
  }

  Iterator<ColumnarBatch> runOnBatches(Iterator<ColumnarBatch> batches) {
    Run run = new Run();
    run.input = ArrowInput.fromColumnar(batches, inputSchema(), run.allocator, maxRows);
    return run;
  }

  /** One task's state; everything it holds is freed when the task ends, also on failure. */
  private final class Run implements Iterator<ColumnarBatch> {
    final BufferAllocator allocator;
    Aggregator aggregator;
    ArrowInput.Batches input;
    private VectorSchemaRoot current;
    private VectorSchemaRoot pending;
    private boolean consumed;
    private boolean exhausted;

    Run() {
      TaskContext ctx = TaskContext.get();
      long attempt = ctx == null ? -1 : ctx.taskAttemptId();
      allocator = ArrowMemory.forTask("trueno-aggregate", attempt, taskMemoryBytes);
      if (ctx != null) {
        ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> close());
      }
    }

    /**
     * Creates the aggregator on the node's backend, or with {@code spark.trueno.backend=AUTO} on
     * the one the 5x rule picks for this partition, sized from the input read ahead.
     */
    private void start() {
      Backends.Choice choice = backendChoice;
      if (costSettings != null) {
        List<Integer> read = plan.columnsRead();
        ReadAhead ahead = ReadAhead.of(input, allocator, costSettings.readAheadBytes(), read);
        input = ahead;
        long keyBytes = 0;
        // The result is at most one row per group: priced as the key columns' bytes (the worst
        // case, every row its own group); a reduction returns a few accumulators.
        OperatorKind kind =
            plan.groupingKeys().isEmpty() ? OperatorKind.REDUCTION : OperatorKind.HASH_AGGREGATE;
        if (kind == OperatorKind.HASH_AGGREGATE) {
          keyBytes = ahead.bytes(plan.keyColumnsRead());
        }
        Decision d =
            PartitionDecisions.decide(
                "TruenoHashAggregate",
                costSettings,
                backendChoice,
                List.of(
                    OperatorEstimate.of(
                        kind, ahead.bytes(), keyBytes, PartitionDecisions.pinnedInput())),
                ahead.complete(),
                metrics.decisions());
        choice = PartitionDecisions.choice(d);
      }
      Backend backend = Backends.create(choice, gpuSettings);
      if (backend instanceof dev.trueno.gpu.GpuBackend) {
        // From the first GPU task on, this executor's Arrow batches are pinned (see ArrowMemory).
        dev.trueno.gpu.GpuBackend.startPinnedPool(gpuSettings);
      }
      aggregator =
          GpuFailover.aggregator(
              backend,
              plan,
              allocator,
              failoverReplayBytes,
              metrics.gpuFailovers(),
              "TruenoHashAggregate");
    }

    @Override
    public boolean hasNext() {
      if (pending == null && !exhausted) {
        if (!consumed) {
          consumeAll();
        }
        releaseCurrent();
        pending = timed(() -> aggregator.nextResult(maxRows));
        if (pending == null) {
          exhausted = true;
        }
      }
      return pending != null;
    }

    @Override
    public ColumnarBatch next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      releaseCurrent();
      current = pending;
      pending = null;
      ColumnVector[] columns = new ColumnVector[current.getFieldVectors().size()];
      int i = 0;
      for (FieldVector v : current.getFieldVectors()) {
        columns[i++] = DecimalColumnVectors.of(v);
      }
      metrics.outputRows().add(current.getRowCount());
      metrics.outputBatches().add(1);
      return new ColumnarBatch(columns, current.getRowCount());
    }

    private void consumeAll() {
      consumed = true;
      start();
      while (input.hasNext()) {
        VectorSchemaRoot batch = input.next();
        metrics.inputRows().add(batch.getRowCount());
        metrics.inputBatches().add(1);
        if (input.lastBatchConverted()) {
          metrics.convertedRows().add(batch.getRowCount());
        }
        timed(
            () -> {
              aggregator.consume(batch);
              return null;
            });
      }
      input.close();
    }

    private <T> T timed(java.util.function.Supplier<T> work) {
      long start = System.nanoTime();
      try {
        return work.get();
      } catch (RuntimeException e) {
        throw SparkErrors.translate(e);
      } finally {
        metrics.backendTime().add(System.nanoTime() - start);
      }
    }

    private void releaseCurrent() {
      if (current != null) {
        current.close();
        current = null;
      }
    }

    private void close() {
      releaseCurrent();
      if (pending != null) {
        pending.close();
        pending = null;
      }
      try (BufferAllocator a = allocator;
          ArrowInput.Batches in = input;
          Aggregator agg = aggregator) {
        // Closing in reverse order: input buffers, the aggregator, then the allocator, which
        // reports any buffer still held as a leak.
      }
    }
  }
}
