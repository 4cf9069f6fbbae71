package dev.trueno.gpu.memory;

import jcuda.Pointer;

/**
 * A JCuda {@link Pointer} to a raw host address, so that page-locked memory known only by its
 * address (an Arrow buffer's {@code memoryAddress()}, a block of the {@link PinnedMemoryPool}) can
 * be handed to the driver's copy and free calls without wrapping it in a {@code ByteBuffer}, whose
 * size is limited to 2 GiB.
 */
public final class HostPointer extends Pointer {
  /** A null pointer that a driver call such as {@code cuMemHostAlloc} sets. */
  public HostPointer() {
    super();
  }

  private HostPointer(long address) {
    super(address);
  }

  /** A pointer to {@code address}. */
  public static HostPointer at(long address) {
    return new HostPointer(address);
  }

  /** The address this pointer holds. */
  public long address() {
    return getNativePointer() + getByteOffset();
  }
}
