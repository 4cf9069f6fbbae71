package dev.trueno.gpu.agg;

import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import dev.trueno.core.morsel.MorselPager;
import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.expr.DeviceExpr;
import dev.trueno.gpu.expr.DeviceExprEvaluator;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.transfer.DeviceColumn;
import dev.trueno.gpu.transfer.Transfer;
import dev.trueno.gpu.transfer.TransferQueue;
import dev.trueno.simd.scalar.ScalarEval;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hash aggregation on the GPU with one device hash table for the whole input.
 *
 * <p>Input batches go through the {@link MorselPager} (only the columns the kernels read, cut into
 * morsels of at most {@code spark.trueno.morselBytes}) and the {@link TransferQueue} (at most
 * {@code spark.trueno.transfer.maxInFlight} copies outstanding, so that the copy of morsel n + 1
 * overlaps the kernels on morsel n). Each morsel's rows find their group in the table ({@link
 * DeviceHashTable}), then the order-independent accumulators are updated with atomics and the
 * order-dependent ones folded in row order per group ({@link GroupedCalls}). At the end the groups
 * come back once, in the order of their first row (as the scalar backend emits them), and each
 * group's accumulators become the aggregation buffer the scalar backend would hold, from which the
 * scalar reference derives the output values: results equal the scalar backend's bit for bit.
 *
 * <p>When the device memory pool has no room for the table to grow, the groups so far come back and
 * the aggregation finishes on the CPU ({@link CpuFinish}), with a warning: slower, same answer.
 */
public final class GpuHashAggregator implements Aggregator {
  private static final Logger LOG = LoggerFactory.getLogger(GpuHashAggregator.class);

  private final AggregatePlan plan;
  private final BufferAllocator allocator;
  private final GroupedCalls calls;
  private final DeviceKernels kernels;
  private final DeviceHashTable table;
  private final MorselPager pager;
  private final TransferQueue queue;
  private final int maxInFlight;
  private final int[] columnMeta;
  private final long[] ansiBound;

  private final CudaDevice device;
  private final DeviceExprEvaluator evaluator;
  private CpuFinish cpu;
  private boolean queueDrained;
  private long inputRows;
  private long rowBase;
  private long submitted;
  private long processed;
  private Results results;

  /**
   * An aggregator for the grouped {@code plan}, which {@link GroupedSupport} accepted, copying
   * input by DMA from the executor's pinned pool when it has started.
   *
   * @param allocator the task's allocator: the input batches come from its root, outputs go to it
   */
  public GpuHashAggregator(
      AggregatePlan plan,
      CudaDevice device,
      DeviceMemoryPool pool,
      BufferAllocator allocator,
      GpuSettings settings) {
    this(plan, device, pool, allocator, settings, null);
  }

  /**
   * An aggregator as above whose input buffers in {@code pinned} are copied by DMA as they are;
   * null: the executor's pinned pool if it has started ({@link GpuBackend#pinnedPoolIfStarted}).
   */
  public GpuHashAggregator(
      AggregatePlan plan,
      CudaDevice device,
      DeviceMemoryPool pool,
      BufferAllocator allocator,
      GpuSettings settings,
      dev.trueno.gpu.memory.PinnedMemoryPool pinnedPool) {
    String reason = GroupedSupport.unsupportedReason(plan);
    if (reason != null) {
      throw new TruenoException(ErrorCode.UNSUPPORTED, "GPU hash aggregation: " + reason);
    }
    this.plan = plan;
    this.allocator = allocator;
    this.device = device;
    this.calls = new GroupedCalls(plan);
    this.maxInFlight = settings.maxInFlight();
    this.ansiBound = new long[calls.ansiSums.size()];
    int transferred = calls.columns.size();
    columnMeta = new int[transferred + calls.exprs.size()];
    for (int c = 0; c < columnMeta.length; c++) {
      DataType type =
          c < transferred
              ? plan.input().get(calls.columns.get(c)).type()
              : calls.exprs.get(c - transferred).type();
      int kind = type.kind() == TypeKind.FLOAT ? 1 : type.kind() == TypeKind.DOUBLE ? 2 : 0;
      columnMeta[c] = DeviceColumn.widthOf(type) | kind << 8;
    }
    DeviceKernels k = new DeviceKernels(device, pool);
    DeviceHashTable t = null;
    MorselPager p = null;
    DeviceExprEvaluator e = null;
    try {
      if (!calls.exprs.isEmpty()) {
        List<DeviceExprEvaluator.Output> outputs = new ArrayList<>();
        for (int i = 0; i < calls.exprs.size(); i++) {
          outputs.add(
              DeviceExprEvaluator.Output.value(
                  "expr" + i, DeviceExpr.compile(calls.exprs.get(i), plan.input())));
        }
        e = new DeviceExprEvaluator(device, pool, outputs);
      }
      t =
          new DeviceHashTable(
              k, calls.keyColumns.length, calls.accInit.stream().mapToLong(x -> x).toArray());
      p = new MorselPager(allocator, calls.columns, settings.morselBytes());
      // With the executor's pinned pool the queue copies pinned Arrow buffers by DMA as they are.
      dev.trueno.gpu.memory.PinnedMemoryPool pinned =
          pinnedPool != null ? pinnedPool : GpuBackend.pinnedPoolIfStarted();
      this.queue =
          pinned == null
              ? TransferQueue.open(device, pool, maxInFlight)
              : TransferQueue.open(device, pool, pinned, maxInFlight);
    } catch (RuntimeException failure) {
      if (p != null) {
        p.close();
      }
      if (t != null) {
        t.close();
      }
      if (e != null) {
        e.close();
      }
      k.close();
      throw failure;
    }
    this.evaluator = e;
    this.kernels = k;
    this.table = t;
    this.pager = p;
  }

