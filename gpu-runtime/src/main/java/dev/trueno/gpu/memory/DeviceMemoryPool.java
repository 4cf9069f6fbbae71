package dev.trueno.gpu.memory;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.fault.FaultInjection;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * Device memory with a byte budget: every allocation is accounted, an allocation over the budget
 * fails with {@link ErrorCode#MEMORY_EXHAUSTED} (which operators answer by splitting the morsel or
 * finishing on the CPU), and {@link #close()} frees what is left and reports it as a leak.
 *
 * <p>Thread-safe: task threads of one executor share one pool.
 */
public final class DeviceMemoryPool implements AutoCloseable {

  /** Allocates and frees raw device memory; the CUDA driver, or a fake in tests. */
  interface RawAllocator {
    CUdeviceptr allocate(long bytes);

    void free(CUdeviceptr pointer);
  }

  private final String name;
  private final long budgetBytes;
  private final RawAllocator raw;
  private final Map<DeviceBuffer, DeviceBuffer> live = new IdentityHashMap<>();
  private long usedBytes;
  private long peakBytes;
  private boolean closed;

  DeviceMemoryPool(String name, long budgetBytes, RawAllocator raw) {
    if (budgetBytes <= 0) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          "GPU memory pool '" + name + "' needs a positive budget, not " + budgetBytes + " bytes");
    }
    this.name = name;
    this.budgetBytes = budgetBytes;
    this.raw = raw;
  }

  /** A pool of at most {@code budgetBytes} of memory on {@code device}. */
  public static DeviceMemoryPool create(CudaDevice device, String name, long budgetBytes) {
    return new DeviceMemoryPool(
        name,
        budgetBytes,
        new RawAllocator() {
          @Override
          public CUdeviceptr allocate(long bytes) {
            device.makeCurrent();
            CUdeviceptr p = new CUdeviceptr();
            try {
              JCudaDriver.cuMemAlloc(p, bytes);
            } catch (CudaException e) {
              if (String.valueOf(e.getMessage()).contains("CUDA_ERROR_OUT_OF_MEMORY")) {
                throw deviceOutOfMemory(name, bytes, String.valueOf(device), e);
              }
              throw device.error("allocate " + bytes + " bytes of device memory", e);
            }
            return p;
          }

          @Override
          public void free(CUdeviceptr pointer) {
            device.makeCurrent();
            try {
              JCudaDriver.cuMemFree(pointer);
            } catch (CudaException e) {
              throw device.error("free device memory", e);
            }
          }
        });
  }

  /**
   * The error of a {@code cuMemAlloc} that failed with {@code CUDA_ERROR_OUT_OF_MEMORY}: the budget
   * is not the only limit, other processes share the GPU.
   */
  private static TruenoException deviceOutOfMemory(
      String pool, long bytes, String device, CudaException cause) {
    return new TruenoException(
        ErrorCode.MEMORY_EXHAUSTED,
        "GPU memory pool '"
            + pool
            + "' could not get "
            + bytes
            + " bytes from "
            + device
            + ": the device is out of memory although the pool's budget allows it",
        cause);
  }

  /**
   * Allocates {@code bytes} of device memory for {@code purpose} (named in errors and leak
   * reports).
   *
   * @throws TruenoException MEMORY_EXHAUSTED when the budget (or the device) has no room
   */
  public DeviceBuffer allocate(long bytes, String purpose) {
    if (bytes <= 0) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "Cannot allocate " + bytes + " bytes of device memory for " + purpose);
    }
    synchronized (this) {
      if (closed) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "GPU memory pool '" + name + "' is closed; cannot allocate for " + purpose);
      }
      if (bytes > budgetBytes - usedBytes) {
        throw new TruenoException(
            ErrorCode.MEMORY_EXHAUSTED,
            "GPU memory pool '"
                + name
                + "' cannot allocate "
                + bytes
                + " bytes for "
                + purpose
                + ": "
                + usedBytes
                + " of its budget of "
                + budgetBytes
                + " bytes are in use (process smaller morsels or raise the budget)");
      }
      // Reserve first, so that concurrent allocations cannot overshoot the budget together.
      usedBytes += bytes;
      peakBytes = Math.max(peakBytes, usedBytes);
    }
    CUdeviceptr pointer;
    try {
      if (FaultInjection.failThisAllocation()) {
        // Test hook: the failure a real cuMemAlloc reports when the device has no room.
        throw deviceOutOfMemory(
            name, bytes, "the GPU", new CudaException("CUDA_ERROR_OUT_OF_MEMORY (injected)"));
      }
      pointer = raw.allocate(bytes);
    } catch (RuntimeException e) {
      synchronized (this) {
        usedBytes -= bytes;
      }
      throw e;
    }
    DeviceBuffer buffer = new DeviceBuffer(this, pointer, bytes, purpose);
    synchronized (this) {
      live.put(buffer, buffer);
    }
    return buffer;
  }

  /** Called by {@link DeviceBuffer#close()}; freeing twice or after the pool closed is a no-op. */
  void release(DeviceBuffer buffer) {
    synchronized (this) {
      if (live.remove(buffer) == null) {
        return;
      }
      usedBytes -= buffer.bytes();
    }
    raw.free(buffer.pointer());
  }

  /** The pool's name, for messages. */
  public String name() {
    return name;
  }

  /** The most bytes the pool hands out at once. */
  public long budgetBytes() {
    return budgetBytes;
  }

  /** Bytes currently allocated. */
  public synchronized long usedBytes() {
    return usedBytes;
  }

  /** The most bytes that were allocated at once. */
  public synchronized long peakBytes() {
    return peakBytes;
  }

  /** Buffers currently allocated. */
  public synchronized int liveBuffers() {
    return live.size();
  }

  /**
   * Frees every buffer still allocated and closes the pool.
   *
   * @throws TruenoException INTERNAL naming each leaked buffer when some were still allocated (they
   *     are freed before the exception is thrown)
   */
  @Override
  public void close() {
    List<DeviceBuffer> leaked;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      leaked = new ArrayList<>(live.keySet());
      live.clear();
      usedBytes = 0;
    }
    RuntimeException freeError = null;
    for (DeviceBuffer b : leaked) {
      try {
        raw.free(b.pointer());
      } catch (RuntimeException e) {
        freeError = freeError == null ? e : freeError;
      }
    }
    if (!leaked.isEmpty()) {
      StringBuilder what = new StringBuilder();
      long bytes = 0;
      for (DeviceBuffer b : leaked) {
        what.append(what.length() == 0 ? "" : ", ").append(b);
        bytes += b.bytes();
      }
      TruenoException leak =
          new TruenoException(
              ErrorCode.INTERNAL,
              "GPU memory pool '"
                  + name
                  + "' was closed with "
                  + leaked.size()
                  + " buffer(s) of "
                  + bytes
                  + " bytes still allocated (now freed): "
                  + what);
      if (freeError != null) {
        leak.addSuppressed(freeError);
      }
      throw leak;
    }
    if (freeError != null) {
      throw freeError;
    }
  }
}
