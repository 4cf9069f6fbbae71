package dev.trueno.gpu;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;

/**
 * Runs {@code group_init}, {@code group_update} and {@code group_compact}
 * (src/main/cuda/global_aggregates.cu) over one batch: copies the key and argument columns with
 * their validity to the device, builds a hash table of the batch's groups there and copies back one
 * row per group: the group's first row in the batch and its accumulators.
 *
 * <p>Owns its device scratch buffers (kept and grown across batches, within the pool's budget) and
 * its stream; not thread-safe: one per aggregator.
 */
final class GroupedAggregateKernel implements AutoCloseable {
  /** Threads per block; must match THREADS in the .cu file. */
  static final int THREADS = 256;

  /** Operation codes of the call descriptors; must match OP_* in the .cu file. */
  static final int OP_COUNT_STAR = 0;

  static final int OP_COUNT = 1;
  static final int OP_SUM = 2;
  static final int OP_MIN = 3;
  static final int OP_MAX = 4;

  /** Accumulators of each operation; must match the layout in the .cu file. */
  static int accumulators(int op) {
    return switch (op) {
      case OP_COUNT_STAR, OP_COUNT -> 1;
      case OP_SUM -> 4;
      case OP_MIN, OP_MAX -> 2;
      default -> throw new TruenoException(ErrorCode.INTERNAL, "Unknown GPU group op " + op);
    };
  }

  /** Device work and descriptor of one aggregate call: op and column (-1 for COUNT(*)). */
  record CallSpec(int op, int column) {}

  /**
   * The groups of one batch, in no particular order.
   *
   * @param count the number of groups
   * @param rows per group, {@code 1 + accumulators} longs: the group's first row, then its
   *     accumulators in call order
   * @param stride longs per group
   */
  record BatchGroups(int count, long[] rows, int stride) {
    long firstRow(int group) {
      return rows[group * stride];
    }

    long accumulator(int group, int index) {
      return rows[group * stride + 1 + index];
    }
  }

  // Enough blocks to fill any current GPU; the kernels loop over the rest (grid stride).
  private static final int MAX_BLOCKS = 65_536;
  // Groups are copied back in pieces of at most this many bytes.
  private static final int COPY_CHUNK_BYTES = 32 << 20;

  private final CudaDevice device;
  private final DeviceMemoryPool pool;
  private final CUstream stream = new CUstream();
  private final List<DeviceBuffer> scratch = new ArrayList<>();
  private ByteBuffer hostStaging;

  GroupedAggregateKernel(CudaDevice device, DeviceMemoryPool pool) {
    this.device = device;
    this.pool = pool;
    device.makeCurrent();
    try {
      JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
    } catch (CudaException e) {
      throw device.error("create a CUDA stream", e);
    }
  }

  /** The power-of-two table capacity for a batch of {@code rows}: at most half full. */
  static long capacity(int rows) {
    return Math.max(1024L, Long.highestOneBit(Math.max(1, rows) - 1L) << 2);
  }

