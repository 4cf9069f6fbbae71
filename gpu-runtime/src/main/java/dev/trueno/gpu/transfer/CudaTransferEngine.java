package dev.trueno.gpu.transfer;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.memory.HostPointer;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA side of a {@link TransferQueue}: one copy stream shared by the slots, each slot a pinned
 * staging buffer (cuMemAllocHost, so that the copy is DMA and asynchronous), a device buffer from
 * the pool and three events: copy started and done (timed, for {@link Transfer#copyMillis()}) and
 * consumed (recorded on the consumer's stream when it closes the transfer).
 *
 * <p><b>Zero copy.</b> Given a {@link PinnedMemoryPool}, values that lie in its memory (batches
 * allocated through {@link dev.trueno.gpu.memory.PinnedAllocationManager}) are copied to the device
 * straight from the Arrow buffers, as {@link CopyPlan} decides; only the rest (bitmaps, small or
 * pageable pieces) goes through the staging buffer. The morsel's buffers must then outlive the
 * copy: the slot keeps the morsel and closes it once the copy is seen complete (when the consumer
 * waits for it or closes the transfer after it finished, and at the latest when the slot is reused
 * or closed).
 */
final class CudaTransferEngine implements TransferQueue.Engine {
  /** Slots grow in steps of this size, so that morsels of slightly varying size reuse them. */
  private static final long GRANULE = 1L << 20;

  private final CudaDevice device;
  private final DeviceMemoryPool pool;
  private final PinnedMemoryPool pinnedPool;
  private final CUstream copyStream = new CUstream();
  private final AtomicLong pinnedBytes = new AtomicLong();

  /**
   * An engine copying to {@code device} into buffers of {@code pool}, straight from the Arrow
   * buffers that lie in {@code pinnedPool} (null: always staged).
   */
  CudaTransferEngine(CudaDevice device, DeviceMemoryPool pool, PinnedMemoryPool pinnedPool) {
    this.device = device;
    this.pool = pool;
    this.pinnedPool = pinnedPool;
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

    /** The morsel whose buffers the last copy reads directly, until that copy is complete. */
    private final AtomicReference<Morsel> copying = new AtomicReference<>();

    private int eventsCreated;
    private HostPointer pinned;
    private long pinnedCapacity;
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
    public long load(Morsel morsel, List<ColumnLayout> layout) {
      List<Morsel.Slice> slices = morsel.slices();
      long bytes = ColumnLayout.totalBytes(layout);
      CopyPlan plan = CopyPlan.of(slices, layout, pinnedPool);
      device.makeCurrent();
      boolean enqueued = false;
      try {
        if (copyRecorded) {
          // The previous copy out of the staging buffer (and out of its morsel's buffers) must be
          // done before the buffer is overwritten.
          JCudaDriver.cuEventSynchronize(copyDone);
          closeCopiedMorsel();
        }
        ensureStaging(plan.stagingBytes());
        ensureDeviceBuffer(bytes);
        HostStaging.write(slices, layout, plan, pinned.address(), pinnedCapacity);
        if (consumedRecorded) {
          // The previous consumer's kernels may still read the device buffer: the copy waits for
          // them on the device, the host goes on.
          JCudaDriver.cuStreamWaitEvent(copyStream, consumed, 0);
        }
        CUdeviceptr target = deviceBuffer.pointer();
        JCudaDriver.cuEventRecord(copyStarted, copyStream);
        enqueued = true;
        for (CopyPlan.Staged run : plan.staged()) {
          JCudaDriver.cuMemcpyHtoDAsync(
              target.withByteOffset(run.deviceOffset()),
              pinned.withByteOffset(run.stagingOffset()),
              run.bytes(),
              copyStream);
        }
        for (CopyPlan.Direct piece : plan.direct()) {
          JCudaDriver.cuMemcpyHtoDAsync(
              target.withByteOffset(piece.deviceOffset()),
              HostPointer.at(piece.hostAddress()),
              piece.bytes(),
              copyStream);
        }
        JCudaDriver.cuEventRecord(copyDone, copyStream);
        copyRecorded = true;
      } catch (RuntimeException e) {
        if (enqueued) {
          // The caller closes the morsel when this throws: no copy may still read it.
          drainCopyStream(e);
        }
        throw e instanceof CudaException c
            ? device.error(
                "copy a morsel of " + bytes + " bytes to the device (transfer slot " + index + ")",
                c)
            : e;
      }
      if (plan.directBytes() == 0) {
        morsel.close(); // everything was staged: the host copy is done with its buffers
      } else {
        copying.set(morsel);
      }
      return plan.directBytes();
    }

    private void drainCopyStream(RuntimeException failure) {
      try {
        JCudaDriver.cuStreamSynchronize(copyStream);
      } catch (RuntimeException e) {
        failure.addSuppressed(e); // a sticky error: the device runs no more copies
      }
    }

    /** Closes the morsel of the last copy, which must be complete. */
    private void closeCopiedMorsel() {
      Morsel m = copying.getAndSet(null);
      if (m != null) {
        m.close();
      }
    }

    /** Closes the morsel of the last copy if the device has finished it; never blocks. */
    private void closeMorselIfCopied() {
      if (copying.get() == null) {
        return;
      }
      try {
        JCudaDriver.cuEventQuery(copyDone);
      } catch (CudaException e) {
        if (CUresult.stringFor(CUresult.CUDA_ERROR_NOT_READY).equals(e.getMessage())) {
          return; // still copying: the next load or close() closes it
        }
        throw device.error("query the copy of transfer slot " + index, e);
      }
      closeCopiedMorsel();
    }

    private void ensureStaging(long bytes) {
      if (pinned != null && pinnedCapacity >= bytes) {
        return;
      }
      long size = Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
      freePinned();
      HostPointer p = new HostPointer();
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
    }

    private void ensureDeviceBuffer(long bytes) {
      if (deviceBuffer != null && deviceBuffer.bytes() >= bytes) {
        return;
      }
      if (deviceBuffer != null) {
        waitForConsumer();
        DeviceBuffer old = deviceBuffer;
        deviceBuffer = null; // never reuse a freed buffer if the allocation below fails
        old.close();
      }
      long size = Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
      deviceBuffer = pool.allocate(size, "transfer slot " + index);
    }

    private void waitForConsumer() {
      if (consumedRecorded) {
        JCudaDriver.cuEventSynchronize(consumed);
      }
    }

    private void freePinned() {
      if (pinned != null) {
        HostPointer p = pinned;
        long size = pinnedCapacity;
        pinned = null;
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
      closeCopiedMorsel();
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
      device.makeCurrent();
      closeMorselIfCopied();
      if (stream == null) {
        return;
      }
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
      try {
        // The copy is complete, or can no longer run after a sticky error.
        closeCopiedMorsel();
      } catch (RuntimeException e) {
        error = add(error, e);
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
