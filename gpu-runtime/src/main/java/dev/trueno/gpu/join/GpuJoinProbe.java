package dev.trueno.gpu.join;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.JoinProbe;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import dev.trueno.core.morsel.MorselPager;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.plan.JoinType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.agg.DeviceKernels;
import dev.trueno.gpu.expr.DeviceExpr;
import dev.trueno.gpu.expr.DeviceExprEvaluator;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import dev.trueno.gpu.transfer.DeviceColumn;
import dev.trueno.gpu.transfer.Transfer;
import dev.trueno.gpu.transfer.TransferQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Probes a {@link GpuJoinBuild} on the device. Each probe batch's needed columns go through a
 * {@link MorselPager} and a {@link TransferQueue}; per morsel (joins.cu) every row finds the run of
 * build rows with its key ({@code join_probe}), an exclusive scan of the run lengths numbers the
 * candidate pairs, and {@link #next} expands the next at most {@code maxRows} candidates into
 * (probe row, build row) pairs ({@code join_expand}, a binary search per pair), so that an output
 * batch can end inside the run of a key with millions of build rows. The condition, if any, is
 * evaluated on the device over the pairs' gathered columns; output columns are gathered on the
 * device and copied into the Arrow output once.
 *
 * <p>Rows that come out without a partner (unmatched rows of an outer join's preserved probe side,
 * semi/anti/existence rows of a left probe side) are listed per morsel from a per-row match flag
 * after its pairs; unmatched or matched build rows come out of {@link #finish} from the build's
 * match flags.
 */
public final class GpuJoinProbe implements JoinProbe {
  // Scratch slots.
  private static final int KEY_POINTERS = 0;
  private static final int KEY_META = 1;
  private static final int START = 2;
  private static final int OFFSETS = 3;
  private static final int FLAG = 4;
  private static final int SUMS = 5;
  private static final int PAIR_PROBE = 6;
  private static final int PAIR_BUILD = 7;
  private static final int KEEP = 8;
  private static final int KEPT_PROBE = 9;
  private static final int KEPT_BUILD = 10;
  private static final int WANT = 11;
  private static final int LIST = 12;
  private static final int OUTPUT = 20;
  private static final int CONDITION = 1000;

  /** Candidate pairs per step where pairs only mark matches (no pair is output). */
  private static final int MARK_CHUNK = 1 << 22;

  /** A null device pointer as a kernel argument. */
  private static final Pointer NULL = Pointer.to(new CUdeviceptr());

  private static final int SCAN_ITEMS = 4 * DeviceKernels.THREADS;

  private final JoinPlan plan;
  private final GpuJoinBuild build;
  private final JoinColumns columns;
  private final BufferAllocator allocator;
  private final DeviceKernels kernels;
  private final JoinKeys keys;
  private final DeviceExprEvaluator condition;
  private final int[] conditionReads;
  private final MorselPager pager;
  private final TransferQueue queue;
  private final int maxInFlight;
  private final int probeSide;
  private final List<Field> probeFields;
  private final List<Integer> probeNeeded;
  private final List<Integer> probeHost;
  private final boolean hostOutput;
  private final boolean probePreserved;
  private final boolean buildTracked;

  private final ArrayDeque<Morsel> pending = new ArrayDeque<>();
  private int submitted;
  private MorselWork work;
  private long probeRows;
  private VectorSchemaRoot batch;
  private long takenRows;
  private RowList buildRows;
  private boolean finishing;

  /** A probe of {@code build}, a finished build of the same plan. */
  public GpuJoinProbe(JoinPlan plan, GpuJoinBuild build, BufferAllocator allocator) {
    build.checkFinished();
    if (!build.plan.equals(plan)) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "A GPU join build was probed with a different plan");
    }
    build.registerProbe();
    this.plan = plan;
    this.build = build;
    this.columns = build.columns;
    this.allocator = allocator;
    this.maxInFlight = build.settings.maxInFlight();
    this.probeSide = 1 - JoinColumns.buildSide(plan);
    this.probeFields = plan.probeFields();
    this.probeNeeded = probeSide == 0 ? columns.leftNeeded : columns.rightNeeded;
    this.probeHost = probeSide == 0 ? columns.leftHost : columns.rightHost;
    this.hostOutput = !columns.leftHost.isEmpty() || !columns.rightHost.isEmpty();
    JoinType type = plan.type();
    this.probePreserved = probeSide == 0 ? type.keepsUnmatchedLeft() : type.keepsUnmatchedRight();
    this.buildTracked = plan.tracksBuildMatches();
    DeviceKernels k = new DeviceKernels(build.device, build.pool);
    JoinKeys jk = null;
    DeviceExprEvaluator c = null;
    MorselPager p = null;
    try {
      jk = new JoinKeys(plan.probeKeys(), probeFields, build.device, build.pool);
      if (plan.condition() != null) {
        DeviceExpr compiled = DeviceExpr.compile(plan.condition(), JoinSupport.joined(plan));
        conditionReads = compiled.columnsRead();
        c =
            new DeviceExprEvaluator(
                build.device,
                build.pool,
                List.of(DeviceExprEvaluator.Output.selection("condition", compiled)));
      } else {
        conditionReads = new int[0];
      }
      p = new MorselPager(allocator, probeNeeded, build.settings.morselBytes());
      PinnedMemoryPool pinned = build.pinnedPool();
      queue =
          pinned == null
              ? TransferQueue.open(build.device, build.pool, maxInFlight)
              : TransferQueue.open(build.device, build.pool, pinned, maxInFlight);
    } catch (RuntimeException e) {
      for (AutoCloseable x : new AutoCloseable[] {p, c, jk}) {
        try {
          if (x != null) {
            x.close();
          }
        } catch (Exception ignored) {
          e.addSuppressed(ignored);
        }
      }
      k.close();
      throw e;
    }
    this.kernels = k;
    this.keys = jk;
    this.condition = c;
    this.pager = p;
  }

  @Override
  public void probe(VectorSchemaRoot batch) {
    if (work != null || !pending.isEmpty() || submitted > 0) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "probe() was called before next() drained the previous batch");
    }
    if (finishing) {
      throw new TruenoException(ErrorCode.INTERNAL, "probe() was called after finish()");
    }
    int rows = batch.getRowCount();
    probeRows += rows;
    this.batch = batch; // string columns are gathered from it (the caller keeps it until drained)
    this.takenRows = 0;
    if (rows == 0) {
      return;
    }
    pending.addAll(pager.add(batch));
    pager.flush().ifPresent(pending::add);
  }

  @Override
  public VectorSchemaRoot next(int maxRows) {
    checkMaxRows(maxRows);
    build.device.makeCurrent();
    while (true) {
      if (work == null) {
        submitMore();
        if (submitted == 0) {
          return null;
        }
        Transfer t = queue.take();
        submitted--;
        work = new MorselWork(t, takenRows);
        takenRows += t.rowCount();
        submitMore();
      }
      VectorSchemaRoot out = work.next(maxRows);
      if (out != null) {
        return out;
      }
      work.close();
      work = null;
    }
  }

  private void submitMore() {
    while (!pending.isEmpty() && queue.outstanding() < maxInFlight) {
      queue.submit(pending.poll());
      submitted++;
    }
  }

  private static void checkMaxRows(int maxRows) {
    if (maxRows <= 0) {
      throw new TruenoException(ErrorCode.INTERNAL, "maxRows must be positive, was " + maxRows);
    }
  }

  @Override
  public VectorSchemaRoot finish(int maxRows) {
    checkMaxRows(maxRows);
    if (work != null || !pending.isEmpty() || submitted > 0) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "finish() was called before next() drained the last probe batch");
    }
    finishing = true;
    if (!buildTracked) {
      return null;
    }
    build.device.makeCurrent();
    if (buildRows == null) {
      JoinType type = plan.type();
      int want =
          type == JoinType.EXISTENCE ? -1 : type == JoinType.LEFT_SEMI ? 1 : 0; // else unmatched
      buildRows = list(build.matched(), build.rowCount(), want);
    }
    int m = buildRows.take(maxRows);
    if (m == 0) {
      return null;
    }
    CUdeviceptr idx = buildRows.current();
    return emit(m, null, idx, build.matched(), idx, null, 0);
  }

  /** Rows of a flag array listed on the device, handed out in pieces. */
  private final class RowList {
    final CUdeviceptr rows;
    final long count;
    long next;
    long taken;

    RowList(CUdeviceptr rows, long count) {
      this.rows = rows;
      this.count = count;
    }

    int take(int maxRows) {
      next += taken;
      taken = Math.min(maxRows, count - next);
      return (int) taken;
    }

    CUdeviceptr current() {
      return rows.withByteOffset(4 * next);
    }
  }

  /** Lists the rows i < n with flag[i] == want (every row when want < 0), in row order. */
  private RowList list(CUdeviceptr flag, long n, int want) {
    if (n == 0) {
      return new RowList(null, 0);
    }
    CUdeviceptr w = kernels.scratch(WANT, 8 * n, "join rows wanted");
    CUdeviceptr out = kernels.scratch(LIST, 4 * n, "join rows listed");
    kernels.launch(
        "join_want",
        n,
        Pointer.to(flag),
        Pointer.to(new long[] {n}),
        Pointer.to(new int[] {want}),
        Pointer.to(w));
    // Scanned into a second array: the list kernel needs both the flags and their positions.
    CUdeviceptr pos = kernels.scratch(KEEP, 8 * n, "join row positions");
    JCudaDriver.cuMemcpyDtoDAsync(pos, w, 8 * n, kernels.stream);
    long count = scan(pos, n);
    kernels.launch(
        "join_list_rows",
        n,
        Pointer.to(w),
        Pointer.to(pos),
        Pointer.to(new long[] {n}),
        Pointer.to(out));
    return new RowList(out, count);
  }

  /** Exclusive prefix sum of {@code n} longs in place; returns their total (waits for it). */
  private long scan(CUdeviceptr values, long n) {
    if (n == 0) {
      return 0;
    }
    long blocks = (n + SCAN_ITEMS - 1) / SCAN_ITEMS;
    CUdeviceptr sums = kernels.scratch(SUMS, 8 * (blocks + 1), "join scan block sums");
    kernels.launchBlocks(
        "join_scan_blocks",
        Math.toIntExact(blocks),
        Pointer.to(values),
        Pointer.to(values),
        Pointer.to(new long[] {n}),
        Pointer.to(sums));
    kernels.launchBlocks("join_scan_sums", 1, Pointer.to(sums), Pointer.to(new long[] {blocks}));
    kernels.launch(
        "join_scan_add", n, Pointer.to(values), Pointer.to(new long[] {n}), Pointer.to(sums));
    return kernels.download(sums.withByteOffset(8 * blocks), 1)[0];
  }

  /** One probe morsel on the device, from its transfer to its last output row. */
  private final class MorselWork implements AutoCloseable {
    private final Transfer transfer;
    private final long batchRow;
    private final int n;
    private final List<DeviceColumn> probeColumns;
    private final CUdeviceptr start;
    private final CUdeviceptr offsets;
    private final CUdeviceptr flag;
    private final long candidates;
    private long cursor;
    private RowList alone;

    MorselWork(Transfer transfer, long batchRow) {
      this.transfer = transfer;
      this.batchRow = batchRow;
      this.n = transfer.rowCount();
      transfer.awaitOn(kernels.stream);
      List<DeviceColumn> arrived = transfer.columns();
      List<DeviceColumn> byOrdinal = new ArrayList<>();
      for (int i = 0; i < probeFields.size(); i++) {
        byOrdinal.add(null);
      }
      for (int c = 0; c < probeNeeded.size(); c++) {
        byOrdinal.set(probeNeeded.get(c), arrived.get(c));
      }
      this.probeColumns = byOrdinal;
      CUdeviceptr[] k = keys.prepare(kernels, byOrdinal, n, KEY_POINTERS, KEY_META);
      start = kernels.scratch(START, 4L * n, "probe rows' build runs");
      offsets = kernels.scratch(OFFSETS, 8L * n, "probe rows' candidate pairs");
      flag = kernels.scratch(FLAG, n, "probe rows matched");
      kernels.zero(flag, n);
      kernels.launch(
          "join_probe",
          n,
          Pointer.to(k[0]),
          Pointer.to(k[1]),
          Pointer.to(new int[] {keys.count()}),
          Pointer.to(new long[] {n}),
          Pointer.to(build.state()),
          Pointer.to(build.tableKeys()),
          Pointer.to(build.runStart()),
          Pointer.to(build.runEnd()),
          Pointer.to(new long[] {build.capacity()}),
          Pointer.to(start),
          Pointer.to(offsets),
          condition == null ? Pointer.to(flag) : NULL);
      candidates = scan(offsets, n);
    }

    /** The next output batch of this morsel, or null when it is done. */
    VectorSchemaRoot next(int maxRows) {
      boolean pairsOut = plan.type().outputsRight();
      boolean pairsMark = condition != null || buildTracked;
      while (cursor < candidates && (pairsOut || pairsMark)) {
        int m = (int) Math.min(pairsOut ? maxRows : MARK_CHUNK, candidates - cursor);
        CUdeviceptr p = kernels.scratch(PAIR_PROBE, 4L * m, "join pairs: probe rows");
        CUdeviceptr b = kernels.scratch(PAIR_BUILD, 4L * m, "join pairs: build rows");
        kernels.launch(
            "join_expand",
            m,
            Pointer.to(offsets),
            Pointer.to(start),
            Pointer.to(new long[] {n}),
            Pointer.to(new long[] {cursor}),
            Pointer.to(new long[] {m}),
            Pointer.to(build.sortedRows()),
            Pointer.to(p),
            Pointer.to(b));
        cursor += m;
        CUdeviceptr selection = condition == null ? null : evaluateCondition(m, p, b);
        CUdeviceptr keep =
            selection != null && pairsOut ? kernels.scratch(KEEP, 8L * m, "join pairs kept") : null;
        if (selection != null || buildTracked) {
          kernels.launch(
              "join_mark",
              m,
              selection == null ? NULL : Pointer.to(selection),
              Pointer.to(new long[] {m}),
              Pointer.to(p),
              Pointer.to(b),
              condition == null ? NULL : Pointer.to(flag),
              buildTracked ? Pointer.to(build.matched()) : NULL,
              keep == null ? NULL : Pointer.to(keep));
        }
        if (!pairsOut) {
          continue;
        }
        int rows = m;
        if (keep != null) {
          CUdeviceptr pos = kernels.scratch(WANT, 8L * m, "join pair positions");
          JCudaDriver.cuMemcpyDtoDAsync(pos, keep, 8L * m, kernels.stream);
          rows = (int) scan(pos, m);
          if (rows == 0) {
            continue;
          }
          CUdeviceptr p2 = kernels.scratch(KEPT_PROBE, 4L * rows, "join pairs kept: probe rows");
          CUdeviceptr b2 = kernels.scratch(KEPT_BUILD, 4L * rows, "join pairs kept: build rows");
          kernels.launch(
              "join_compact_pairs",
              m,
              Pointer.to(keep),
              Pointer.to(pos),
              Pointer.to(new long[] {m}),
              Pointer.to(p),
              Pointer.to(b),
              Pointer.to(p2),
              Pointer.to(b2));
          p = p2;
          b = b2;
        }
        return emit(rows, p, b, null, null, probeColumns, batchRow);
      }
      if (alone == null) {
        JoinType type = plan.type();
        int want;
        if (probePreserved) {
          want = 0;
        } else if (probeSide == 0 && !type.outputsRight()) {
          want = type == JoinType.EXISTENCE ? -1 : type == JoinType.LEFT_SEMI ? 1 : 0;
        } else {
          return null;
        }
        alone = list(flag, n, want);
      }
      int m = alone.take(maxRows);
      if (m == 0) {
        return null;
      }
      CUdeviceptr idx = alone.current();
      return emit(m, idx, null, flag, idx, probeColumns, batchRow);
    }

    /** The condition over pairs [0, m) as a selection bitmap (set where TRUE). */
    private CUdeviceptr evaluateCondition(int m, CUdeviceptr p, CUdeviceptr b) {
      int leftSize = plan.left().size();
      List<DeviceColumn> inputs = new ArrayList<>();
      for (int i = 0; i < leftSize + plan.right().size(); i++) {
        inputs.add(null);
      }
      for (int j = 0; j < conditionReads.length; j++) {
        int ordinal = conditionReads[j];
        int side = ordinal < leftSize ? 0 : 1;
        int sideOrdinal = side == 0 ? ordinal : ordinal - leftSize;
        boolean fromProbe = side == probeSide;
        DeviceColumn src = fromProbe ? probeColumns.get(sideOrdinal) : build.column(sideOrdinal);
        long valueBytes = src.typeWidth() == 0 ? (m + 7L) / 8 : (long) m * src.typeWidth();
        CUdeviceptr values =
            kernels.scratch(CONDITION + 2 * j, Math.max(8, valueBytes), "condition input");
        CUdeviceptr validity =
            kernels.scratch(CONDITION + 2 * j + 1, Math.max(8, (m + 7L) / 8), "condition input");
        gather(src, fromProbe ? p : b, m, values, validity);
        inputs.set(ordinal, new DeviceColumn(src.name(), m, src.typeWidth(), validity, values));
      }
      return condition.evaluate(inputs, m, kernels.stream).selection(0);
    }

    @Override
    public void close() {
      transfer.close();
    }
  }

  private void gather(
      DeviceColumn src, CUdeviceptr idx, int m, CUdeviceptr values, CUdeviceptr validity) {
    kernels.launch(
        "join_gather",
        (m + 7L) / 8,
        Pointer.to(src.values()),
        Pointer.to(src.validity()),
        Pointer.to(new int[] {src.typeWidth()}),
        Pointer.to(idx),
        Pointer.to(new long[] {m}),
        Pointer.to(values),
        Pointer.to(validity));
  }

  /**
   * An output batch of {@code m} rows: probe columns from {@code probeIdx} rows of {@code
   * probeColumns}, build columns from {@code buildIdx} rows of the build (a null index: all NULL),
   * the existence flag from {@code flag[flagIdx]}. String columns are gathered on the host: probe
   * rows from the current probe batch (the morsel's rows start at its row {@code batchRow}), build
   * rows from the build's host vectors.
   */
  private VectorSchemaRoot emit(
      int m,
      CUdeviceptr probeIdx,
      CUdeviceptr buildIdx,
      CUdeviceptr flag,
      CUdeviceptr flagIdx,
      List<DeviceColumn> probeColumns,
      long batchRow) {
    int count = columns.outSide.length;
    CUdeviceptr[] values = new CUdeviceptr[count];
    CUdeviceptr[] validity = new CUdeviceptr[count];
    long validityBytes = (m + 7L) / 8;
    for (int c = 0; c < count; c++) {
      int side = columns.outSide[c];
      if (isHost(c)) {
        continue; // gathered on the host below
      }
      int width = side == 2 ? 0 : DeviceColumn.widthOf(columns.outType[c]);
      long valueBytes = width == 0 ? validityBytes : (long) m * width;
      if (side == 2) {
        values[c] = kernels.scratch(OUTPUT + 2 * c, valueBytes, "join output");
        validity[c] = kernels.scratch(OUTPUT + 2 * c + 1, validityBytes, "join output");
        kernels.launch(
            "join_gather_flag",
            validityBytes,
            Pointer.to(flag),
            Pointer.to(flagIdx),
            Pointer.to(new long[] {m}),
            Pointer.to(values[c]),
            Pointer.to(validity[c]));
        continue;
      }
      boolean fromProbe = side == probeSide;
      CUdeviceptr idx = fromProbe ? probeIdx : buildIdx;
      if (idx == null) {
        continue; // all NULL
      }
      int ordinal = columns.outOrdinal[c];
      DeviceColumn src = fromProbe ? probeColumns.get(ordinal) : build.column(ordinal);
      values[c] = kernels.scratch(OUTPUT + 2 * c, valueBytes, "join output");
      validity[c] = kernels.scratch(OUTPUT + 2 * c + 1, validityBytes, "join output");
      gather(src, idx, m, values[c], validity[c]);
    }
    kernels.sync("gather a GPU join output batch");
    int[] probeRowsHost = hostOutput && probeIdx != null ? downloadInts(probeIdx, m) : null;
    int[] buildRowsHost = hostOutput && buildIdx != null ? downloadInts(buildIdx, m) : null;
    VectorSchemaRoot root =
        VectorSchemaRoot.create(ArrowSchemas.arrowSchema(plan.output()), allocator);
    try {
      for (int c = 0; c < count; c++) {
        FieldVector v = root.getVector(c);
        if (isHost(c)) {
          gatherOnHost(c, v, m, probeRowsHost, buildRowsHost, batchRow);
          continue;
        }
        ((BaseFixedWidthVector) v).allocateNew(m);
        v.getValidityBuffer().setZero(0, v.getValidityBuffer().capacity());
        if (values[c] != null) {
          int width = columns.outSide[c] == 2 ? 0 : DeviceColumn.widthOf(columns.outType[c]);
          long valueBytes = width == 0 ? validityBytes : (long) m * width;
          JCudaDriver.cuMemcpyDtoH(
              Pointer.to(v.getDataBuffer().nioBuffer(0, (int) valueBytes)), values[c], valueBytes);
          JCudaDriver.cuMemcpyDtoH(
              Pointer.to(v.getValidityBuffer().nioBuffer(0, (int) validityBytes)),
              validity[c],
              validityBytes);
        }
        v.setValueCount(m);
      }
      root.setRowCount(m);
      return root;
    } catch (CudaException e) {
      root.close();
      throw build.device.error("copy a GPU join output batch back", e);
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  private boolean isHost(int c) {
    return columns.outSide[c] != 2
        && columns.outType[c].kind() == dev.trueno.core.types.TypeKind.STRING;
  }

  private int[] downloadInts(CUdeviceptr source, int m) {
    int[] out = new int[m];
    try {
      JCudaDriver.cuMemcpyDtoH(Pointer.to(out), source, 4L * m);
    } catch (CudaException e) {
      throw build.device.error("copy GPU join row numbers back", e);
    }
    return out;
  }

  /** Output column {@code c}, a string column, copied row by row from the host vectors. */
  private void gatherOnHost(
      int c, FieldVector out, int m, int[] probeRowsHost, int[] buildRowsHost, long batchRow) {
    boolean fromProbe = columns.outSide[c] == probeSide;
    int[] idx = fromProbe ? probeRowsHost : buildRowsHost;
    int ordinal = columns.outOrdinal[c];
    BaseVariableWidthVector target = (BaseVariableWidthVector) out;
    target.allocateNew(m);
    if (idx != null) {
      int[] at = new int[1];
      for (int i = 0; i < m; i++) {
        int r = idx[i];
        if (r < 0) {
          continue; // allocateNew left the row NULL
        }
        if (fromProbe) {
          target.copyFromSafe((int) (batchRow + r), i, batch.getVector(ordinal));
        } else {
          FieldVector source = build.hostColumn(ordinal, r, at);
          target.copyFromSafe(at[0], i, source);
        }
      }
    }
    target.setValueCount(m);
  }

  @Override
  public long probeRows() {
    return probeRows;
  }

  @Override
  public void close() {
    RuntimeException first = null;
    while (!pending.isEmpty()) {
      pending.poll().close();
    }
    List<AutoCloseable> all = new ArrayList<>();
    all.add(work);
    all.add(queue);
    all.add(pager);
    all.add(condition);
    all.add(keys);
    all.add(kernels);
    for (AutoCloseable c : all) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      } catch (Exception e) {
        first = first == null ? new RuntimeException(e) : first;
      }
    }
    work = null;
    if (first != null) {
      throw first;
    }
  }
}
