package dev.trueno.spark.exec;

import dev.trueno.core.backend.Backend;
import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.cost.Decision;
import dev.trueno.core.cost.OperatorEstimate;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.plan.BuildSide;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.spark.config.TruenoConf;
import dev.trueno.spark.scan.DecimalColumnVectors;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.execution.joins.EmptyHashedRelation$;
import org.apache.spark.sql.execution.joins.HashedRelation;
import org.apache.spark.sql.execution.joins.LongHashedRelation;
import org.apache.spark.sql.execution.joins.ValueRowWithKeyIndex;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import scala.collection.immutable.Seq;

/**
 * What one Spark task of {@link TruenoHashJoinExec} does: build (or take the executor's shared
 * broadcast build), stream its probe partition through the backend's probe, and hand the joined
 * rows to the parent as Arrow-backed batches. Shipped to executors, so it holds only serializable
 * plan data and metrics.
 */
final class JoinTask implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final String NODE = "TruenoHashJoin";

  private final JoinPlan plan;
  private final Backends.Choice backendChoice;
  private final StructType leftType;
  private final StructType rightType;
  private final String timeZone;
  private final int maxRows;
  private final long taskMemoryBytes;
  private final long buildMemoryBytes;
  private final GpuSettings gpuSettings;
  // Null when the backend is fixed at planning; else each task decides by the 5x rule whether
  // its partition runs on the GPU or on backendChoice (the CPU backend).
  private final CostSettings costSettings;
  private final long failoverReplayBytes;
  private final Metrics metrics;
  // Spark's key expressions and each side's attributes: the spill path hashes keys as Spark's
  // own hash relation compares them (the bytes of the key's UnsafeRow).
  private final Seq<Expression> leftKeys;
  private final Seq<Expression> rightKeys;
  private final Seq<Attribute> leftOutput;
  private final Seq<Attribute> rightOutput;

  /** How many times a part that is still too large is split again before the task fails. */
  static final int MAX_SPILL_DEPTH = 3;

  /**
   * Gathers probe batches as for the GPU on the CPU backends too: the gathering is backend-neutral,
   * and this lets a test on a machine without a GPU run it through Spark. Read on the executor, so
   * it only works in local mode.
   */
  static volatile boolean gatherProbeBatchesOnCpu;

  /** The node's SQL metrics, as the task updates them. */
  record Metrics(
      SQLMetric buildRows,
      SQLMetric buildTime,
      SQLMetric probeRows,
      SQLMetric probeTime,
      SQLMetric outputRows,
      SQLMetric outputBatches,
      SQLMetric spilledParts,
      PartitionDecisions.Metrics decisions,
      SQLMetric gpuFailovers)
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
      CostSettings costSettings,
      long failoverReplayBytes,
      Metrics metrics,
      Seq<Expression> leftKeys,
      Seq<Expression> rightKeys,
      Seq<Attribute> leftOutput,
      Seq<Attribute> rightOutput) {
    this.plan = plan;
    this.backendChoice = backendChoice;
    this.leftType = leftType;
    this.rightType = rightType;
    this.timeZone = timeZone;
    this.maxRows = maxRows;
    this.taskMemoryBytes = taskMemoryBytes;
    this.buildMemoryBytes = buildMemoryBytes;
    this.gpuSettings = gpuSettings;
    this.costSettings = costSettings;
    this.failoverReplayBytes = failoverReplayBytes;
    this.metrics = metrics;
    this.leftKeys = leftKeys;
    this.rightKeys = rightKeys;
    this.leftOutput = leftOutput;
    this.rightOutput = rightOutput;
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
    return buildTooLarge(cause, "");
  }

  private TruenoException buildTooLarge(TruenoException cause, String where) {
    return new TruenoException(
        ErrorCode.MEMORY_EXHAUSTED,
        "The build side of a Trueno hash join ("
            + plan.type()
            + ", build "
            + plan.buildSide()
            + ")"
            + where
            + " needs more than "
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

  /** A part of a join that was split by key hash: its two sides' files. */
  private record Part(Path buildFile, Path probeFile, int depth) {}

  /** One task's state; everything it holds is freed when the task ends, also on failure. */
  private final class Run implements Iterator<ColumnarBatch> {
    final BufferAllocator allocator;
    // Set at construction when the backend is fixed, else by decide() before the first batch.
    Backends.Choice choice;
    Backend backend;
    final long taskAttemptId;
    ArrowInput.Batches buildInput;
    ArrowInput.Batches probeInput;
    Broadcast<HashedRelation> broadcast;
    private BroadcastBuilds.Shared shared;
    private JoinBuild ownBuild;
    private JoinProbe probe;
    // Where the current probe's batches come from (the probe input, or a part's file); null at
    // the end.
    private Supplier<VectorSchemaRoot> probeSource;
    private SpillFiles.Reader probeReader;
    // Gathers the probe source's batches for the GPU; null when batches go to the probe as they
    // are.
    private ProbeCoalescer coalescer;
    private Path probeFile;
    private final Deque<Part> parts = new ArrayDeque<>();
    private Path spillFolder;
    private int spillNames;
    private boolean started;
    private boolean probing;
    private boolean finishing;
    private boolean exhausted;
    private VectorSchemaRoot current;
    private VectorSchemaRoot pending;
    private boolean closed;

    Run() {
      TaskContext ctx = TaskContext.get();
      taskAttemptId = ctx == null ? -1 : ctx.taskAttemptId();
      if (costSettings == null) {
        choice = backendChoice;
        backend = Backends.create(choice, gpuSettings);
      }
      allocator = ArrowMemory.forTask("trueno-join", taskAttemptId, taskMemoryBytes);
      if (ctx != null) {
        ctx.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) c -> close());
      }
    }

    /**
     * Chooses this partition's backend by the 5x rule from the batches read ahead: the probe side
     * for a broadcast join (the executor builds the broadcast once per backend and shares it), both
     * sides for a shuffled join. Output is priced as the probe side's bytes.
     */
    private void decide() {
      long limit = costSettings.readAheadBytes();
      boolean pinned = PartitionDecisions.pinnedInput();
      ReadAhead probeAhead = ReadAhead.of(probeInput, allocator, limit, null);
      probeInput = probeAhead;
      OperatorEstimate probeEstimate =
          OperatorEstimate.of(
              OperatorKind.JOIN_PROBE, probeAhead.bytes(), probeAhead.bytes(), pinned);
      List<OperatorEstimate> phases;
      boolean complete = probeAhead.complete();
      if (broadcast != null) {
        phases = List.of(probeEstimate);
      } else {
        ReadAhead buildAhead = ReadAhead.of(buildInput, allocator, limit, null);
        buildInput = buildAhead;
        complete &= buildAhead.complete();
        phases =
            List.of(
                OperatorEstimate.of(OperatorKind.JOIN_BUILD, buildAhead.bytes(), 0, pinned),
                probeEstimate);
      }
      Decision d =
          PartitionDecisions.decide(
              "TruenoHashJoin", costSettings, backendChoice, phases, complete, metrics.decisions());
      choice = PartitionDecisions.choice(d);
      backend = Backends.create(choice, gpuSettings);
    }

    private void start() {
      started = true;
      if (costSettings != null) {
        decide();
      }
      if (broadcast != null) {
        BroadcastBuilds.Acquired acquired =
            BroadcastBuilds.acquire(
                new BroadcastBuilds.Key(broadcast.id(), plan, GpuFailover.actualChoice(backend)),
                taskMemoryBytes,
                this::buildFromBroadcast);
        shared = acquired.shared();
        probe = backend.createJoinProbe(plan, shared.build(), allocator);
        probeSource = inputSource(probeInput);
        return;
      }
      if (!buildFromInput()) {
        nextPart();
        return;
      }
      probe = GpuFailover.joinProbe(backend, plan, ownBuild, allocator, NODE);
      probeSource = inputSource(probeInput);
    }

    /**
     * Builds from the build child's batches, or, when the build outgrows its budget, splits both
     * children into parts on disk and returns false.
     *
     * <p>The build takes over each batch's buffers, so to be able to re-read what it already holds
     * the task keeps a reference to every batch's buffers (no copy) until the build is finished.
     */
    private boolean buildFromInput() {
      JoinBuild build =
          GpuFailover.joinBuild(
              backend,
              plan,
              allocator,
              buildMemoryBytes,
              failoverReplayBytes,
              metrics.gpuFailovers(),
              NODE);
      ownBuild = build;
      List<ArrowRecordBatch> kept = new ArrayList<>();
      List<Schema> keptSchemas = new ArrayList<>();
      long start = System.nanoTime();
      try {
        while (buildInput.hasNext()) {
          VectorSchemaRoot batch = buildInput.next();
          if (batch.getRowCount() == 0) {
            continue;
          }
          try (VectorSchemaRoot own = ArrowInput.takeOver(batch, allocator)) {
            kept.add(new VectorUnloader(own).getRecordBatch());
            keptSchemas.add(own.getSchema());
            build.add(own);
          }
        }
        build.finish();
      } catch (TruenoException e) {
        if (e.code() != ErrorCode.MEMORY_EXHAUSTED) {
          throw e;
        }
        ownBuild = null;
        build.close();
        spillInput(kept, keptSchemas);
        return false;
      } finally {
        kept.forEach(ArrowRecordBatch::close);
        metrics.buildTime().add(System.nanoTime() - start);
      }
      metrics.buildRows().add(build.rowCount());
      buildInput.close();
      buildInput = null;
      return true;
    }

    private Schema schema(BuildSide side) {
      return ArrowInput.arrowSchema(side == BuildSide.LEFT ? leftType : rightType, timeZone);
    }

    private SpillFiles.Partitioner partitioner(boolean buildSide, int depth) {
      boolean left = (plan.buildSide() == BuildSide.LEFT) == buildSide;
      if (spillFolder == null) {
        spillFolder = SpillFiles.createFolder(taskAttemptId);
      }
      return new SpillFiles.Partitioner(
          spillFolder,
          (buildSide ? "build-" : "probe-") + spillNames++,
          schema(left ? BuildSide.LEFT : BuildSide.RIGHT),
          left ? leftKeys : rightKeys,
          left ? leftOutput : rightOutput,
          0x5eed + depth * 1_000_003,
          Math.min(maxRows, 4096),
          allocator);
    }

    /** Splits the build batches kept so far, the rest of the build input and the probe input. */
    private void spillInput(List<ArrowRecordBatch> kept, List<Schema> keptSchemas) {
      Path[] buildFiles;
      try (SpillFiles.Partitioner out = partitioner(true, 0)) {
        for (int i = 0; i < kept.size(); i++) {
          try (VectorSchemaRoot root = VectorSchemaRoot.create(keptSchemas.get(i), allocator)) {
            new VectorLoader(root).load(kept.get(i));
            kept.get(i).close();
            out.add(root);
          }
        }
        while (buildInput.hasNext()) {
          out.add(buildInput.next());
        }
        buildFiles = out.finish();
      }
      buildInput.close();
      buildInput = null;
      Path[] probeFiles;
      try (SpillFiles.Partitioner out = partitioner(false, 0)) {
        while (probeInput.hasNext()) {
          out.add(probeInput.next());
        }
        probeFiles = out.finish();
      }
      probeInput.close();
      probeInput = null;
      for (int i = 0; i < buildFiles.length; i++) {
        parts.addLast(new Part(buildFiles[i], probeFiles[i], 1));
      }
      metrics.spilledParts().add(buildFiles.length);
    }

    /** Splits a part that is still too large into parts of the next level. */
    private void split(Part part) {
      Path[] buildFiles = splitFile(part.buildFile(), true, part.depth());
      Path[] probeFiles = splitFile(part.probeFile(), false, part.depth());
      for (int i = buildFiles.length - 1; i >= 0; i--) {
        parts.addFirst(new Part(buildFiles[i], probeFiles[i], part.depth() + 1));
      }
      metrics.spilledParts().add(buildFiles.length);
    }

    private Path[] splitFile(Path file, boolean buildSide, int depth) {
      Path[] files;
      try (SpillFiles.Partitioner out = partitioner(buildSide, depth);
          SpillFiles.Reader in = new SpillFiles.Reader(file, allocator)) {
        for (VectorSchemaRoot b = in.next(); b != null; b = in.next()) {
          out.add(b);
        }
        files = out.finish();
      }
      deleteQuietly(file);
      return files;
    }

    /** Builds the next part that fits, splitting those that do not; false when no part is left. */
    private boolean nextPart() {
      while (true) {
        Part part = parts.pollFirst();
        if (part == null) {
          return false;
        }
        JoinBuild build = backend.createJoinBuild(plan, allocator, buildMemoryBytes);
        long start = System.nanoTime();
        try (SpillFiles.Reader in = new SpillFiles.Reader(part.buildFile(), allocator)) {
          for (VectorSchemaRoot b = in.next(); b != null; b = in.next()) {
            build.add(b);
          }
          build.finish();
        } catch (TruenoException e) {
          build.close();
          if (e.code() != ErrorCode.MEMORY_EXHAUSTED) {
            throw e;
          }
          if (part.depth() >= MAX_SPILL_DEPTH) {
            throw buildTooLarge(
                e,
                ", split by key hash into "
                    + (long) Math.pow(SpillFiles.PARTS, part.depth())
                    + " parts on disk, still has a part that");
          }
          split(part);
          continue;
        } catch (RuntimeException | Error e) {
          build.close();
          throw e;
        } finally {
          metrics.buildTime().add(System.nanoTime() - start);
        }
        deleteQuietly(part.buildFile());
        metrics.buildRows().add(build.rowCount());
        ownBuild = build;
        probe = backend.createJoinProbe(plan, build, allocator);
        probeFile = part.probeFile();
        probeReader = new SpillFiles.Reader(probeFile, allocator);
        probeSource = gathered(probeReader::next);
        return true;
      }
    }

    /** Closes the probe and build of the part just joined. */
    private void endPart() {
      try (JoinBuild b = ownBuild;
          JoinProbe p = probe;
          SpillFiles.Reader r = probeReader;
          ProbeCoalescer c = coalescer) {
        ownBuild = null;
        probe = null;
        probeReader = null;
        coalescer = null;
      }
      deleteQuietly(probeFile);
      probeFile = null;
    }

    private Supplier<VectorSchemaRoot> inputSource(ArrowInput.Batches in) {
      return gathered(
          () -> {
            while (in.hasNext()) {
              VectorSchemaRoot b = in.next();
              if (b.getRowCount() > 0) {
                return b;
              }
            }
            return null;
          });
    }

    /**
     * The probe batches of {@code source}, gathered into batches of up to {@code
     * spark.trueno.morselBytes} when the backend is the GPU: each probe call there costs kernel
     * launches, copies and a sync, which dominate Spark's small batches. The CPU backends take the
     * batches as they come (their cost per batch is small, and gathering would copy).
     */
    private Supplier<VectorSchemaRoot> gathered(Supplier<VectorSchemaRoot> source) {
      if (choice != Backends.Choice.GPU && !gatherProbeBatchesOnCpu) {
        return source;
      }
      coalescer = new ProbeCoalescer(source, allocator, gpuSettings.morselBytes());
      return coalescer::next;
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
          throw SparkErrors.translate(
              GpuFailover.failTask(
                  NODE, e, "a broadcast build or a join split into parts on disk is not replayed"));
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
      if (probe == null) {
        // Every part was empty: nothing to join.
        exhausted = true;
        return null;
      }
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
          VectorSchemaRoot batch = probeSource.get();
          if (batch != null) {
            metrics.probeRows().add(batch.getRowCount());
            probe.probe(batch);
            probing = true;
            return null;
          }
          finishing = true;
        }
        VectorSchemaRoot out = probe.finish(maxRows);
        if (out != null) {
          return out;
        }
      } finally {
        metrics.probeTime().add(System.nanoTime() - start);
      }
      // This build (the only one, or one part's) is done.
      if (parts.isEmpty()) {
        exhausted = true;
        return null;
      }
      endPart();
      finishing = false;
      if (!nextPart()) {
        exhausted = true;
      }
      return null;
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
          SpillFiles.Reader r = probeReader;
          ProbeCoalescer c = coalescer;
          JoinProbe p = probe) {
        // Closed in reverse order: the probe, the gathered probe batches, a part's reader, the
        // inputs' buffers, this task's build, the reference to a shared build, then the
        // allocator, which reports any buffer still held.
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        SpillFiles.deleteFolder(spillFolder);
      }
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      file.toFile().delete();
    }
  }
}
