package dev.trueno.gpu.memory;

import jcuda.driver.CUdeviceptr;

/**
 * One allocation of a {@link DeviceMemoryPool}; closing it returns the memory to the pool. Owned by
 * exactly one object, which closes it.
 */
public final class DeviceBuffer implements AutoCloseable {
  private final DeviceMemoryPool pool;
  private final CUdeviceptr pointer;
  private final long bytes;
  private final String purpose;

  DeviceBuffer(DeviceMemoryPool pool, CUdeviceptr pointer, long bytes, String purpose) {
    this.pool = pool;
    this.pointer = pointer;
    this.bytes = bytes;
    this.purpose = purpose;
  }

  /** The device address, for copies and kernel arguments. */
  public CUdeviceptr pointer() {
    return pointer;
  }

  /** The size in bytes. */
  public long bytes() {
    return bytes;
  }

  /** What the buffer is for, as the allocating code named it. */
  public String purpose() {
    return purpose;
  }

  @Override
  public void close() {
    pool.release(this);
  }

  @Override
  public String toString() {
    return purpose + " (" + bytes + " bytes)";
  }
}
