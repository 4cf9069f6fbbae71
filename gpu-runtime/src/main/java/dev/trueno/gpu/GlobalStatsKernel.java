package dev.trueno.gpu;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.types.DataType;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.device.KernelLauncher;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;

/**
 * Runs {@code global_stats_*} or {@code global_sum_*} (src/main/cuda/global_aggregates.cu) over one
 * column of one batch: copies the values and the Arrow validity bitmap to the device, reduces them
 * per block, copies the block results back and combines them in block order.
 *
 * <p>{@code global_stats_*} computes every statistic of {@link ColumnStats}; {@code global_sum_*}
 * (integer columns only) computes just the count, the wrapping sum and the saturating sum of |x|,
 * the same bits as {@code global_stats_*}, at close to the device's read bandwidth. Callers that
 * need no MIN or MAX of a column ask for the lean one; its results then carry 0 as min and max.
 *
 * <p>Owns its device scratch buffers (grown as batches grow) and its stream; not thread-safe: one
 * per aggregator.
 */
final class GlobalStatsKernel implements AutoCloseable {
  /** Threads per block; must match THREADS in the .cu file. */
  static final int THREADS = 256;

  /** int64 slots per block result of {@code global_stats_*}; must match the .cu file. */
  static final int SLOTS = 8;

  /** int64 slots per block result of {@code global_sum_*}; must match SUM_SLOTS in the .cu file. */
  static final int SUM_SLOTS = 3;

  // Enough rows per thread to amortize the block reduction, few enough blocks to combine on the
  // host cheaply.
  private static final int MIN_ROWS_PER_BLOCK = THREADS * 16;
  private static final int MAX_BLOCKS = 1024;

  private final CudaDevice device;
  private final DeviceMemoryPool pool;
  private final CUstream stream = new CUstream();
  // Scratch buffers, reused across batches: values, validity, block results.
  private static final int VALUES = 0;
  private static final int VALIDITY = 1;
  private static final int BLOCK_RESULTS = 2;
  private final DeviceBuffer[] scratch = new DeviceBuffer[3];
  private ByteBuffer hostResults;
  // Resident blocks of each global_sum_* kernel on the whole device, asked of the driver once.
  private final Map<String, Integer> residentBlocks = new HashMap<>();

  GlobalStatsKernel(CudaDevice device, DeviceMemoryPool pool) {
    this.device = device;
    this.pool = pool;
    device.makeCurrent();
    try {
      JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
    } catch (CudaException e) {
      throw device.error("create a CUDA stream", e);
    }
  }

  /**
   * The statistics of the first {@code rows} rows of {@code vector}, which has type {@code type}.
   */
  ColumnStats run(FieldVector vector, DataType type, int rows) {
    return run(vector, type, rows, true);
  }

  /**
   * The statistics of the first {@code rows} rows of {@code vector}, which has type {@code type};
   * where {@code minMax} is false and the column holds integers, only count, sum and absSum are
   * computed (by the lean kernel) and min and max are 0.
   */
  ColumnStats run(FieldVector vector, DataType type, int rows, boolean minMax) {
    if (rows == 0) {
      return ColumnStats.EMPTY;
    }
    String kernel;
    int width;
    switch (type.kind()) {
      case INT -> {
        requireVector(vector, IntVector.class);
        kernel = minMax ? "global_stats_i32" : "global_sum_i32";
        width = 4;
      }
      case LONG -> {
        requireVector(vector, BigIntVector.class);
        kernel = minMax ? "global_stats_i64" : "global_sum_i64";
        width = 8;
      }
      case DOUBLE -> {
        requireVector(vector, Float8Vector.class);
        kernel = "global_stats_f64";
        width = 8;
      }
      default ->
          throw new TruenoException(
              ErrorCode.INTERNAL,
              "No GPU statistics kernel for " + type + " (column " + vector.getName() + ")");
    }
    boolean lean = kernel.startsWith("global_sum_");
    long valueBytes = (long) rows * width;
    boolean hasNulls = vector.getNullCount() > 0;
    long validityBytes = (rows + 7L) / 8;
    device.makeCurrent();
    int blocks;
    long rowsPerBlock = 0;
    if (lean) {
      blocks = sumBlocks(rows, residentBlocks.computeIfAbsent(kernel, this::residentBlocks));
    } else {
      blocks = (int) Math.min(MAX_BLOCKS, (rows + MIN_ROWS_PER_BLOCK - 1L) / MIN_ROWS_PER_BLOCK);
      rowsPerBlock = (rows + blocks - 1L) / blocks;
    }
    int slots = lean ? SUM_SLOTS : SLOTS;
    long resultBytes = (long) blocks * slots * Long.BYTES;

    DeviceBuffer values = ensure(VALUES, valueBytes, "values of column " + vector.getName());
    if (hasNulls) {
      ensure(VALIDITY, validityBytes, "validity of column " + vector.getName());
    }
    DeviceBuffer blockResults = ensure(BLOCK_RESULTS, resultBytes, "block results");
    if (hostResults == null || hostResults.capacity() < resultBytes) {
      hostResults = ByteBuffer.allocateDirect((int) resultBytes).order(ByteOrder.LITTLE_ENDIAN);
    }
    try {
      ByteBuffer data = vector.getDataBuffer().nioBuffer(0, (int) valueBytes);
      JCudaDriver.cuMemcpyHtoDAsync(values.pointer(), Pointer.to(data), valueBytes, stream);
      CUdeviceptr validityPointer = new CUdeviceptr(); // NULL: every row is valid
      if (hasNulls) {
        ByteBuffer bits = vector.getValidityBuffer().nioBuffer(0, (int) validityBytes);
        JCudaDriver.cuMemcpyHtoDAsync(
            scratch[VALIDITY].pointer(), Pointer.to(bits), validityBytes, stream);
        validityPointer = scratch[VALIDITY].pointer();
      }
      CUfunction function = device.function(kernel);
      if (lean) {
        launchSum(
            function,
            values.pointer(),
            validityPointer,
            rows,
            blocks,
            blockResults.pointer(),
            stream);
      } else {
        Pointer params =
            Pointer.to(
                Pointer.to(values.pointer()),
                Pointer.to(validityPointer),
                Pointer.to(new long[] {rows}),
                Pointer.to(new long[] {rowsPerBlock}),
                Pointer.to(blockResults.pointer()));
        KernelLauncher.launch(function, blocks, THREADS, stream, params);
      }
      hostResults.clear();
      JCudaDriver.cuMemcpyDtoHAsync(
          Pointer.to(hostResults), blockResults.pointer(), resultBytes, stream);
      JCudaDriver.cuStreamSynchronize(stream);
    } catch (CudaException e) {
      throw device.error(
          "aggregate column " + vector.getName() + " (" + rows + " rows) with " + kernel, e);
    }
    if (lean) {
      return combineSums(hostResults, blocks);
    }
    ColumnStats stats = ColumnStats.EMPTY;
    for (int b = 0; b < blocks; b++) {
      int base = b * SLOTS * Long.BYTES;
      ColumnStats block =
          new ColumnStats(
              hostResults.getLong(base),
              hostResults.getLong(base + 8),
              hostResults.getLong(base + 16),
              hostResults.getLong(base + 24),
              hostResults.getLong(base + 32));
      // Blocks cover increasing row ranges, so combining in block order keeps the first of equal
      // MIN/MAX values, as the kernel does inside a block.
      stats = stats.then(block, type);
    }
    return stats;
  }

