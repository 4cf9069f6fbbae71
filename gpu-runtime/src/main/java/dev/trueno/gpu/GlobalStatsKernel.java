package dev.trueno.gpu;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.types.DataType;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * Runs {@code global_stats_*} (src/main/cuda/global_aggregates.cu) over one column of one batch:
 * copies the values and the Arrow validity bitmap to the device, reduces them per block, copies the
 * block results back and combines them in block order.
 *
 * <p>Owns its device scratch buffers (grown as batches grow) and its stream; not thread-safe: one
 * per aggregator.
 */
final class GlobalStatsKernel implements AutoCloseable {
  /** Threads per block; must match THREADS in the .cu file. */
  static final int THREADS = 256;

  /** int64 slots per block result; must match the .cu file. */
  static final int SLOTS = 8;

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
    if (rows == 0) {
      return ColumnStats.EMPTY;
    }
    String kernel;
    int width;
    switch (type.kind()) {
      case INT -> {
        requireVector(vector, IntVector.class);
        kernel = "global_stats_i32";
        width = 4;
      }
      case LONG -> {
        requireVector(vector, BigIntVector.class);
        kernel = "global_stats_i64";
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
    long valueBytes = (long) rows * width;
    boolean hasNulls = vector.getNullCount() > 0;
    long validityBytes = (rows + 7L) / 8;
    int blocks = (int) Math.min(MAX_BLOCKS, (rows + MIN_ROWS_PER_BLOCK - 1L) / MIN_ROWS_PER_BLOCK);
    long rowsPerBlock = (rows + blocks - 1L) / blocks;
    long resultBytes = (long) blocks * SLOTS * Long.BYTES;

    device.makeCurrent();
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
      Pointer params =
          Pointer.to(
              Pointer.to(values.pointer()),
              Pointer.to(validityPointer),
              Pointer.to(new long[] {rows}),
              Pointer.to(new long[] {rowsPerBlock}),
              Pointer.to(blockResults.pointer()));
      JCudaDriver.cuLaunchKernel(function, blocks, 1, 1, THREADS, 1, 1, 0, stream, params, null);
      hostResults.clear();
      JCudaDriver.cuMemcpyDtoHAsync(
          Pointer.to(hostResults), blockResults.pointer(), resultBytes, stream);
      JCudaDriver.cuStreamSynchronize(stream);
    } catch (CudaException e) {
      throw device.error(
          "aggregate column " + vector.getName() + " (" + rows + " rows) with " + kernel, e);
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
