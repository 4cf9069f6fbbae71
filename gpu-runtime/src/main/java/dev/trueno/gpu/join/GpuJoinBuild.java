package dev.trueno.gpu.join;

import dev.trueno.core.backend.JoinBuild;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import dev.trueno.core.morsel.MorselPager;
import dev.trueno.core.plan.JoinPlan;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.gpu.agg.DeviceKernels;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import dev.trueno.gpu.transfer.DeviceColumn;
import dev.trueno.gpu.transfer.Transfer;
import dev.trueno.gpu.transfer.TransferQueue;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.util.TransferPair;

/**
 * The build side of a GPU hash join, kept in device memory: the build columns the join reads or
 * outputs, and a hash table of the distinct non-NULL keys, each with the run of its build rows in
 * row order (kernels in src/main/cuda/joins.cu).
 *
 * <p>{@link #add} takes the needed columns over into a {@link MorselPager} (host memory, no copy),
 * keeps string columns (output only) on the host for the probe to gather there, and checks that the
 * finished build fits its budget, failing with MEMORY_EXHAUSTED before it holds more. {@link
 * #finish} sends the morsels through a {@link TransferQueue} (the copy of morsel n + 1 overlaps the
 * kernels on morsel n), appends them to the retained device columns, inserts their keys, sorts
 * (slot, row) pairs so that each key's rows form one run, and frees the host copies. Knowing the
 * row count before anything is allocated on the device sizes every buffer exactly once.
 */
public final class GpuJoinBuild implements JoinBuild {
  // Scratch slots of the build's kernels.
  private static final int KEY_POINTERS = 0;
  private static final int KEY_META = 1;
  private static final int ROW_SLOT = 2;
  private static final int SORT = 3;

  final JoinPlan plan;
  final JoinColumns columns;
  final CudaDevice device;
  final DeviceMemoryPool pool;
  final GpuSettings settings;
  private final PinnedMemoryPool pinned;
  private final long budgetBytes;
  private final int side;
  private final List<Field> fields;
  private final List<Integer> needed;
  private final List<Integer> hostColumns;
  private final List<FieldVector[]> hostBatches = new ArrayList<>();
  private final List<Long> hostStarts = new ArrayList<>();
  private long[] hostStartArray;
  private long hostBytes;
  private final BufferAllocator allocator;
  private final DeviceKernels kernels;
  private final JoinKeys keys;
  private MorselPager pager;
  private final List<Morsel> morsels = new ArrayList<>();
  private long rows;
  private boolean finished;
  private boolean closed;
  private final java.util.concurrent.atomic.AtomicBoolean probed =
      new java.util.concurrent.atomic.AtomicBoolean();

  // The finished build (device memory).
  private final List<DeviceBuffer> held = new ArrayList<>();
  private DeviceColumn[] retained;
  private DeviceBuffer state;
  private DeviceBuffer tableKeys;
  private DeviceBuffer runStart;
  private DeviceBuffer runEnd;
  private DeviceBuffer sortedRows;
  private DeviceBuffer matched;
  private long capacity;

  /**
   * A build for {@code plan}, which {@link JoinSupport} accepted, copying input by DMA from the
   * executor's pinned pool when it has started.
   */
  public GpuJoinBuild(
      JoinPlan plan,
      CudaDevice device,
      DeviceMemoryPool pool,
      BufferAllocator allocator,
      long budgetBytes,
      GpuSettings settings) {
    this(plan, device, pool, allocator, budgetBytes, settings, null);
  }

  /**
   * A build as above whose input buffers in {@code pinned} (and those of its probes) are copied by
   * DMA as they are; null: the executor's pinned pool if it has started ({@link
   * GpuBackend#pinnedPoolIfStarted}).
   */
  public GpuJoinBuild(
      JoinPlan plan,
      CudaDevice device,
      DeviceMemoryPool pool,
      BufferAllocator allocator,
      long budgetBytes,
      GpuSettings settings,
      PinnedMemoryPool pinned) {
    this.pinned = pinned;
    String reason = JoinSupport.unsupportedReason(plan);
    if (reason != null) {
      throw new TruenoException(ErrorCode.UNSUPPORTED, "GPU hash join: " + reason);
    }
    this.plan = plan;
    this.columns = new JoinColumns(plan);
    this.device = device;
    this.pool = pool;
    this.settings = settings;
    this.budgetBytes = budgetBytes;
    this.side = JoinColumns.buildSide(plan);
    this.fields = plan.buildFields();
    this.needed = side == 0 ? columns.leftNeeded : columns.rightNeeded;
    this.hostColumns = side == 0 ? columns.leftHost : columns.rightHost;
    this.allocator = allocator;
    DeviceKernels k = new DeviceKernels(device, pool);
    try {
      this.keys = new JoinKeys(plan.buildKeys(), fields, device, pool);
      this.pager = new MorselPager(allocator, needed, settings.morselBytes());
    } catch (RuntimeException e) {
      k.close();
      throw e;
    }
    this.kernels = k;
  }