  /** The blocks of {@code kernel} (a {@code global_sum_*}) resident at once on the device. */
  private int residentBlocks(String kernel) {
    CUfunction function = device.function(kernel);
    try {
      return residentBlocks(device, function);
    } catch (CudaException e) {
      throw device.error("ask the occupancy of " + kernel, e);
    }
  }

  /**
   * The blocks of {@code THREADS} threads of {@code function} that the whole device holds at once:
   * the occupancy per multiprocessor (registers and shared memory decide it) times their number.
   */
  static int residentBlocks(CudaDevice device, CUfunction function) {
    int[] perSm = new int[1];
    JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(perSm, function, THREADS, 0);
    return Math.max(1, perSm[0]) * device.multiprocessors();
  }

  /**
   * The grid of a {@code global_sum_*} launch over {@code rows} rows: one whole wave of {@code
   * resident} blocks, whose grid-stride loops then keep every multiprocessor busy to the end, or
   * fewer blocks (at least one) when each would get fewer than {@code MIN_ROWS_PER_BLOCK} rows.
   */
  static int sumBlocks(long rows, int resident) {
    long wanted = (rows + MIN_ROWS_PER_BLOCK - 1) / MIN_ROWS_PER_BLOCK;
    return (int) Math.max(1, Math.min(resident, wanted));
  }

  /**
   * Launches {@code function} (a {@code global_sum_*}) on {@code stream} over {@code rows} values
   * at {@code values} (aligned to their width) with the validity bitmap at {@code validity} (a null
   * pointer: no nulls), writing {@link #SUM_SLOTS} int64 per block at {@code blockResults}.
   */
  static void launchSum(
      CUfunction function,
      CUdeviceptr values,
      CUdeviceptr validity,
      long rows,
      int blocks,
      CUdeviceptr blockResults,
      CUstream stream) {
    Pointer params =
        Pointer.to(
            Pointer.to(values),
            Pointer.to(validity),
            Pointer.to(new long[] {rows}),
            Pointer.to(blockResults));
    KernelLauncher.launch(function, blocks, THREADS, stream, params);
  }

  /**
   * The count, sum and absSum of {@code blocks} block results of {@code global_sum_*} (little
   * endian, from position 0 of {@code results}); min and max are 0. The sums are the same in any
   * order, so that of the blocks does not matter.
   */
  static ColumnStats combineSums(ByteBuffer results, int blocks) {
    long count = 0;
    long sum = 0;
    long absSum = 0;
    for (int b = 0; b < blocks; b++) {
      int base = b * SUM_SLOTS * Long.BYTES;
      count += results.getLong(base);
      sum += results.getLong(base + 8);
      absSum = ColumnStats.saturatingAdd(absSum, results.getLong(base + 16));
    }
    return new ColumnStats(count, sum, absSum, 0, 0);
  }

  private static void requireVector(FieldVector vector, Class<?> expected) {
    if (!expected.isInstance(vector)) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "Column "
              + vector.getName()
              + " is a "
              + vector.getClass().getSimpleName()
              + ", expected "
              + expected.getSimpleName());
    }
  }

  private DeviceBuffer ensure(int slot, long bytes, String purpose) {
    DeviceBuffer current = scratch[slot];
    if (current != null && current.bytes() >= bytes) {
      return current;
    }
    // Clear the slot first: if the new allocation fails, no freed buffer may be reused later.
    scratch[slot] = null;
    long size = bytes;
    if (current != null) {
      current.close();
      // Grow geometrically so a stream of slowly growing batches reallocates rarely.
      size = Math.max(bytes, current.bytes() * 2);
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
    scratch[slot] = fresh;
    return fresh;
  }

  @Override
  public void close() {
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
    java.util.Arrays.fill(scratch, null);
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
