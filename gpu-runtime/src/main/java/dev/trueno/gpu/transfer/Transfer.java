package dev.trueno.gpu.transfer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * One morsel's columns on their way to (or already in) device memory, handed out by {@link
 * TransferQueue#take()} in submission order.
 *
 * <p>The copy may still be running when the consumer gets the handle: call {@link
 * #awaitOn(CUstream)} before launching kernels that read {@link #columns()} on that stream, then
 * {@link #close()} once they are launched. Closing does not wait for the kernels: the next copy
 * into the same buffers waits for them on the device, so the host never blocks. Owned by the
 * consumer thread that took it.
 */
public final class Transfer implements AutoCloseable {
  private final TransferQueue queue;
  private final TransferQueue.Slot slot;
  private final long sequence;
  private final int rowCount;
  private final List<ColumnLayout> layout;
  private final long directBytes;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile CUstream consumer;

  Transfer(
      TransferQueue queue,
      TransferQueue.Slot slot,
      long sequence,
      int rowCount,
      List<ColumnLayout> layout,
      long directBytes) {
    this.queue = queue;
    this.slot = slot;
    this.sequence = sequence;
    this.rowCount = rowCount;
    this.layout = layout;
    this.directBytes = directBytes;
  }

  /** The position of this transfer's morsel among those submitted, from 0. */
  public long sequence() {
    return sequence;
  }

  /** The morsel's rows. */
  public int rowCount() {
    return rowCount;
  }

  /** The morsel's needed columns in device memory, in the pager's column order. */
  public List<DeviceColumn> columns() {
    CUdeviceptr base = slot.devicePointer();
    List<DeviceColumn> columns = new ArrayList<>(layout.size());
    for (ColumnLayout c : layout) {
      columns.add(
          new DeviceColumn(
              c.name(),
              c.rowCount(),
              c.typeWidth(),
              base.withByteOffset(c.validityOffset()),
              base.withByteOffset(c.valuesOffset())));
    }
    return columns;
  }

  /**
   * Makes work enqueued later on {@code stream} wait until the copy is complete, without blocking
   * the host; {@link #close()} then lets the next copy into these buffers wait for that work.
   */
  public void awaitOn(CUstream stream) {
    checkOpen();
    consumer = stream;
    slot.awaitOn(stream);
  }

  /** Blocks the calling thread until the copy is complete (for host-side consumers and tests). */
  public void awaitOnHost() {
    checkOpen();
    slot.awaitOnHost();
  }

  /** How long the host-to-device copy took on the device, in milliseconds (waits for it). */
  public float copyMillis() {
    checkOpen();
    return slot.copyMillis();
  }

  /** The slot's implementation, for tests that read its events. */
  TransferQueue.Slot slot() {
    return slot;
  }

  List<ColumnLayout> layout() {
    return layout;
  }

  /** The bytes copied straight from pinned Arrow memory (zero copy) rather than staged. */
  long directBytes() {
    return directBytes;
  }

  /**
   * Gives the buffers back to the queue for the next morsel; the work enqueued on the stream given
   * to {@link #awaitOn(CUstream)} so far may still read them. Closing twice is harmless.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      queue.release(slot, consumer);
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("Transfer " + sequence + " was already closed");
    }
  }

  @Override
  public String toString() {
    return "Transfer[" + sequence + ", " + rowCount + " rows, " + layout.size() + " columns]";
  }
}
