package dev.trueno.gpu.memory;

/**
 * One block of page-locked host memory from a {@link PinnedMemoryPool}; closing it gives the block
 * back to the pool. Owned by exactly one object (an Arrow allocation, a transfer slot), which
 * closes it.
 */
public final class PinnedBuffer implements AutoCloseable {
  private final PinnedMemoryPool pool;
  private final long address;
  private final long bytes;
  private final String purpose;

  PinnedBuffer(PinnedMemoryPool pool, long address, long bytes, String purpose) {
    this.pool = pool;
    this.address = address;
    this.bytes = bytes;
    this.purpose = purpose;
  }

  /** The host address of the first byte. */
  public long address() {
    return address;
  }

  /** The size of the block in bytes: the request rounded up to whole pages. */
  public long bytes() {
    return bytes;
  }

  /** What the block is for, as the allocating code named it. */
  public String purpose() {
    return purpose;
  }

  /** Gives the block back to the pool; closing twice is harmless. */
  @Override
  public void close() {
    pool.release(this);
  }

  @Override
  public String toString() {
    return purpose + " (" + bytes + " bytes)";
  }
}
