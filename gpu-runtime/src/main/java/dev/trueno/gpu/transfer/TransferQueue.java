package dev.trueno.gpu.transfer;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.core.morsel.Morsel;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * Moves morsels to device memory ahead of the kernels that read them: at most {@code maxInFlight}
 * transfers (default 2, double buffering) are outstanding, so that the copy of morsel n + 1 runs on
 * its own stream while the consumer's kernels work on morsel n.
 *
 * <p>A producer thread calls {@link #submit(Morsel)}, which copies the needed columns into a pinned
 * staging buffer and starts the host-to-device copy (or, for values that already lie in pinned
 * memory of the queue's {@link PinnedMemoryPool}, starts their copy straight from the Arrow
 * buffers: zero copy on the host); it blocks while {@code maxInFlight} transfers have not been
 * closed by the consumer (back-pressure). A consumer thread calls {@link #take()}, which returns
 * the transfers in submission order, and closes each once its kernels are launched. One thread may
 * do both as long as it never submits more than {@code maxInFlight} ahead of what it has taken and
 * closed. Each transfer owns one of {@code maxInFlight} slots (pinned staging buffer, device
 * buffer, CUDA events), reused from morsel to morsel and grown when a morsel is larger, so that no
 * device memory is freed (an implicitly synchronizing call) on the way.
 *
 * <p>The first failure (a CUDA error, an exhausted {@link DeviceMemoryPool}, an unsupported column)
 * or a cancellation ({@link #cancel(String)}, or an interrupt of a thread blocked in the queue, as
 * when Spark kills a task) fails the queue: every waiting and later call throws it, and every
 * staging and device buffer is freed as soon as no thread uses it. {@link #close()} frees the rest.
 */
public final class TransferQueue implements AutoCloseable {
  /** The default number of outstanding transfers: one being copied while one is computed on. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 2;

  /** The device side of the queue: the CUDA driver, or a fake in tests. */
  interface Engine extends AutoCloseable {
    /** A new, empty slot; {@code index} names it in messages. */
    Slot newSlot(int index);

    /** Pinned host bytes currently allocated by this engine's slots. */
    long pinnedBytes();

    /** Frees what the engine itself holds (streams); called after every slot was closed. */
    @Override
    void close();
  }

  /** One set of staging and device buffers with its events, reused by successive transfers. */
  interface Slot {
    /**
     * Waits until the previous transfer's copy out of the staging buffer is done, writes the
     * morsel's slices into it and enqueues the copy to the device after the previous consumer's
     * work.
     *
     * <p>On return the slot owns {@code morsel} and closes it once no copy reads its buffers any
     * more (at the latest in {@link #close()}); when this throws, no copy reads them and the caller
     * closes it.
     *
     * @return the bytes copied straight from the morsel's buffers rather than staged
     */
    long load(Morsel morsel, List<ColumnLayout> layout);

    /** The device buffer the columns were copied to. */
    CUdeviceptr devicePointer();

    /** Makes later work on {@code stream} wait for the copy. */
    void awaitOn(CUstream stream);

    /** Blocks until the copy is done. */
    void awaitOnHost();

    /** The copy's duration on the device in milliseconds; waits for it. */
    float copyMillis();

    /**
     * Notes that {@code stream} (null: none) holds work reading the device buffer; called before
     * the slot can be loaded again.
     */
    void released(CUstream stream);

    /** Waits for pending copies and work, then frees the buffers and events. */
    void close();
  }

  private final Engine engine;
  private final int maxInFlight;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<Slot> slots = new ArrayList<>();
  private final ArrayDeque<Slot> free = new ArrayDeque<>();
  private final ArrayDeque<Transfer> ready = new ArrayDeque<>();
  private final Set<Slot> loading = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Slot> taken = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Slot> releasing = Collections.newSetFromMap(new IdentityHashMap<>());
  private int slotsCreating;
  private int outstanding;
  private int peakOutstanding;
  private long nextSequence;
  private RuntimeException failure;
  private boolean finished;
  private boolean closed;

  TransferQueue(Engine engine, int maxInFlight) {
    if (maxInFlight < 1) {
      engine.close();
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          "A transfer queue needs at least 1 transfer in flight, not "
              + maxInFlight
              + " (spark.trueno.transfer.maxInFlight)");
    }
    this.engine = engine;
    this.maxInFlight = maxInFlight;
  }

  /**
   * A queue that copies to {@code device}, taking device buffers from {@code pool}, with at most
   * {@code maxInFlight} transfers outstanding.
   */
  public static TransferQueue open(CudaDevice device, DeviceMemoryPool pool, int maxInFlight) {
    return open(device, pool, null, maxInFlight);
  }

  /**
   * A queue as {@link #open(CudaDevice, DeviceMemoryPool, int)} that copies the values lying in
   * {@code pinned} (batches allocated through {@link
   * dev.trueno.gpu.memory.PinnedAllocationManager#rootAllocator}) straight from their Arrow
   * buffers, without staging them; null stages everything.
   */
  public static TransferQueue open(
      CudaDevice device, DeviceMemoryPool pool, PinnedMemoryPool pinned, int maxInFlight) {
    return new TransferQueue(new CudaTransferEngine(device, pool, pinned), maxInFlight);
  }

  /**
   * Copies the needed columns of {@code morsel} towards the device and queues the transfer for
   * {@link #take()}; blocks while {@code maxInFlight} transfers are outstanding. Takes ownership of
   * the morsel: it is closed once no copy reads its buffers any more, that is once its bytes are
   * staged, or, when some are copied straight from pinned memory, once that copy is seen complete
   * (the consumer waits for it or closes the transfer, and at the latest when the transfer's slot
   * is reused or the queue closes or fails); and when this call fails.
   *
   * @throws TruenoException the queue's failure, or this copy's (which then fails the queue)
   * @throws CancellationException when the queue was cancelled or this thread interrupted (the
   *     interrupt flag stays set)
   */
  public void submit(Morsel morsel) {
    boolean owned = true; // until the slot takes the morsel over
    try {
      List<ColumnLayout> layout = ColumnLayout.of(morsel.slices());
      Slot slot = acquireSlot();
      long sequence;
      long directBytes;
      try {
        directBytes = slot.load(morsel, layout);
        owned = false;
      } catch (RuntimeException e) {
        fail(e);
        finishLoading(slot, null);
        throw e;
      }
      lock.lock();
      try {
        sequence = nextSequence++;
      } finally {
        lock.unlock();
      }
      finishLoading(
          slot, new Transfer(this, slot, sequence, morsel.rowCount(), layout, directBytes));
    } catch (TruenoException e) {
      if (e.code() == ErrorCode.UNSUPPORTED) {
        fail(e); // nothing was staged, but the consumer must not wait for this morsel
      }
      throw e;
    } finally {
      if (owned) {
        morsel.close();
      }
    }
  }

  /** Says that nothing more will be submitted: {@link #take()} returns null once drained. */
  public void finish() {
    lock.lock();
    try {
      finished = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The oldest transfer not yet taken, waiting for the producer to submit it; null once {@link
   * #finish()} was called and every transfer was taken.
   *
   * @throws TruenoException the queue's failure
   * @throws CancellationException when the queue was cancelled or this thread interrupted
   */
  public Transfer take() {
    lock.lock();
    try {
      while (true) {
        throwIfFailed("take a transfer");
        Transfer next = ready.poll();
        if (next != null) {
          taken.add(next.slot());
          changed.signalAll();
          return next;
        }
        if (finished || closed) {
          return null;
        }
        awaitChange("take a transfer");
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Fails the queue with a {@link CancellationException} that names {@code reason}: blocked and
   * later calls throw it and buffers not in use are freed. Does nothing once the queue failed.
   */
  public void cancel(String reason) {
    CancellationException e = new CancellationException("Transfer queue cancelled: " + reason);
    fail(e);
  }

  /** Transfers submitted (or being submitted) and not yet closed by the consumer. */
  public int outstanding() {
    lock.lock();
    try {
      return outstanding;
    } finally {
      lock.unlock();
    }
  }

  /** The most transfers that were outstanding at once; never above {@code maxInFlight}. */
  int peakOutstanding() {
    lock.lock();
    try {
      return peakOutstanding;
    } finally {
      lock.unlock();
    }
  }

  /** Pinned staging bytes currently allocated. */
  long pinnedBytes() {
    return engine.pinnedBytes();
  }

  /**
   * Cancels what is still queued, waits for a producer that is staging a morsel, and frees every
   * buffer, stream and event.
   *
   * @throws TruenoException INTERNAL when the consumer had not closed a transfer it took (its
   *     buffers are freed anyway) and the queue had not failed
   */
  @Override
  public void close() {
    List<Slot> toClose;
    int leaked;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      leaked = failure == null ? taken.size() : 0;
      if (failure == null) {
        failure = new CancellationException("Transfer queue closed");
      }
      changed.signalAll();
      // A producer writing into a staging buffer, or a consumer handing one back, must finish
      // before it can be freed.
      boolean interrupted = false;
      while (!loading.isEmpty() || !releasing.isEmpty() || slotsCreating > 0) {
        try {
          changed.await();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      toClose = new ArrayList<>(slots);
      slots.clear();
      free.clear();
      ready.clear();
      taken.clear();
    } finally {
      lock.unlock();
    }
    RuntimeException error = closeAll(toClose);
    try {
      engine.close();
    } catch (RuntimeException e) {
      error = add(error, e);
    }
    if (leaked > 0) {
      TruenoException leak =
          new TruenoException(
              ErrorCode.INTERNAL,
              "Transfer queue closed while the consumer still held "
                  + leaked
                  + " transfer(s) it had not closed (their buffers are now freed)");
      if (error != null) {
        leak.addSuppressed(error);
      }
      throw leak;
    }
    if (error != null) {
      throw error;
    }
  }

  /**
   * Called by {@link Transfer#close()}. The slot tells the device about the consumer's work before
   * it becomes free, so that the next copy into it is sure to wait for that work.
   */
  void release(Slot slot, CUstream consumer) {
    boolean keep;
    lock.lock();
    try {
      if (!taken.remove(slot)) {
        return; // already freed by close()
      }
      keep = failure == null;
      if (keep) {
        releasing.add(slot);
      } else {
        slots.remove(slot);
        outstanding--;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
    if (!keep) {
      slot.close();
      return;
    }
    RuntimeException error = null;
    try {
      slot.released(consumer);
    } catch (RuntimeException e) {
      error = e;
    }
    boolean close;
    lock.lock();
    try {
      releasing.remove(slot);
      outstanding--;
      close = failure != null || error != null;
      if (close) {
        slots.remove(slot);
      } else {
        free.push(slot);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (error != null) {
      fail(error);
    }
    if (close) {
      try {
        slot.close();
      } catch (RuntimeException e) {
        error = add(error, e);
      }
    }
    if (error != null) {
      throw error;
    }
  }

  private Slot acquireSlot() {
    int index;
    lock.lock();
    try {
      while (true) {
        throwIfFailed("submit a morsel");
        if (finished) {
          throw new IllegalStateException("Cannot submit to a transfer queue after finish()");
        }
        Slot slot = free.poll();
        if (slot != null) {
          reserve();
          loading.add(slot);
          return slot;
        }
        if (slots.size() + slotsCreating < maxInFlight) {
          index = slots.size() + slotsCreating;
          slotsCreating++;
          reserve();
          break;
        }
        awaitChange("submit a morsel");
      }
    } finally {
      lock.unlock();
    }
    Slot slot;
    try {
      slot = engine.newSlot(index);
    } catch (RuntimeException e) {
      lock.lock();
      try {
        slotsCreating--;
        outstanding--;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      fail(e);
      throw e;
    }
    lock.lock();
    try {
      slotsCreating--;
      slots.add(slot);
      loading.add(slot);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    return slot;
  }

  private void reserve() {
    outstanding++;
    peakOutstanding = Math.max(peakOutstanding, outstanding);
  }

  /** Ends a load: queues {@code transfer}, or frees the slot when the load or the queue failed. */
  private void finishLoading(Slot slot, Transfer transfer) {
    boolean queued = false;
    lock.lock();
    try {
      loading.remove(slot);
      if (failure == null && transfer != null) {
        ready.add(transfer);
        queued = true;
      } else {
        slots.remove(slot);
        outstanding--;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (!queued) {
      slot.close();
      throwIfFailedUnlocked();
    }
  }

  private void throwIfFailedUnlocked() {
    lock.lock();
    try {
      throwIfFailed("submit a morsel");
    } finally {
      lock.unlock();
    }
  }

  /** Records the first failure, wakes every waiter and frees the slots nobody uses. */
  private void fail(RuntimeException cause) {
    List<Slot> idle = new ArrayList<>();
    lock.lock();
    try {
      if (failure != null) {
        return;
      }
      failure = cause;
      for (Transfer t : ready) {
        idle.add(t.slot());
        outstanding--;
      }
      ready.clear();
      idle.addAll(free);
      free.clear();
      slots.removeAll(idle);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    RuntimeException error = closeAll(idle);
    if (error != null) {
      cause.addSuppressed(error);
    }
  }

  private void awaitChange(String action) {
    try {
      changed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      lock.unlock();
      try {
        cancel("the thread trying to " + action + " was interrupted");
      } finally {
        lock.lock();
      }
      throwIfFailed(action);
    }
  }

  /** Throws a fresh exception (this thread's stack) caused by the queue's failure, if any. */
  private void throwIfFailed(String action) {
    RuntimeException f = failure;
    if (f == null) {
      return;
    }
    if (f instanceof CancellationException) {
      CancellationException e =
          new CancellationException("Cannot " + action + ": " + f.getMessage());
      e.initCause(f);
      throw e;
    }
    ErrorCode code = f instanceof TruenoException t ? t.code() : ErrorCode.INTERNAL;
    throw new TruenoException(
        code, "Cannot " + action + ": the transfer queue failed: " + f.getMessage(), f);
  }

  private static RuntimeException closeAll(List<Slot> toClose) {
    RuntimeException error = null;
    for (Slot s : toClose) {
      try {
        s.close();
      } catch (RuntimeException e) {
        error = add(error, e);
      }
    }
    return error;
  }

  private static RuntimeException add(RuntimeException first, RuntimeException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