  /** The pinned pool whose buffers this build's and its probes' transfers copy as they are. */
  PinnedMemoryPool pinnedPool() {
    return pinned != null ? pinned : GpuBackend.pinnedPoolIfStarted();
  }

  @Override
  public void add(VectorSchemaRoot batch) {
    if (finished || closed) {
      throw new TruenoException(ErrorCode.INTERNAL, "Cannot add build rows to a finished build");
    }
    int n = batch.getRowCount();
    if (n == 0) {
      return;
    }
    long total = rows + n;
    long batchHostBytes = 0;
    for (int ordinal : hostColumns) {
      batchHostBytes += batch.getVector(ordinal).getBufferSize();
    }
    long deviceNeed = finishedBytes(total);
    long need = deviceNeed + hostBytes + batchHostBytes;
    if (total >= Integer.MAX_VALUE || need > budgetBytes) {
      throw new TruenoException(
          ErrorCode.MEMORY_EXHAUSTED,
          "GPU join build of "
              + total
              + " rows would hold about "
              + need
              + " bytes of device memory, over its memory budget of "
              + budgetBytes
              + " bytes (partition the build side or raise the join's memory budget)");
    }
    long room = pool.budgetBytes() - pool.usedBytes();
    // finish() also needs, for a while, the sort of (slot, row) pairs and the transfer buffers.
    long peak = deviceNeed + transientBytes(total);
    if (peak > room) {
      throw new TruenoException(
          ErrorCode.MEMORY_EXHAUSTED,
          "GPU join build of "
              + total
              + " rows would need about "
              + peak
              + " bytes of device memory while it is finished, but GPU memory pool '"
              + pool.name()
              + "' has only "
              + room
              + " bytes free (partition the build side or raise the GPU memory budget)");
    }
    if (!hostColumns.isEmpty()) {
      // String columns stay on the host (gathered there for output); taken over without a copy.
      FieldVector[] kept = new FieldVector[fields.size()];
      for (int ordinal : hostColumns) {
        TransferPair pair = batch.getVector(ordinal).getTransferPair(allocator);
        pair.transfer();
        kept[ordinal] = (FieldVector) pair.getTo();
      }
      hostBatches.add(kept);
      hostStarts.add(rows);
      hostBytes += batchHostBytes;
    }
    morsels.addAll(pager.add(batch));
    rows = total;
  }

  /** The device bytes a finished build of {@code n} rows holds. */
  long finishedBytes(long n) {
    long bytes = 0;
    for (int ordinal : needed) {
      int w = DeviceColumn.widthOf(fields.get(ordinal).type());
      bytes += bitsOrBytes(w, n) + bitsOrBytes(0, n);
    }
    long cap = capacityFor(n);
    bytes += cap * (4L + 8L * keys.count() + 8L); // state, keys, run start and end
    bytes += 4L * Math.max(1, n); // build row of each sorted entry
    if (plan.tracksBuildMatches()) {
      bytes += Math.max(1, n);
    }
    return bytes;
  }

  /** Device bytes {@link #finish} holds only while it runs: sort keys, row slots, transfers. */
  private long transientBytes(long n) {
    long padded = Long.highestOneBit(Math.max(1, n - 1)) << 1;
    long columnBytes = 0;
    for (int ordinal : needed) {
      int w = DeviceColumn.widthOf(fields.get(ordinal).type());
      columnBytes += bitsOrBytes(w, n) + bitsOrBytes(0, n);
    }
    long transfers = settings.maxInFlight() * Math.min(settings.morselBytes(), columnBytes);
    return 8 * padded + 4 * n + transfers;
  }

