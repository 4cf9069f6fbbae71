package dev.trueno.spark.exec;

import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.spark.config.TruenoConf;
import java.io.Serializable;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.joins.EmptyHashedRelation$;
import org.apache.spark.sql.execution.joins.HashedRelation;
import org.apache.spark.sql.execution.joins.LongHashedRelation;
import org.apache.spark.sql.execution.joins.ValueRowWithKeyIndex;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * What one Spark task of {@link TruenoHashJoinExec} does: build (or take the executor's shared
 * broadcast build), stream its probe partition through the backend's probe, and hand the joined
 * rows to the parent as Arrow-backed batches. Shipped to executors, so it holds only serializable
 * plan data and metrics.
 */
final class JoinTask implements Serializable {
  private static final long serialVersionUID = 1L;

  private final JoinPlan plan;
  private final Backends.Choice backendChoice;
  private final StructType leftType;
  private final StructType rightType;
  private final String timeZone;
  private final int maxRows;
  private final long taskMemoryBytes;
  private final long buildMemoryBytes;
  private final GpuSettings gpuSettings;
  private final Metrics metrics;

  /** The node's SQL metrics, as the task updates them. */
  record Metrics(
      SQLMetric buildRows,
      SQLMetric buildTime,
      SQLMetric probeRows,
      SQLMetric probeTime,
      SQLMetric outputRows,
      SQLMetric outputBatches,
      SQLMetric spilledParts)
      implements Serializable {}

  JoinTask(
      JoinPlan plan,
      Backends.Choice backendChoice,
      StructType leftType,
      StructType rightType,
      String timeZone,
      int maxRows,
      long taskMemoryBytes,
      long buildMemoryBytes,
      GpuSettings gpuSettings,
      Metrics metrics) {
    this.plan = plan;
    this.backendChoice = backendChoice;
    this.leftType = leftType;
    this.rightType = rightType;
    this.timeZone = timeZone;
    this.maxRows = maxRows;
    this.taskMemoryBytes = taskMemoryBytes;
    this.buildMemoryBytes = buildMemoryBytes;
    this.gpuSettings = gpuSettings;
    this.metrics = metrics;
  }

  private StructType buildType() {
    return plan.buildSide() == BuildSide.LEFT ? leftType : rightType;
  }

  private StructType probeType() {
    return plan.buildSide() == BuildSide.LEFT ? rightType : leftType;
  }

  /**
   * A shuffled join's task: the two children's partitions of the same index (each rows, or columnar
   * batches when {@code leftRows}/{@code rightRows} is false).
   */
  Iterator<ColumnarBatch> runShuffled(
      Iterator<?> left, Iterator<?> right, boolean leftRows, boolean rightRows) {
    boolean buildLeft = plan.buildSide() == BuildSide.LEFT;
    Run run = new Run();
    run.buildInput =
        input(buildLeft ? left : right, buildLeft ? leftRows : rightRows, buildType(), run);
    run.probeInput =
        input(buildLeft ? right : left, buildLeft ? rightRows : leftRows, probeType(), run);
    return run;
  }

  /**
   * A broadcast join's task: the executor's shared build of the broadcast, probed by one partition.
   */
  Iterator<ColumnarBatch> runBroadcast(
      Broadcast<HashedRelation> broadcast, Iterator<?> probe, boolean probeRows) {
    Run run = new Run();
    run.broadcast = broadcast;
    run.probeInput = input(probe, probeRows, probeType(), run);
    return run;
  }

  @SuppressWarnings("unchecked")
  private ArrowInput.Batches input(Iterator<?> it, boolean rows, StructType type, Run run) {
    var schema = ArrowInput.arrowSchema(type, timeZone);
    return rows
        ? ArrowInput.fromRows((Iterator<InternalRow>) it, schema, run.allocator, maxRows)
        : ArrowInput.fromColumnar((Iterator<ColumnarBatch>) it, schema, run.allocator, maxRows);
  }

  private TruenoException buildTooLarge(TruenoException cause) {
    return new TruenoException(
        ErrorCode.MEMORY_EXHAUSTED,
        "The build side of a Trueno hash join ("
            + plan.type()
            + ", build "
            + plan.buildSide()
            + ") needs more than "
            + TruenoConf.JOIN_BUILD_MEMORY_BYTES.key()
            + "="
            + buildMemoryBytes
            + " bytes; raise it (and "
            + TruenoConf.TASK_MEMORY_BYTES.key()
            + " with it), raise spark.sql.shuffle.partitions, or set "
            + TruenoConf.JOIN_ENABLED.key()
            + "=false",
        cause);
  }

  /** Feeds every batch of {@code input} to {@code build} and finishes it. */
  private void buildAll(JoinBuild build, ArrowInput.Batches input) {
    long start = System.nanoTime();
    try {
      while (input.hasNext()) {
        VectorSchemaRoot batch = input.next();
        if (batch.getRowCount() == 0) {
          continue;
        }
        build.add(batch);
      }
      build.finish();
    } catch (TruenoException e) {
      throw e.code() == ErrorCode.MEMORY_EXHAUSTED ? buildTooLarge(e) : e;
    } finally {
      metrics.buildTime().add(System.nanoTime() - start);
    }
    metrics.buildRows().add(build.rowCount());
  }

