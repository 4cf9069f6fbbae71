package dev.trueno.gpu.agg;

import dev.trueno.core.error.TruenoException;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * The groups of one aggregation in device memory, kept across morsels: an open-addressing table
 * (linear probing, power-of-two capacity) of the groups' keys, first rows and accumulators (layout
 * in src/main/cuda/hash_aggregate.cu).
 *
 * <p>The table holds at most half its capacity: {@code agg_find} refuses to claim a slot beyond
 * that, so probing always ends; refused rows are placed after the table grew ({@code agg_rehash}
 * into one four times larger) by running {@code agg_find} again over the rows without a slot.
 */
final class DeviceHashTable implements AutoCloseable {
  static final long INITIAL_CAPACITY = 1 << 16;

  private final DeviceKernels k;
  private final int numKeys;
  private final long[] accInit;
  private long capacity;
  private Buffers table;
  private long groups;

  /** One table's device buffers. */
  private record Buffers(
      DeviceBuffer state,
      DeviceBuffer keys,
      DeviceBuffer nulls,
      DeviceBuffer first,
      DeviceBuffer acc,
      DeviceBuffer count)
      implements AutoCloseable {
    @Override
    public void close() {
      for (DeviceBuffer b : new DeviceBuffer[] {state, keys, nulls, first, acc, count}) {
        if (b != null) {
          b.close();
        }
      }
    }
  }

  DeviceHashTable(DeviceKernels kernels, int numKeys, long[] accInit) {
    this.k = kernels;
    this.numKeys = numKeys;
    this.accInit = accInit.clone();
    this.capacity = INITIAL_CAPACITY;
    this.table = allocate(capacity);
  }

  /** The number of groups after the last {@link #find}. */
  long groups() {
    return groups;
  }

  long capacity() {
    return capacity;
  }

  private Buffers allocate(long cap) {
    DeviceMemoryPool pool = k.pool;
    DeviceBuffer state = null;
    DeviceBuffer keys = null;
    DeviceBuffer nulls = null;
    DeviceBuffer first = null;
    DeviceBuffer acc = null;
    DeviceBuffer count = null;
    String what = "hash table of " + cap + " slots";
    try {
      state = pool.allocate(cap * 4, what + ": slot states");
      keys = pool.allocate(Math.max(8, cap * 8 * numKeys), what + ": keys");
      nulls = pool.allocate(cap * 4, what + ": null keys");
      first = pool.allocate(cap * 8, what + ": first rows");
      acc = pool.allocate(Math.max(8, cap * 8 * accInit.length), what + ": accumulators");
      count = pool.allocate(8, what + ": group count");
      Buffers b = new Buffers(state, keys, nulls, first, acc, count);
      CUdeviceptr init = k.scratch(Slots.ACC_INIT, Math.max(8, accInit.length * 8L), "inits");
      k.upload(accInit, init);
      k.zero(count.pointer(), 8);
      k.launch(
          "agg_table_init",
          cap,
          Pointer.to(state.pointer()),
          Pointer.to(first.pointer()),
          Pointer.to(acc.pointer()),
          Pointer.to(init),
          Pointer.to(new int[] {accInit.length}),
          Pointer.to(new long[] {cap}));
      return b;
    } catch (RuntimeException e) {
      new Buffers(state, keys, nulls, first, acc, count).close();
      throw e;
    }
  }