  private static long bitsOrBytes(int width, long n) {
    return width == 0 ? Math.max(8, (n + 63) / 64 * 8) : Math.max(8, n * width);
  }

  /** A power of two at least twice the rows, so that linear probing stays short. */
  private static long capacityFor(long n) {
    return Math.max(1024, Long.highestOneBit(Math.max(1, 2 * n - 1)) << 1);
  }

  @Override
  public void finish() {
    if (finished) {
      return;
    }
    finished = true;
    hostStartArray = hostStarts.stream().mapToLong(Long::longValue).toArray();
    pager.flush().ifPresent(morsels::add);
    pager.close();
    pager = null;
    device.makeCurrent();
    int n = Math.toIntExact(rows);
    allocateDevice(n);
    PinnedMemoryPool pinned = pinnedPool();
    int maxInFlight = settings.maxInFlight();
    try (TransferQueue queue =
        pinned == null
            ? TransferQueue.open(device, pool, maxInFlight)
            : TransferQueue.open(device, pool, pinned, maxInFlight)) {
      CUdeviceptr rowSlot = kernels.scratch(ROW_SLOT, Math.max(4, 4L * n), "build row slots");
      long base = 0;
      int next = 0;
      int submitted = 0;
      while (next < morsels.size() || submitted > 0) {
        while (next < morsels.size() && queue.outstanding() < maxInFlight) {
          Morsel m = morsels.set(next++, null); // the queue owns it now
          queue.submit(m);
          submitted++;
        }
        try (Transfer t = queue.take()) {
          submitted--;
          appendMorsel(t, base, rowSlot);
          base += t.rowCount();
        }
      }
      queue.finish();
      morsels.clear();
      sortRuns(n, rowSlot);
      kernels.sync("build the GPU join's hash table");
    } finally {
      for (Morsel m : morsels) {
        if (m != null) {
          m.close();
        }
      }
      morsels.clear();
      kernels.releaseScratch();
    }
  }

  private DeviceBuffer own(long bytes, String purpose) {
    DeviceBuffer b = pool.allocate(Math.max(8, bytes), "join build: " + purpose);
    held.add(b);
    return b;
  }

  private void allocateDevice(int n) {
    retained = new DeviceColumn[fields.size()];
    for (int ordinal : needed) {
      Field f = fields.get(ordinal);
      int w = DeviceColumn.widthOf(f.type());
      DeviceBuffer values = own(bitsOrBytes(w, n), "column " + f.name());
      DeviceBuffer validity = own(bitsOrBytes(0, n), "validity of column " + f.name());
      retained[ordinal] = new DeviceColumn(f.name(), n, w, validity.pointer(), values.pointer());
    }
    capacity = capacityFor(n);
    state = own(4 * capacity, "hash table slot states");
    tableKeys = own(8 * capacity * keys.count(), "hash table keys");
    runStart = own(4 * capacity, "hash table runs");
    runEnd = own(4 * capacity, "hash table runs");
    sortedRows = own(4L * n, "build rows by key");
    if (plan.tracksBuildMatches()) {
      matched = own(n, "matched build rows");
      kernels.zero(matched.pointer(), Math.max(8, n));
    }
    kernels.launch(
        "join_table_init",
        capacity,
        Pointer.to(state.pointer()),
        Pointer.to(runStart.pointer()),
        Pointer.to(runEnd.pointer()),
        Pointer.to(new long[] {capacity}));
  }

