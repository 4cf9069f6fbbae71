package dev.trueno.gpu.agg;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.device.KernelLauncher;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import java.util.ArrayList;
import java.util.List;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * A stream, kernel launches on it and named scratch buffers from the device memory pool, kept and
 * grown across morsels (freeing device memory synchronizes the device, so it is not done per
 * morsel). Not thread-safe: one per aggregator or join build/probe.
 */
public final class DeviceKernels implements AutoCloseable {
  /** Threads per block; THREADS in common.cuh. */
  public static final int THREADS = 256;

  // Enough blocks to fill any current GPU; kernels loop over the rest (grid stride).
  private static final int MAX_BLOCKS = 32_768;

  /** The device the kernels run on. */
  public final CudaDevice device;

  /** Where scratch buffers come from. */
  public final DeviceMemoryPool pool;

  /** The stream every launch and copy of this object is ordered on. */
  public final CUstream stream = new CUstream();

  private final List<DeviceBuffer> scratch = new ArrayList<>();

  /** A new stream on {@code device}; scratch buffers from {@code pool}. */
  public DeviceKernels(CudaDevice device, DeviceMemoryPool pool) {
    this.device = device;
    this.pool = pool;
    device.makeCurrent();
    try {
      JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
    } catch (CudaException e) {
      throw device.error("create a CUDA stream", e);
    }
  }

  /** Blocks for a grid-stride launch over {@code items} items. */
  public static int blocks(long items) {
    return (int) Math.max(1, Math.min(MAX_BLOCKS, (items + THREADS - 1) / THREADS));
  }

  /** Enqueues {@code kernel} over {@code items} items (grid stride) on this stream. */
  public void launch(String kernel, long items, Pointer... args) {
    launchBlocks(kernel, blocks(items), args);
  }

  /** Enqueues {@code kernel} with {@code blocks} blocks on this stream. */
  public void launchBlocks(String kernel, int blocks, Pointer... args) {
    try {
      KernelLauncher.launch(device.function(kernel), blocks, THREADS, stream, Pointer.to(args));
    } catch (CudaException e) {
      throw device.error("launch " + kernel, e);
    }
  }

  /** Waits for this stream's work; a CUDA error names {@code action}. */
  public void sync(String action) {
    try {
      JCudaDriver.cuStreamSynchronize(stream);
    } catch (CudaException e) {
      throw device.error(action, e);
    }
  }

  /** Copies {@code values} to {@code target} (waits for this stream first). */
  public void upload(long[] values, CUdeviceptr target) {
    if (values.length > 0) {
      sync("wait before an upload");
      JCudaDriver.cuMemcpyHtoD(target, Pointer.to(values), values.length * 8L);
    }
  }

  /** Copies {@code values} to {@code target} (waits for this stream first). */
  public void upload(int[] values, CUdeviceptr target) {
    if (values.length > 0) {
      sync("wait before an upload");
      JCudaDriver.cuMemcpyHtoD(target, Pointer.to(values), values.length * 4L);
    }
  }

  /** Copies device pointers (their values) to {@code target}: kernels read them as an array. */
  public void upload(CUdeviceptr[] pointers, CUdeviceptr target) {
    if (pointers.length > 0) {
      sync("wait before an upload");
      JCudaDriver.cuMemcpyHtoD(target, Pointer.to(pointers), pointers.length * 8L);
    }
  }

  /** Reads {@code count} longs at {@code source} after this stream's work is done. */
  public long[] download(CUdeviceptr source, int count) {
    sync("wait for the GPU aggregation");
    long[] out = new long[count];
    try {
      JCudaDriver.cuMemcpyDtoH(Pointer.to(out), source, count * 8L);
    } catch (CudaException e) {
      throw device.error("copy results from the GPU", e);
    }
    return out;
  }

  /** Enqueues zeroing {@code bytes} at {@code target}. */
  public void zero(CUdeviceptr target, long bytes) {
    JCudaDriver.cuMemsetD8Async(target, (byte) 0, bytes, stream);
  }

  /**
   * Scratch buffer number {@code slot} with at least {@code bytes}, reused when big enough.
   *
   * @throws TruenoException MEMORY_EXHAUSTED when the pool has no room
   */
  public CUdeviceptr scratch(int slot, long bytes, String purpose) {
    while (scratch.size() <= slot) {
      scratch.add(null);
    }
    DeviceBuffer current = scratch.get(slot);
    if (current != null && current.bytes() >= bytes) {
      return current.pointer();
    }
    if (current != null) {
      sync("wait before freeing a scratch buffer");
      scratch.set(slot, null);
      current.close();
    }
    long size = Math.max(256, current == null ? bytes : Math.max(bytes, bytes + (bytes >> 2)));
    DeviceBuffer fresh;
    try {
      fresh = pool.allocate(size, purpose);
    } catch (TruenoException e) {
      if (e.code() != ErrorCode.MEMORY_EXHAUSTED || size == bytes) {
        throw e;
      }
      fresh = pool.allocate(Math.max(8, bytes), purpose);
    }
    scratch.set(slot, fresh);
    return fresh.pointer();
  }

  /**
   * Sorts the rows {@code 0..n-1} by their int group (or slot) id in {@code ids}, ties by row, on
   * the stream: returns scratch buffer {@code slot}, holding per row {@code id << 32 | row} in
   * ascending order (a bitonic sort over {@code n} padded to a power of two, padding last), so that
   * each id's rows form one run in row order. Both the aggregation's order-dependent fold and the
   * join build use it.
   */
  public CUdeviceptr sortRowsById(CUdeviceptr ids, long n, int slot, String purpose) {
    long padded = Long.highestOneBit(Math.max(1, n - 1L)) << 1;
    CUdeviceptr sort = scratch(slot, padded * 8, purpose);
    launch(
        "agg_sort_keys",
        padded,
        Pointer.to(ids),
        Pointer.to(new long[] {n}),
        Pointer.to(new long[] {padded}),
        Pointer.to(sort));
    for (long k = 2; k <= padded; k <<= 1) {
      for (long j = k >> 1; j > 0; j >>= 1) {
        launch(
            "agg_bitonic_step",
            padded,
            Pointer.to(sort),
            Pointer.to(new long[] {padded}),
            Pointer.to(new long[] {k}),
            Pointer.to(new long[] {j}));
      }
    }
    return sort;
  }

  /** Frees the scratch buffers (after the stream's work is done). */
  public void releaseScratch() {
    RuntimeException first = null;
    try {
      sync("wait before freeing scratch buffers");
    } catch (RuntimeException e) {
      first = e;
    }
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