  /**
   * Groups {@code rows} rows of a batch from row {@code start} (a multiple of 8, so that validity
   * bitmaps are copied from a byte boundary) by {@code keys} (1 or 2 int/bigint vectors of {@code
   * columns}) and runs {@code calls} over them. First rows in the result count from {@code start}.
   *
   * @param columns every column the kernel reads, each once
   * @param keys indexes into {@code columns} of the grouping keys
   * @throws TruenoException MEMORY_EXHAUSTED when the pool's budget has no room for the batch
   */
  BatchGroups run(
      List<FieldVector> columns, int[] keys, List<CallSpec> calls, int start, int rows) {
    if (start % 8 != 0) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Row ranges must start at a multiple of 8, not " + start);
    }
    int numAccs = 0;
    long[] callDesc = new long[3 * calls.size()];
    List<Long> accInit = new ArrayList<>();
    for (int c = 0; c < calls.size(); c++) {
      CallSpec call = calls.get(c);
      callDesc[3 * c] = call.op();
      callDesc[3 * c + 1] = call.column();
      callDesc[3 * c + 2] = numAccs;
      int n = accumulators(call.op());
      for (int a = 0; a < n; a++) {
        accInit.add(
            a == 1 && call.op() == OP_MIN
                ? Long.MAX_VALUE
                : a == 1 && call.op() == OP_MAX ? Long.MIN_VALUE : 0L);
      }
      numAccs += n;
    }
    int stride = numAccs + 1;
    if (rows == 0) {
      return new BatchGroups(0, new long[0], stride);
    }
    long cap = capacity(rows);
    device.makeCurrent();
    // Every column's values and validity in one buffer, at 8-byte aligned offsets.
    long[] colDesc = new long[3 * columns.size()];
    long columnBytes = 0;
    for (int c = 0; c < columns.size(); c++) {
      FieldVector v = columns.get(c);
      int width = width(v);
      colDesc[3 * c] = columnBytes;
      columnBytes = align8(columnBytes + (long) rows * width);
      colDesc[3 * c + 1] = -1;
      if (v.getNullCount() > 0) {
        colDesc[3 * c + 1] = columnBytes;
        columnBytes = align8(columnBytes + (rows + 7L) / 8);
      }
      colDesc[3 * c + 2] = width;
    }
    int slot = 0;
    CUdeviceptr base = ensure(slot++, columnBytes, "key and argument columns");
    CUdeviceptr colDescBuffer = ensure(slot++, colDesc.length * 8L, "column descriptors");
    CUdeviceptr callDescBuffer =
        ensure(slot++, Math.max(8, callDesc.length * 8L), "call descriptors");
    CUdeviceptr accInitBuffer = ensure(slot++, Math.max(8, numAccs * 8L), "accumulator inits");
    CUdeviceptr rep = ensure(slot++, cap * 4, "hash table slots (" + cap + ")");
    CUdeviceptr first = ensure(slot++, cap * 4, "first rows of groups");
    CUdeviceptr acc =
        ensure(slot++, Math.max(8, cap * numAccs * 8L), "accumulators of " + cap + " slots");
    CUdeviceptr out = ensure(slot++, (long) rows * stride * 8, "groups copied back");
    CUdeviceptr counter = ensure(slot++, 8, "group counter");
    try {
      for (int c = 0; c < columns.size(); c++) {
        FieldVector v = columns.get(c);
        long bytes = (long) rows * width(v);
        ByteBuffer data = v.getDataBuffer().nioBuffer((long) start * width(v), (int) bytes);
        JCudaDriver.cuMemcpyHtoDAsync(
            base.withByteOffset(colDesc[3 * c]), Pointer.to(data), bytes, stream);
        if (colDesc[3 * c + 1] >= 0) {
          long vbytes = (rows + 7L) / 8;
          ByteBuffer bits = v.getValidityBuffer().nioBuffer(start / 8, (int) vbytes);
          JCudaDriver.cuMemcpyHtoDAsync(
              base.withByteOffset(colDesc[3 * c + 1]), Pointer.to(bits), vbytes, stream);
        }
      }
      long[] init = accInit.stream().mapToLong(Long::longValue).toArray();
      copyLongs(colDesc, colDescBuffer);
      copyLongs(callDesc, callDescBuffer);
      copyLongs(init, accInitBuffer);
      // Each copy above staged its bytes before returning, so the staging buffer is reusable.
      int initBlocks = blocks(cap);
      launch(
          "group_init",
          initBlocks,
          Pointer.to(rep),
          Pointer.to(first),
          Pointer.to(acc),
          Pointer.to(accInitBuffer),
          Pointer.to(new int[] {numAccs}),
          Pointer.to(new long[] {cap}));
      launch(
          "group_update",
          blocks(rows),
          Pointer.to(base),
          Pointer.to(colDescBuffer),
          Pointer.to(new int[] {keys[0]}),
          Pointer.to(new int[] {keys.length > 1 ? keys[1] : -1}),
          Pointer.to(callDescBuffer),
          Pointer.to(new int[] {calls.size()}),
          Pointer.to(new long[] {rows}),
          Pointer.to(rep),
          Pointer.to(first),
          Pointer.to(acc),
          Pointer.to(new long[] {cap}));
      JCudaDriver.cuMemsetD8Async(counter, (byte) 0, 8, stream);
      launch(
          "group_compact",
          initBlocks,
          Pointer.to(rep),
          Pointer.to(first),
          Pointer.to(acc),
          Pointer.to(new int[] {numAccs}),
          Pointer.to(new long[] {cap}),
          Pointer.to(counter),
          Pointer.to(out));
      ByteBuffer host = staging(8);
      JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(host), counter, 8, stream);
      JCudaDriver.cuStreamSynchronize(stream);
      long groups = host.getLong(0);
      if (groups < 1 || groups > rows) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "group_update found " + groups + " groups in a batch of " + rows + " rows");
      }
      long[] result = new long[Math.toIntExact(groups * stride)];
      long total = groups * stride * 8;
      for (long done = 0; done < total; ) {
        int piece = (int) Math.min(COPY_CHUNK_BYTES, total - done);
        ByteBuffer chunk = staging(piece);
        JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(chunk), out.withByteOffset(done), piece, stream);
        JCudaDriver.cuStreamSynchronize(stream);
        chunk.asLongBuffer().get(result, (int) (done / 8), piece / 8);
        done += piece;
      }
      return new BatchGroups((int) groups, result, stride);
    } catch (CudaException e) {
      throw device.error("group " + rows + " rows by " + keys.length + " key(s) on the GPU", e);
    }
  }

  private void launch(String kernel, int blocks, Pointer... args) {
    JCudaDriver.cuLaunchKernel(
        device.function(kernel), blocks, 1, 1, THREADS, 1, 1, 0, stream, Pointer.to(args), null);
  }

  private static int blocks(long items) {
    return (int) Math.max(1, Math.min(MAX_BLOCKS, (items + THREADS - 1) / THREADS));
  }

  private void copyLongs(long[] values, CUdeviceptr target) {
    if (values.length == 0) {
      return;
    }
    ByteBuffer host = staging(values.length * 8);
    host.asLongBuffer().put(values);
    JCudaDriver.cuMemcpyHtoDAsync(target, Pointer.to(host), values.length * 8L, stream);
    // Pageable memory: the copy is staged when the call returns, but wait anyway before the
    // staging buffer is written again.
    JCudaDriver.cuStreamSynchronize(stream);
  }

  private ByteBuffer staging(int bytes) {
    if (hostStaging == null || hostStaging.capacity() < bytes) {
      hostStaging = ByteBuffer.allocateDirect(Math.max(bytes, 4096)).order(ByteOrder.LITTLE_ENDIAN);
    }
    hostStaging.clear();
    ByteBuffer view = hostStaging.slice().order(ByteOrder.LITTLE_ENDIAN);
    view.limit(bytes);
    return view;
  }

  private static long align8(long bytes) {
    return (bytes + 7) & ~7L;
  }

  static int width(FieldVector v) {
    if (v instanceof IntVector) {
      return 4;
    }
    if (v instanceof BigIntVector) {
      return 8;
    }
    throw new TruenoException(
        ErrorCode.INTERNAL,
        "Column "
            + v.getName()
            + " is a "
            + v.getClass().getSimpleName()
            + ", expected an IntVector or BigIntVector");
  }

  private CUdeviceptr ensure(int slot, long bytes, String purpose) {
    while (scratch.size() <= slot) {
      scratch.add(null);
    }
    DeviceBuffer current = scratch.get(slot);
    if (current != null && current.bytes() >= bytes) {
      return current.pointer();
    }
    // Clear the slot first: if the new allocation fails, no freed buffer may be reused later.
    scratch.set(slot, null);
    long size = bytes;
    if (current != null) {
      current.close();
      size = Math.max(bytes, Math.min(current.bytes() * 2, bytes + (bytes >> 1)));
    }
    DeviceBuffer fresh;
    try {
      fresh = pool.allocate(size, purpose);
    } catch (TruenoException e) {
      if (size == bytes) {
        throw e;
      }
      fresh = pool.allocate(bytes, purpose);
    }
    scratch.set(slot, fresh);
    return fresh.pointer();
  }

  /** Frees the scratch buffers kept for later batches (the aggregator calls this when done). */
  void releaseScratch() {
    RuntimeException first = null;
    for (DeviceBuffer b : scratch) {
      if (b != null) {
        try {
          b.close();
        } catch (RuntimeException e) {
          first = first == null ? e : first;
        }
      }
    }
    scratch.clear();
    if (first != null) {
      throw first;
    }
  }

  @Override
  public void close() {
    RuntimeException first = null;
    try {
      releaseScratch();
    } catch (RuntimeException e) {
      first = e;
    }
    try {
      device.makeCurrent();
      JCudaDriver.cuStreamDestroy(stream);
    } catch (RuntimeException e) {
      first = first == null ? e : first;
    }
    if (first != null) {
      throw first;
    }
  }
}
