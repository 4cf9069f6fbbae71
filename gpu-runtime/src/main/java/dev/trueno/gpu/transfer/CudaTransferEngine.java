package dev.trueno.gpu.transfer;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA side of a {@link TransferQueue}: one copy stream shared by the slots, each slot a pinned
 * staging buffer (cuMemAllocHost, so that the copy is DMA and asynchronous), a device buffer from
 * the pool and three events: copy started and done (timed, for {@link Transfer#copyMillis()}) and
 * consumed (recorded on the consumer's stream when it closes the transfer).
 */
final class CudaTransferEngine implements TransferQueue.Engine {
  /** Slots grow in steps of this size, so that morsels of slightly varying size reuse them. */
  private static final long GRANULE = 1L << 20;

  private final CudaDevice device;
  private final DeviceMemoryPool pool;
  private final CUstream copyStream = new CUstream();
  private final AtomicLong pinnedBytes = new AtomicLong();

  CudaTransferEngine(CudaDevice device, DeviceMemoryPool pool) {
    this.device = device;
    this.pool = pool;
    device.makeCurrent();
    try {
      JCudaDriver.cuStreamCreate(copyStream, CUstream_flags.CU_STREAM_NON_BLOCKING);
    } catch (CudaException e) {
      throw device.error("create the transfer queue's copy stream", e);
    }
  }

  @Override
  public TransferQueue.Slot newSlot(int index) {
    return new CudaSlot(index);
  }

  @Override
  public long pinnedBytes() {
    return pinnedBytes.get();
  }

  @Override
  public void close() {
    try {
      device.makeCurrent();
      JCudaDriver.cuStreamSynchronize(copyStream);
      JCudaDriver.cuStreamDestroy(copyStream);
    } catch (CudaException e) {
      throw device.error("destroy the transfer queue's copy stream", e);
    }
  }

  /** The staging and device buffers of one transfer at a time. */
  final class CudaSlot implements TransferQueue.Slot {
    private final int index;
    private final CUevent copyStarted = new CUevent();
    private final CUevent copyDone = new CUevent();
    private final CUevent consumed = new CUevent();
    private int eventsCreated;
    private Pointer pinned;
    private long pinnedCapacity;
    private ByteBuffer staging;
    private DeviceBuffer deviceBuffer;
    private boolean copyRecorded;
    private boolean consumedRecorded;

    CudaSlot(int index) {
      this.index = index;
      device.makeCurrent();
      try {
        JCudaDriver.cuEventCreate(copyStarted, CUevent_flags.CU_EVENT_DEFAULT);
        eventsCreated++;
        JCudaDriver.cuEventCreate(copyDone, CUevent_flags.CU_EVENT_DEFAULT);
        eventsCreated++;
        JCudaDriver.cuEventCreate(consumed, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        eventsCreated++;
      } catch (CudaException e) {
        TruenoException error = device.error("create the events of transfer slot " + index, e);
        try {
          close();
        } catch (RuntimeException suppressed) {
          error.addSuppressed(suppressed);
        }
        throw error;
      }
    }

    @Override
    public void load(List<Morsel.Slice> slices, List<ColumnLayout> layout) {
      long bytes = ColumnLayout.totalBytes(layout);
      device.makeCurrent();
      try {
        if (copyRecorded) {
          // The previous copy out of the staging buffer must be done before it is overwritten.
          JCudaDriver.cuEventSynchronize(copyDone);
        }
        ensureCapacity(bytes);
        HostStaging.write(slices, layout, staging);
        if (consumedRecorded) {
          // The previous consumer's kernels may still read the device buffer: the copy waits for
          // them on the device, the host goes on.
          JCudaDriver.cuStreamWaitEvent(copyStream, consumed, 0);
        }
        JCudaDriver.cuEventRecord(copyStarted, copyStream);
        JCudaDriver.cuMemcpyHtoDAsync(deviceBuffer.pointer(), pinned, bytes, copyStream);
        JCudaDriver.cuEventRecord(copyDone, copyStream);
        copyRecorded = true;
      } catch (CudaException e) {
        throw device.error(
            "copy a morsel of " + bytes + " bytes to the device (transfer slot " + index + ")", e);
      }
    }

    private void ensureCapacity(long bytes) {
      long size = (bytes + GRANULE - 1) / GRANULE * GRANULE;
      if (size > Integer.MAX_VALUE) {
        throw new TruenoException(
            ErrorCode.UNSUPPORTED,
            "Cannot stage a morsel of "
                + bytes
                + " bytes: the transfer queue stages at most 2 GiB at once (lower"
                + " spark.trueno.morselBytes)");
      }
      if (pinnedCapacity < bytes) {
        freePinned();
        Pointer p = new Pointer();
        try {
          JCudaDriver.cuMemAllocHost(p, size);
        } catch (CudaException e) {
          throw new TruenoException(
              ErrorCode.MEMORY_EXHAUSTED,
              "Cannot allocate "
                  + size
                  + " bytes of pinned host memory for transfer slot "
                  + index
                  + " on "
                  + device
                  + ": "
                  + e.getMessage()
                  + " (lower spark.trueno.morselBytes or spark.trueno.transfer.maxInFlight)",
              e);
        }
        pinned = p;
        pinnedCapacity = size;
        pinnedBytes.addAndGet(size);
        staging = p.getByteBuffer(0, size);
      }
      if (deviceBuffer == null || deviceBuffer.bytes() < bytes) {
        if (deviceBuffer != null) {
          waitForConsumer();
          DeviceBuffer old = deviceBuffer;
          deviceBuffer = null; // never reuse a freed buffer if the allocation below fails
          old.close();
        }
        deviceBuffer = pool.allocate(size, "transfer slot " + index);
      }
    }

    private void waitForConsumer() {
      if (consumedRecorded) {
        JCudaDriver.cuEventSynchronize(consumed);
      }
    }

    private void freePinned() {
      if (pinned != null) {
        Pointer p = pinned;
        long size = pinnedCapacity;
        pinned = null;
        staging = null;
        pinnedCapacity = 0;
        JCudaDriver.cuMemFreeHost(p);
        pinnedBytes.addAndGet(-size);
      }
    }

    @Override
    public CUdeviceptr devicePointer() {
      return deviceBuffer.pointer();
    }

    @Override
    public void awaitOn(CUstream stream) {
      device.makeCurrent();
      try {
        JCudaDriver.cuStreamWaitEvent(stream, copyDone, 0);
      } catch (CudaException e) {
        throw device.error("make a stream wait for the copy of transfer slot " + index, e);
      }
    }

    @Override
    public void awaitOnHost() {
      device.makeCurrent();
      try {
        JCudaDriver.cuEventSynchronize(copyDone);
      } catch (CudaException e) {
        throw device.error("wait for the copy of transfer slot " + index, e);
      }
    }

    @Override
    public float copyMillis() {
      awaitOnHost();
      return elapsedMillis(copyStarted, copyDone);
    }

    /** Milliseconds from {@code from} to {@code to}, both complete. */
    float elapsedMillis(CUevent from, CUevent to) {
      float[] ms = new float[1];
      try {
        JCudaDriver.cuEventElapsedTime(ms, from, to);
      } catch (CudaException e) {
        throw device.error("read the copy time of transfer slot " + index, e);
      }
      return ms[0];
    }

    /** The event recorded when the copy started, for tests that measure overlap. */
    CUevent copyStarted() {
      return copyStarted;
    }

    /** The event recorded when the copy was done. */
    CUevent copyDone() {
      return copyDone;
    }

    @Override
    public void released(CUstream stream) {
      if (stream == null) {
        return;
      }
      device.makeCurrent();
      try {
        JCudaDriver.cuEventRecord(consumed, stream);
        consumedRecorded = true;
      } catch (CudaException e) {
        throw device.error("record the release of transfer slot " + index, e);
      }
    }

    @Override
    public void close() {
      RuntimeException error = null;
      try {
        device.makeCurrent();
        if (copyRecorded) {
          JCudaDriver.cuEventSynchronize(copyDone);
        }
        waitForConsumer();
      } catch (RuntimeException e) {
        // A sticky CUDA error: free what can be freed anyway.
        error = e;
      }
      if (deviceBuffer != null) {
        DeviceBuffer b = deviceBuffer;
        deviceBuffer = null;
        try {
          b.close();
        } catch (RuntimeException e) {
          error = add(error, e);
        }
      }
      try {
        freePinned();
      } catch (RuntimeException e) {
        error = add(error, e);
      }
      CUevent[] events = {copyStarted, copyDone, consumed};
      for (int i = 0; i < eventsCreated; i++) {
        try {
          JCudaDriver.cuEventDestroy(events[i]);
        } catch (RuntimeException e) {
          error = add(error, e);
        }
      }
      eventsCreated = 0;
      if (error != null) {
        throw error instanceof CudaException c
            ? device.error("free transfer slot " + index, c)
            : error;
      }
    }
  }

  private static RuntimeException add(RuntimeException first, RuntimeException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
