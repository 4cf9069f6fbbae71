package dev.trueno.gpu.memory;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.gpu.device.CudaDevice;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jcuda.CudaException;
import jcuda.driver.JCudaDriver;

/**
 * Page-locked (pinned) host memory with a byte budget, so that columns can go to the device by DMA
 * straight from where operators and scans wrote them (see {@link PinnedAllocationManager}).
 *
 * <p><b>Why a pool and a cache.</b> Pinning is slow (the driver locks every page) and {@code
 * cuMemHostAlloc} implicitly synchronizes the device, so allocating and freeing per Arrow buffer
 * would stall both the producer and running kernels. Blocks are therefore rounded up to whole pages
 * and, when released, kept for the next request of the same size (Arrow rounds its requests, and
 * batches of one scan repeat their sizes). Cached blocks count against the budget: they are freed
 * when a new block would otherwise exceed it, or by {@link #trim()}.
 *
 * <p>Every block handed out is accounted; a request over the budget fails with {@link
 * ErrorCode#MEMORY_EXHAUSTED} naming {@value #BUDGET_KEY}, and {@link #close()} reports the blocks
 * still in use as a leak. {@link #contains(long, long)} tells whether an address range lies inside
 * one live block, which is how the transfer queue decides that a column can be copied without
 * staging.
 *
 * <p>Meant for batch-sized buffers: every block is at least one page, so batches of a few rows
 * waste most of their pinned bytes (sub-allocating small requests is left for later).
 *
 * <p>Thread-safe: Arrow frees buffers on whichever thread closes them.
 */
public final class PinnedMemoryPool implements AutoCloseable {
  /** The configuration key of the budget, named in errors. */
  public static final String BUDGET_KEY = "spark.trueno.gpu.pinnedMemory.bytes";

  /** Blocks are whole pages: the driver pins pages, and equal sizes make cached blocks reusable. */
  static final long PAGE = 4096;

  /** A leak report names this many blocks, then counts the rest. */
  private static final int LEAKS_NAMED = 10;

  /** Allocates and frees raw page-locked memory; the CUDA driver, or a fake in tests. */
  interface RawAllocator {
    /** The address of {@code bytes} new bytes. */
    long allocate(long bytes);

    void free(long address);
  }

  private final String name;
  private final long budgetBytes;
  private final RawAllocator raw;

  /** Live blocks by address, for {@link #contains} and the leak report. */
  private final TreeMap<Long, PinnedBuffer> live = new TreeMap<>();

  /** Released blocks kept for reuse: addresses by block size. */
  private final Map<Long, ArrayDeque<Long>> cached = new HashMap<>();

  private long usedBytes;
  private long cachedBytes;
  private long peakBytes;
  private boolean closed;