  @Override
  public void consume(VectorSchemaRoot batch) {
    if (results != null) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot consume input after the first nextResult call");
    }
    int rows = batch.getRowCount();
    if (rows == 0) {
      return;
    }
    inputRows += rows;
    if (cpu != null) {
      drainQueue();
      flushPagerToCpu();
      cpu.consume(batch);
      return;
    }
    List<Morsel> morsels = pager.add(batch);
    int next = 0;
    try {
      while (next < morsels.size()) {
        Morsel morsel = morsels.get(next++); // handed over: submit or the try below closes it
        if (cpu == null) {
          submit(morsel);
        } else {
          // Rows after the switch keep their order: the queue's morsels first, then this one.
          try (morsel) {
            drainQueue();
            cpu.consume(morsel, calls.columns);
          }
        }
      }
    } finally {
      // An error (an ANSI overflow, a CUDA error) leaves the batch's later morsels to close here.
      for (int i = next; i < morsels.size(); i++) {
        morsels.get(i).close();
      }
    }
  }

  /** Whether the device memory pool ran out and the aggregation finished on the CPU. */
  public boolean finishedOnCpu() {
    return cpu != null;
  }

  private void drainQueue() {
    if (!queueDrained) {
      queueDrained = true;
      queue.finish();
      for (Transfer t = queue.take(); t != null; t = queue.take()) {
        process(t);
      }
    }
  }

  private void flushPagerToCpu() {
    pager
        .flush()
        .ifPresent(
            m -> {
              try (m) {
                cpu.consume(m, calls.columns);
              }
            });
  }

  /** Queues a morsel's copy, then works on the oldest copies while the queue is full. */
  private void submit(Morsel morsel) {
    queue.submit(morsel);
    submitted++;
    while (submitted - processed >= maxInFlight) {
      process(queue.take());
    }
  }

  private void process(Transfer transfer) {
    processed++;
    try (transfer) {
      if (cpu == null) {
        try {
          processOnGpu(transfer);
          return;
        } catch (TruenoException e) {
          if (e.code() != ErrorCode.MEMORY_EXHAUSTED) {
            throw e;
          }
          switchToCpu(e);
        }
      }
      transfer.awaitOnHost();
      cpu.consume(device, transfer.columns(), calls.columns, transfer.rowCount());
    }
  }

  /**
   * The device memory pool has no room for the growing table: the groups so far come back as
   * aggregation buffers and the scalar reference finishes the aggregation on the CPU.
   */
  private void switchToCpu(TruenoException cause) {
    LOG.warn(
        "GPU hash aggregation ran out of device memory after {} input rows and {} groups; finishing"
            + " on the CPU: {}",
        rowBase,
        table.groups(),
        cause.getMessage());
    kernels.releaseScratch(); // room for copying the groups back
    CpuFinish finish = new CpuFinish(plan, allocator);
    finish.seed(table.download(), calls, rowBase);
    kernels.releaseScratch();
    table.close();
    cpu = finish;
  }

  private void processOnGpu(Transfer transfer) {
    {
      transfer.awaitOn(kernels.stream);
      int rows = transfer.rowCount();
      List<DeviceColumn> columns = new ArrayList<>(transfer.columns());
      if (evaluator != null) {
        List<DeviceColumn> byOrdinal = new ArrayList<>();
        for (int i = 0; i < plan.input().size(); i++) {
          byOrdinal.add(null);
        }
        for (int c = 0; c < calls.columns.size(); c++) {
          byOrdinal.set(calls.columns.get(c), columns.get(c));
        }
        columns.addAll(evaluator.evaluate(byOrdinal, rows, kernels.stream).columns());
      }
      CUdeviceptr[] pointers = new CUdeviceptr[2 * columns.size()];
      for (int c = 0; c < columns.size(); c++) {
        if (columns.get(c).typeWidth() != (columnMeta[c] & 0xff)) {
          throw new TruenoException(
              ErrorCode.INTERNAL,
              "Column "
                  + columns.get(c).name()
                  + " arrived with "
                  + columns.get(c).typeWidth()
                  + " bytes per value, expected "
                  + (columnMeta[c] & 0xff));
        }
        pointers[2 * c] = columns.get(c).values();
        pointers[2 * c + 1] = columns.get(c).validity();
      }
      CUdeviceptr cols = kernels.scratch(Slots.COLUMNS, pointers.length * 8L, "column pointers");
      kernels.upload(pointers, cols);
      CUdeviceptr meta = kernels.scratch(Slots.META, columnMeta.length * 4L, "column widths");
      kernels.upload(columnMeta, meta);
      CUdeviceptr keys = kernels.scratch(Slots.KEY_COLUMNS, calls.keyColumns.length * 4L, "keys");
      kernels.upload(calls.keyColumns, keys);
      CUdeviceptr gid = kernels.scratch(Slots.GID, rows * 4L, "group of each row");
      // Every other scratch buffer before the first kernel: once agg_find ran, a failed allocation
      // could leave the morsel half applied, and the CPU could not finish it exactly.
      reserveScratch(rows);
      JCudaDriver.cuMemsetD32Async(gid, -1, rows, kernels.stream);
      table.find(cols, meta, keys, rows, rowBase, gid);

      List<GroupedCalls.Op> updates = new ArrayList<>(calls.updates);
      List<GroupedCalls.Op> folds = new ArrayList<>(calls.folds);
      for (int s = 0; s < calls.ansiSums.size(); s++) {
        GroupedCalls.AnsiSum sum = calls.ansiSums.get(s);
        // Every group's running sum stays within the sum of |x| over all rows so far: while that
        // fits in a long no ANSI addition can overflow, so the atomic (wrapping) sum is exact.
        ansiBound[s] = saturatingAdd(ansiBound[s], absBound(cols, meta, sum.column(), rows));
        if (ansiBound[s] == Long.MAX_VALUE) {
          folds.add(sum.fold());
        } else {
          updates.add(sum.update());
        }
      }
      if (!updates.isEmpty()) {
        CUdeviceptr desc = kernels.scratch(Slots.UPDATES, updates.size() * 12L, "update ops");
        kernels.upload(describe(updates), desc);
        kernels.launch(
            "agg_update",
            rows,
            Pointer.to(cols),
            Pointer.to(meta),
            Pointer.to(desc),
            Pointer.to(new int[] {updates.size()}),
            Pointer.to(new long[] {rows}),
            Pointer.to(gid),
            Pointer.to(table.accumulators()),
            Pointer.to(new long[] {table.capacity()}));
      }
      if (!folds.isEmpty()) {
        fold(cols, meta, gid, rows, folds);
      }
      kernels.sync("aggregate a morsel on the GPU");
      rowBase += rows;
    }
  }

  private void reserveScratch(int rows) {
    int ops = calls.updates.size() + calls.folds.size() + calls.ansiSums.size();
    kernels.scratch(Slots.UPDATES, Math.max(1, ops) * 12L, "update ops");
    kernels.scratch(Slots.FOLDS, Math.max(1, ops) * 12L, "fold ops");
    kernels.scratch(Slots.ERROR_ROW, 8, "first overflowing row");
    kernels.scratch(Slots.BOUND, DeviceKernels.blocks(rows) * 8L, "sum bound");
    if (!calls.folds.isEmpty() || !calls.ansiSums.isEmpty()) {
      long padded = Long.highestOneBit(Math.max(1, rows - 1L)) << 1;
      kernels.scratch(Slots.SORT, padded * 8, "rows sorted by group");
    }
  }

  private static int[] describe(List<GroupedCalls.Op> ops) {
    int[] desc = new int[3 * ops.size()];
    for (int i = 0; i < ops.size(); i++) {
      desc[3 * i] = ops.get(i).op();
      desc[3 * i + 1] = ops.get(i).column();
      desc[3 * i + 2] = ops.get(i).acc();
    }
    return desc;
  }

  /** The saturating sum of |x| over the morsel's non-null values of one integer column. */
  private long absBound(CUdeviceptr cols, CUdeviceptr meta, int column, int rows) {
    int blocks = DeviceKernels.blocks(rows);
    CUdeviceptr out = kernels.scratch(Slots.BOUND, blocks * 8L, "sum bound");
    kernels.launchBlocks(
        "agg_abs_bound",
        blocks,
        Pointer.to(cols),
        Pointer.to(meta),
        Pointer.to(new int[] {column}),
        Pointer.to(new long[] {rows}),
        Pointer.to(out));
    long total = 0;
    for (long b : kernels.download(out, blocks)) {
      // Unsigned per block; anything at or above 2^63 saturates.
      total = saturatingAdd(total, b < 0 ? Long.MAX_VALUE : b);
    }
    return total;
  }

  private static long saturatingAdd(long a, long b) {
    long s = a + b;
    return s < 0 ? Long.MAX_VALUE : Math.min(s, Long.MAX_VALUE);
  }

  /** Sorts the morsel's rows by (group, row) and folds each group's rows in row order. */
  private void fold(
      CUdeviceptr cols, CUdeviceptr meta, CUdeviceptr gid, int rows, List<GroupedCalls.Op> folds) {
    CUdeviceptr sort = kernels.sortRowsById(gid, rows, Slots.SORT, "rows sorted by group");
    CUdeviceptr desc = kernels.scratch(Slots.FOLDS, folds.size() * 12L, "fold ops");
    kernels.upload(describe(folds), desc);
    CUdeviceptr error = kernels.scratch(Slots.ERROR_ROW, 8, "first overflowing row");
    JCudaDriver.cuMemsetD8Async(error, (byte) 0xff, 8, kernels.stream);
    kernels.launch(
        "agg_fold_run",
        rows,
        Pointer.to(cols),
        Pointer.to(meta),
        Pointer.to(desc),
        Pointer.to(new int[] {folds.size()}),
        Pointer.to(sort),
        Pointer.to(new long[] {rows}),
        Pointer.to(table.accumulators()),
        Pointer.to(new long[] {table.capacity()}),
        Pointer.to(new long[] {rowBase}),
        Pointer.to(error));
    if (kernels.download(error, 1)[0] != -1L) {
      throw ScalarEval.longSumOverflow();
    }
  }

  @Override
  public VectorSchemaRoot nextResult(int maxRows) {
    if (maxRows <= 0) {
      throw new TruenoException(ErrorCode.INTERNAL, "maxRows must be positive, was " + maxRows);
    }
    if (results == null && cpu == null) {
      pager.flush().ifPresent(this::submit);
      drainQueue();
      if (cpu == null) {
        results = new Results(table.download());
        kernels.releaseScratch();
      }
    }
    if (cpu != null) {
      drainQueue();
      flushPagerToCpu();
      return cpu.next(maxRows);
    }
    return results.next(maxRows);
  }

  /**
   * The groups, copied back once, emitted in the order of their first row; a keyless aggregation
   * emits one row also for empty input, as Spark does.
   */
  private final class Results {
    private final long[][] groups;
    private final int[] order;
    private int next;
    private boolean emptyGlobalRowDone;
    private final boolean direct = DirectOutput.applies(plan);

    Results(long[][] groups) {
      this.groups = groups;
      this.order = FirstRowOrder.sort(groups[0]);
    }

    VectorSchemaRoot next(int maxRows) {
      if (direct && order.length > 0) {
        if (next >= order.length) {
          return null;
        }
        int n = Math.min(maxRows, order.length - next);
        VectorSchemaRoot out = DirectOutput.batch(plan, calls, groups, order, next, n, allocator);
        next += n;
        return out;
      }
      List<Object[]> rows = new ArrayList<>();
      if (order.length == 0 && plan.groupingKeys().isEmpty() && !emptyGlobalRowDone) {
        emptyGlobalRowDone = true;
        rows.add(OutputRows.row(plan, List.of(), OutputRows.accumulators(plan)));
      }
      int numKeys = calls.keyColumns.length;
      long[] acc = new long[calls.accumulators()];
      for (; rows.size() < maxRows && next < order.length; next++) {
        int g = order[next];
        long nulls = groups[1][g];
        List<Object> keys = new ArrayList<>(numKeys);
        for (int k = 0; k < numKeys; k++) {
          DataType type = calls.keyTypes.get(k);
          keys.add((nulls & (1L << k)) != 0 ? null : GroupedCalls.value(groups[2 + k][g], type));
        }
        for (int a = 0; a < acc.length; a++) {
          acc[a] = groups[2 + numKeys + a][g];
        }
        ScalarEval.Acc[] accs = OutputRows.accumulators(plan);
        for (int c = 0; c < accs.length; c++) {
          accs[c].merge(calls.buffer(c, acc));
        }
        rows.add(OutputRows.row(plan, keys, accs));
      }
      return rows.isEmpty() ? null : OutputRows.batch(plan, rows, allocator);
    }
  }

  @Override
  public long inputRows() {
    return inputRows;
  }

  @Override
  public void close() {
    RuntimeException first = null;
    for (AutoCloseable c : new AutoCloseable[] {queue, pager, table, evaluator, kernels}) {
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
    if (first != null) {
      throw first;
    }
  }
}