  /**
   * Every row of a broadcast relation. Rows with NULL keys may be missing, which is fine for the
   * joins Spark broadcasts (the build side's unmatched rows are never output).
   */
  private static Iterator<InternalRow> relationRows(HashedRelation relation) {
    if (relation == EmptyHashedRelation$.MODULE$) {
      return java.util.Collections.emptyIterator();
    }
    if (relation instanceof LongHashedRelation) {
      // A long-keyed relation cannot list its values directly: walk its distinct keys instead.
      scala.collection.Iterator<InternalRow> keys = relation.keys();
      return new Iterator<>() {
        private scala.collection.Iterator<InternalRow> values = scala.collection.Iterator.empty();

        @Override
        public boolean hasNext() {
          while (!values.hasNext() && keys.hasNext()) {
            scala.collection.Iterator<InternalRow> v = relation.get(keys.next().getLong(0));
            if (v != null) {
              values = v;
            }
          }
          return values.hasNext();
        }

        @Override
        public InternalRow next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          return values.next();
        }
      };
    }
    scala.collection.Iterator<ValueRowWithKeyIndex> values = relation.valuesWithKeyIndex();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return values.hasNext();
      }

      @Override
      public InternalRow next() {
        return values.next().getValue();
      }
    };
  }

  /** One task's state; everything it holds is freed when the task ends, also on failure. */
  private final class Run implements Iterator<ColumnarBatch> {
    final BufferAllocator allocator;
    final Backend backend;
    ArrowInput.Batches buildInput;
    ArrowInput.Batches probeInput;
    Broadcast<HashedRelation> broadcast;
    private BroadcastBuilds.Shared shared;
    private JoinBuild ownBuild;
    private JoinProbe probe;
    private boolean started;
    private boolean probing;
    private boolean finishing;
    private boolean exhausted;
    private VectorSchemaRoot current;
    private VectorSchemaRoot pending;
    private boolean closed;

    Run() {
      TaskContext ctx = TaskContext.get();
      long attempt = ctx == null ? -1 : ctx.taskAttemptId();
      backend = Backends.create(backendChoice, gpuSettings);
      allocator = ArrowMemory.forTask("trueno-join", attempt, taskMemoryBytes);
      if (ctx != null) {
        ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> close());
      }
    }

    private void start() {
      started = true;
      JoinBuild build;
      if (broadcast != null) {
        BroadcastBuilds.Acquired acquired =
            BroadcastBuilds.acquire(
                new BroadcastBuilds.Key(broadcast.id(), plan, backendChoice),
                taskMemoryBytes,
                this::buildFromBroadcast);
        shared = acquired.shared();
        build = shared.build();
      } else {
        ownBuild = backend.createJoinBuild(plan, allocator, buildMemoryBytes);
        buildAll(ownBuild, buildInput);
        buildInput.close();
        buildInput = null;
        build = ownBuild;
      }
      probe = backend.createJoinProbe(plan, build, allocator);
    }

    /** Converts the broadcast relation's rows to Arrow once and builds from them. */
    private JoinBuild buildFromBroadcast(BufferAllocator sharedAllocator) {
      Iterator<InternalRow> rows = relationRows(broadcast.value().asReadOnlyCopy());
      JoinBuild build = backend.createJoinBuild(plan, sharedAllocator, buildMemoryBytes);
      try (ArrowInput.Batches input =
          ArrowInput.fromRows(
              rows, ArrowInput.arrowSchema(buildType(), timeZone), sharedAllocator, maxRows)) {
        buildAll(build, input);
        return build;
      } catch (RuntimeException | Error e) {
        build.close();
        throw e;
      }
    }

    @Override
    public boolean hasNext() {
      while (pending == null && !exhausted) {
        try {
          if (!started) {
            start();
          }
          releaseCurrent();
          pending = step();
        } catch (RuntimeException e) {
          throw SparkErrors.translate(e);
        }
        if (pending != null && pending.getRowCount() == 0) {
          pending.close();
          pending = null;
        }
      }
      return pending != null;
    }

    /** The next output batch, or null when it made progress without one or is done. */
    private VectorSchemaRoot step() {
      long start = System.nanoTime();
      try {
        if (probing) {
          VectorSchemaRoot out = probe.next(maxRows);
          if (out != null) {
            return out;
          }
          probing = false;
        }
        if (!finishing) {
          if (probeInput.hasNext()) {
            VectorSchemaRoot batch = probeInput.next();
            metrics.probeRows().add(batch.getRowCount());
            probe.probe(batch);
            probing = true;
            return null;
          }
          finishing = true;
        }
        VectorSchemaRoot out = probe.finish(maxRows);
        if (out == null) {
          exhausted = true;
        }
        return out;
      } finally {
        metrics.probeTime().add(System.nanoTime() - start);
      }
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
        columns[i++] = new ArrowColumnVector(v);
      }
      metrics.outputRows().add(current.getRowCount());
      metrics.outputBatches().add(1);
      return new ColumnarBatch(columns, current.getRowCount());
    }

    private void releaseCurrent() {
      if (current != null) {
        current.close();
        current = null;
      }
    }

    private void close() {
      if (closed) {
        return;
      }
      closed = true;
      releaseCurrent();
      if (pending != null) {
        pending.close();
        pending = null;
      }
      try (BufferAllocator a = allocator;
          AutoCloseable sharedRef = shared == null ? null : () -> BroadcastBuilds.release(shared);
          JoinBuild b = ownBuild;
          ArrowInput.Batches bi = buildInput;
          ArrowInput.Batches pi = probeInput;
          JoinProbe p = probe) {
        // Closed in reverse order: the probe, the inputs' buffers, this task's build, the
        // reference to a shared build, then the allocator, which reports any buffer still held.
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