  /**
   * Gives each of {@code rows} rows its slot in {@code gid} (which must hold -1 for every row),
   * creating groups and growing the table as needed. When the table cannot grow, some rows of the
   * morsel may have created groups (with untouched accumulators and this morsel's first rows), but
   * no accumulator was updated.
   *
   * @param columns device array of the needed columns' pointers ({@link Slots#COLUMNS})
   * @param meta device array of the needed columns' widths and kinds
   * @param keyColumns device array of the key columns' indexes into the needed columns
   * @param rowBase the input row of the morsel's first row (groups remember their first row)
   * @throws TruenoException MEMORY_EXHAUSTED when the table cannot grow within the pool
   */
  void find(
      CUdeviceptr columns,
      CUdeviceptr meta,
      CUdeviceptr keyColumns,
      long rows,
      long rowBase,
      CUdeviceptr gid) {
    CUdeviceptr refused = k.scratch(Slots.REFUSED, 8, "refused rows");
    while (true) {
      k.zero(refused, 8);
      k.launch(
          "agg_find",
          rows,
          Pointer.to(columns),
          Pointer.to(meta),
          Pointer.to(keyColumns),
          Pointer.to(new int[] {numKeys}),
          Pointer.to(new long[] {rows}),
          Pointer.to(table.state.pointer()),
          Pointer.to(table.keys.pointer()),
          Pointer.to(table.nulls.pointer()),
          Pointer.to(table.first.pointer()),
          Pointer.to(table.count.pointer()),
          Pointer.to(new long[] {capacity / 2}),
          Pointer.to(new long[] {capacity}),
          Pointer.to(new long[] {rowBase}),
          Pointer.to(gid),
          Pointer.to(refused));
      long refusedRows = k.download(refused, 1)[0];
      groups = k.download(table.count.pointer(), 1)[0];
      if (refusedRows == 0) {
        return;
      }
      grow(Math.max(capacity * 4, Long.highestOneBit(Math.max(1, groups)) * 4));
      // Slots moved: every row of the morsel finds its group again (creating none twice).
      jcuda.driver.JCudaDriver.cuMemsetD32Async(gid, -1, rows, k.stream);
    }
  }

  private void grow(long newCapacity) {
    Buffers bigger = allocate(newCapacity);
    k.launch(
        "agg_rehash",
        capacity,
        Pointer.to(table.state.pointer()),
        Pointer.to(table.keys.pointer()),
        Pointer.to(table.nulls.pointer()),
        Pointer.to(table.first.pointer()),
        Pointer.to(table.acc.pointer()),
        Pointer.to(new long[] {capacity}),
        Pointer.to(new int[] {numKeys}),
        Pointer.to(new int[] {accInit.length}),
        Pointer.to(bigger.state.pointer()),
        Pointer.to(bigger.keys.pointer()),
        Pointer.to(bigger.nulls.pointer()),
        Pointer.to(bigger.first.pointer()),
        Pointer.to(bigger.acc.pointer()),
        Pointer.to(bigger.count.pointer()),
        Pointer.to(new long[] {newCapacity}));
    k.sync("grow the GPU hash table");
    table.close();
    table = bigger;
    capacity = newCapacity;
  }

  CUdeviceptr accumulators() {
    return table.acc.pointer();
  }

  /**
   * Every group as a row of {@code 2 + keys + accumulators} longs: first row, null-key mask, keys,
   * accumulators; in no particular order.
   */
  long[][] download() {
    int width = 2 + numKeys + accInit.length;
    long total = groups * width;
    if (groups == 0) {
      return new long[width][0];
    }
    CUdeviceptr out = k.scratch(Slots.COMPACT, total * 8, "groups copied back");
    CUdeviceptr counter = k.scratch(Slots.REFUSED, 8, "group counter");
    k.zero(counter, 8);
    k.launch(
        "agg_compact",
        capacity,
        Pointer.to(table.state.pointer()),
        Pointer.to(table.keys.pointer()),
        Pointer.to(table.nulls.pointer()),
        Pointer.to(table.first.pointer()),
        Pointer.to(table.acc.pointer()),
        Pointer.to(new int[] {numKeys}),
        Pointer.to(new int[] {accInit.length}),
        Pointer.to(new long[] {capacity}),
        Pointer.to(counter),
        Pointer.to(out));
    int g = Math.toIntExact(groups);
    long[][] columns = new long[width][g];
    // Copy back in pieces of at most 4M groups, transposing to column-major on the way.
    int piece = Math.max(1, (4 << 20) / width);
    for (int from = 0; from < g; from += piece) {
      int n = Math.min(piece, g - from);
      long[] rows = k.download(out.withByteOffset((long) from * width * 8), n * width);
      for (int r = 0; r < n; r++) {
        for (int c = 0; c < width; c++) {
          columns[c][from + r] = rows[r * width + c];
        }
      }
    }
    return columns;
  }

  @Override
  public void close() {
    if (table != null) {
      try {
        k.sync("wait before freeing the GPU hash table");
      } finally {
        table.close();
        table = null;
      }
    }
  }
}