  PinnedMemoryPool(String name, long budgetBytes, RawAllocator raw) {
    if (budgetBytes <= 0) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          "Pinned host memory pool '"
              + name
              + "' needs a positive budget, not "
              + budgetBytes
              + " bytes (set "
              + BUDGET_KEY
              + ")");
    }
    this.name = name;
    this.budgetBytes = budgetBytes;
    this.raw = raw;
  }

  /**
   * A pool of at most {@code budgetBytes} of page-locked memory, allocated with {@code
   * cuMemHostAlloc(CU_MEMHOSTALLOC_PORTABLE)} so that every context of the process can copy from it
   * by DMA.
   */
  public static PinnedMemoryPool create(CudaDevice device, String name, long budgetBytes) {
    return new PinnedMemoryPool(name, budgetBytes, new DriverAllocator(device, name));
  }

  /**
   * Allocates at least {@code bytes} of pinned memory for {@code purpose} (named in errors and leak
   * reports).
   *
   * @throws TruenoException MEMORY_EXHAUSTED when the budget (or the operating system) has no room
   */
  public PinnedBuffer allocate(long bytes, String purpose) {
    if (bytes <= 0) {
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "Cannot allocate " + bytes + " bytes of pinned host memory for " + purpose);
    }
    long size = (bytes + PAGE - 1) / PAGE * PAGE;
    List<Long> evicted = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        throw new TruenoException(
            ErrorCode.INTERNAL,
            "Pinned host memory pool '" + name + "' is closed; cannot allocate for " + purpose);
      }
      ArrayDeque<Long> same = cached.get(size);
      if (same != null && !same.isEmpty()) {
        long address = same.pop();
        cachedBytes -= size;
        usedBytes += size;
        peakBytes = Math.max(peakBytes, usedBytes);
        return register(address, size, purpose);
      }
      if (size > budgetBytes - usedBytes) {
        throw new TruenoException(
            ErrorCode.MEMORY_EXHAUSTED,
            "Pinned host memory pool '"
                + name
                + "' cannot allocate "
                + size
                + " bytes for "
                + purpose
                + ": "
                + usedBytes
                + " of its budget of "
                + budgetBytes
                + " bytes are in use (raise "
                + BUDGET_KEY
                + " or process smaller batches)");
      }
      evictUntilRoomFor(size, evicted);
      // Reserve first, so that concurrent allocations cannot overshoot the budget together.
      usedBytes += size;
      peakBytes = Math.max(peakBytes, usedBytes);
    }
    long address;
    try {
      freeAll(evicted);
      address = raw.allocate(size);
    } catch (RuntimeException e) {
      synchronized (this) {
        usedBytes -= size;
      }
      throw e;
    }
    synchronized (this) {
      return register(address, size, purpose);
    }
  }

  /** Records a block handed out; called with the lock held, after its bytes were accounted. */
  private PinnedBuffer register(long address, long size, String purpose) {
    PinnedBuffer buffer = new PinnedBuffer(this, address, size, purpose);
    live.put(address, buffer);
    return buffer;
  }

  /** Moves cached blocks to {@code evicted} until {@code size} more bytes fit the budget. */
  private void evictUntilRoomFor(long size, List<Long> evicted) {
    var sizes = cached.entrySet().iterator();
    while (usedBytes + cachedBytes + size > budgetBytes && sizes.hasNext()) {
      Map.Entry<Long, ArrayDeque<Long>> entry = sizes.next();
      ArrayDeque<Long> blocks = entry.getValue();
      while (!blocks.isEmpty() && usedBytes + cachedBytes + size > budgetBytes) {
        evicted.add(blocks.pop());
        cachedBytes -= entry.getKey();
      }
      if (blocks.isEmpty()) {
        sizes.remove();
      }
    }
  }

  /** Called by {@link PinnedBuffer#close()}; releasing twice is a no-op. */
  void release(PinnedBuffer buffer) {
    boolean keep;
    synchronized (this) {
      if (live.get(buffer.address()) != buffer) {
        return;
      }
      live.remove(buffer.address());
      usedBytes -= buffer.bytes();
      keep = !closed;
      if (keep) {
        cached.computeIfAbsent(buffer.bytes(), s -> new ArrayDeque<>()).push(buffer.address());
        cachedBytes += buffer.bytes();
      }
    }
    if (!keep) {
      raw.free(buffer.address());
    }
  }

  /**
   * Whether bytes {@code [address, address + bytes)} lie inside one block that is currently
   * allocated, so that a copy from them is a DMA.
   */
  public synchronized boolean contains(long address, long bytes) {
    if (bytes < 0) {
      return false;
    }
    Map.Entry<Long, PinnedBuffer> block = live.floorEntry(address);
    // floorEntry makes address - start non-negative; the comparison cannot overflow.
    return block != null && address - block.getKey() <= block.getValue().bytes() - bytes;
  }

  /** Frees the cached blocks (pinned but unused), for example when a task's work is done. */
  public void trim() {
    List<Long> evicted = new ArrayList<>();
    synchronized (this) {
      cached.values().forEach(evicted::addAll);
      cached.clear();
      cachedBytes = 0;
    }
    freeAll(evicted);
  }

  private void freeAll(List<Long> addresses) {
    RuntimeException error = null;
    for (long a : addresses) {
      try {
        raw.free(a);
      } catch (RuntimeException e) {
        if (error == null) {
          error = e;
        } else {
          error.addSuppressed(e);
        }
      }
    }
    if (error != null) {
      throw error;
    }
  }

  /** The pool's name, for messages. */
  public String name() {
    return name;
  }

  /** The most bytes the pool pins at once, cached blocks included. */
  public long budgetBytes() {
    return budgetBytes;
  }

  /** Bytes of the blocks currently allocated. */
  public synchronized long usedBytes() {
    return usedBytes;
  }

  /** The most bytes that were allocated at once. */
  public synchronized long peakBytes() {
    return peakBytes;
  }

  /** Bytes pinned but unused, kept for reuse. */
  public synchronized long cachedBytes() {
    return cachedBytes;
  }

  /** Blocks currently allocated. */
  public synchronized int liveBuffers() {
    return live.size();
  }

  /**
   * Frees the cached blocks and closes the pool.
   *
   * @throws TruenoException INTERNAL naming the blocks still allocated (an Arrow allocator or
   *     vector not closed). Those blocks are not freed, since their owner may still read them (as
   *     Arrow frees nothing of a leak either); one given back later is freed then.
   */
  @Override
  public void close() {
    List<PinnedBuffer> leaked;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      leaked = new ArrayList<>(live.values());
    }
    trim();
    if (!leaked.isEmpty()) {
      StringBuilder what = new StringBuilder();
      long bytes = 0;
      for (int i = 0; i < leaked.size(); i++) {
        if (i < LEAKS_NAMED) {
          what.append(i == 0 ? "" : ", ").append(leaked.get(i));
        }
        bytes += leaked.get(i).bytes();
      }
      if (leaked.size() > LEAKS_NAMED) {
        what.append(" and ").append(leaked.size() - LEAKS_NAMED).append(" more");
      }
      throw new TruenoException(
          ErrorCode.INTERNAL,
          "Pinned host memory pool '"
              + name
              + "' was closed with "
              + leaked.size()
              + " block(s) of "
              + bytes
              + " bytes still allocated (close every Arrow allocator and vector that uses it"
              + " first): "
              + what);
    }
  }

  @Override
  public String toString() {
    return "pinned host memory pool '" + name + "'";
  }

  /** {@code cuMemHostAlloc} and {@code cuMemFreeHost} in the device's context. */
  private static final class DriverAllocator implements RawAllocator {
    private final CudaDevice device;
    private final String name;

    DriverAllocator(CudaDevice device, String name) {
      this.device = device;
      this.name = name;
    }

    @Override
    public long allocate(long bytes) {
      device.makeCurrent();
      HostPointer p = new HostPointer();
      try {
        JCudaDriver.cuMemHostAlloc(p, bytes, JCudaDriver.CU_MEMHOSTALLOC_PORTABLE);
      } catch (CudaException e) {
        // The budget is not the only limit: the operating system caps locked memory.
        throw new TruenoException(
            ErrorCode.MEMORY_EXHAUSTED,
            "Pinned host memory pool '"
                + name
                + "' could not pin "
                + bytes
                + " bytes for "
                + device
                + ": "
                + e.getMessage()
                + " (lower "
                + BUDGET_KEY
                + " or raise the process's locked-memory limit)",
            e);
      }
      return p.address();
    }

    @Override
    public void free(long address) {
      device.makeCurrent();
      try {
        JCudaDriver.cuMemFreeHost(HostPointer.at(address));
      } catch (CudaException e) {
        throw device.error("free pinned host memory", e);
      }
    }
  }
}