  private void appendMorsel(Transfer t, long base, CUdeviceptr rowSlot) {
    t.awaitOn(kernels.stream);
    int n = t.rowCount();
    List<DeviceColumn> arrived = t.columns();
    List<DeviceColumn> byOrdinal = new ArrayList<>();
    for (int i = 0; i < fields.size(); i++) {
      byOrdinal.add(null);
    }
    for (int c = 0; c < needed.size(); c++) {
      int ordinal = needed.get(c);
      DeviceColumn src = arrived.get(c);
      byOrdinal.set(ordinal, src);
      DeviceColumn dst = retained[ordinal];
      kernels.launch(
          "join_retain",
          (n + 7L) / 8 + 1,
          Pointer.to(src.values()),
          Pointer.to(src.validity()),
          Pointer.to(new int[] {dst.typeWidth()}),
          Pointer.to(new long[] {n}),
          Pointer.to(new long[] {base}),
          Pointer.to(dst.values()),
          Pointer.to(dst.validity()));
    }
    CUdeviceptr[] k = keys.prepare(kernels, byOrdinal, n, KEY_POINTERS, KEY_META);
    kernels.launch(
        "join_insert",
        n,
        Pointer.to(k[0]),
        Pointer.to(k[1]),
        Pointer.to(new int[] {keys.count()}),
        Pointer.to(new long[] {n}),
        Pointer.to(new long[] {base}),
        Pointer.to(state.pointer()),
        Pointer.to(tableKeys.pointer()),
        Pointer.to(new long[] {capacity}),
        Pointer.to(rowSlot));
    // The transfer closes after this: the next copy into its buffers waits for these kernels.
  }

  /** Sorts (slot, row) so that each key's rows are one run in row order (NULL keys last). */
  private void sortRuns(int n, CUdeviceptr rowSlot) {
    if (n == 0) {
      return;
    }
    CUdeviceptr sort = kernels.sortRowsById(rowSlot, n, SORT, "build rows sorted by key");
    kernels.launch(
        "join_ranges",
        n,
        Pointer.to(sort),
        Pointer.to(new long[] {n}),
        Pointer.to(runStart.pointer()),
        Pointer.to(runEnd.pointer()),
        Pointer.to(sortedRows.pointer()));
  }

  /**
   * Registers a probe: a build that tracks matches (its match flags are written by the probe) has
   * exactly one.
   */
  void registerProbe() {
    if (probed.getAndSet(true) && plan.tracksBuildMatches()) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "A GPU join build that tracks build matches ("
              + plan.type()
              + ", build "
              + plan.buildSide()
              + ") can have only one probe");
    }
  }

  void checkFinished() {
    if (!finished || closed) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "A GPU join build must be finished (and open) before it is probed");
    }
  }

  /** The retained build column {@code ordinal} (a column the join reads or outputs). */
  DeviceColumn column(int ordinal) {
    return retained[ordinal];
  }

  CUdeviceptr state() {
    return state.pointer();
  }

  CUdeviceptr tableKeys() {
    return tableKeys.pointer();
  }

  CUdeviceptr runStart() {
    return runStart.pointer();
  }

  CUdeviceptr runEnd() {
    return runEnd.pointer();
  }

  CUdeviceptr sortedRows() {
    return sortedRows.pointer();
  }

  /** One byte per build row, set once a probe row matched it; null unless the plan tracks them. */
  CUdeviceptr matched() {
    return matched == null ? null : matched.pointer();
  }

  long capacity() {
    return capacity;
  }

  int keyCount() {
    return keys.count();
  }

  /**
   * The host vector holding string column {@code ordinal} of build row {@code row}, and the row
   * within it (in {@code at[0]}).
   */
  FieldVector hostColumn(int ordinal, int row, int[] at) {
    int b = java.util.Arrays.binarySearch(hostStartArray, row);
    if (b < 0) {
      b = -b - 2;
    }
    // Batches of 0 rows are never kept, so the batch starting at or before the row holds it.
    at[0] = (int) (row - hostStartArray[b]);
    return hostBatches.get(b)[ordinal];
  }

  /** The type of build column {@code ordinal}. */
  DataType type(int ordinal) {
    return fields.get(ordinal).type();
  }

  @Override
  public long rowCount() {
    return rows;
  }

  @Override
  public long sizeBytes() {
    if (!finished) {
      return finishedBytes(rows) + hostBytes;
    }
    long bytes = hostBytes;
    for (DeviceBuffer b : held) {
      bytes += b.bytes();
    }
    return bytes;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException first = null;
    for (Morsel m : morsels) {
      if (m != null) {
        m.close();
      }
    }
    morsels.clear();
    List<AutoCloseable> all = new ArrayList<>();
    for (FieldVector[] kept : hostBatches) {
      for (FieldVector v : kept) {
        all.add(v);
      }
    }
    hostBatches.clear();
    all.add(pager);
    all.add(keys);
    all.add(kernels); // waits for the stream before the buffers below are freed
    all.addAll(held);
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
    held.clear();
    if (first != null) {
      throw first;
    }
  }
}
