package dev.trueno.gpu;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.io.Serializable;

/**
 * The GPU runtime's tunables, read by the Spark plugin from {@code spark.trueno.gpu.*}, {@code
 * spark.trueno.morselBytes} and {@code spark.trueno.transfer.maxInFlight}; tests build their own.
 * Serializable because the plugin reads them once per query on the driver and ships them to the
 * executors with each task, so every executor runs with the session's values.
 *
 * @param memoryFraction the share of the device's free memory (when the executor's pool is made)
 *     that the executor's device memory pool may use, in (0, 1]
 * @param memoryBytes an absolute device memory budget that overrides {@code memoryFraction} when
 *     positive (0: use the fraction)
 * @param morselBytes the most bytes of the columns a kernel reads in one morsel
 * @param maxInFlight the most transfers the transfer queue keeps outstanding
 * @param pinnedMemoryBytes the budget of the executor's pool of pinned (page-locked) host memory,
 *     which stages morsels for host-to-device copies
 */
public record GpuSettings(
    double memoryFraction,
    long memoryBytes,
    long morselBytes,
    int maxInFlight,
    long pinnedMemoryBytes)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The defaults of the configuration keys. */
  public static final GpuSettings DEFAULTS = new GpuSettings(0.8, 0, 128L << 20, 2, 2L << 30);

  public GpuSettings {
    if (!(memoryFraction > 0 && memoryFraction <= 1)) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          "spark.trueno.gpu.memory.fraction must be in (0, 1], got " + memoryFraction);
    }
    if (memoryBytes < 0) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          "spark.trueno.gpu.memory.bytes must not be negative, got " + memoryBytes);
    }
    if (morselBytes <= 0) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          "spark.trueno.morselBytes must be positive, got " + morselBytes);
    }
    if (maxInFlight < 1) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          "spark.trueno.transfer.maxInFlight must be at least 1, got " + maxInFlight);
    }
    if (pinnedMemoryBytes <= 0) {
      throw new TruenoException(
          ErrorCode.INVALID_CONFIG,
          "spark.trueno.gpu.pinnedMemory.bytes must be positive, got " + pinnedMemoryBytes);
    }
  }

  /** The device memory budget on a device with {@code freeBytes} free. */
  public long budget(long freeBytes) {
    return memoryBytes > 0 ? memoryBytes : Math.max(1, (long) (freeBytes * memoryFraction));
  }

  /** These settings with another morsel size (tests shrink it to get many morsels). */
  public GpuSettings withMorselBytes(long bytes) {
    return new GpuSettings(memoryFraction, memoryBytes, bytes, maxInFlight, pinnedMemoryBytes);
  }
}
