package dev.trueno.gpu.calibration;

import dev.trueno.core.cost.OperatorKind;
import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.gpu.memory.DeviceBuffer;
import dev.trueno.gpu.memory.DeviceMemoryPool;
import dev.trueno.gpu.memory.HostPointer;
import dev.trueno.gpu.memory.PinnedAllocationManager;
import dev.trueno.gpu.memory.PinnedBuffer;
import dev.trueno.gpu.memory.PinnedMemoryPool;
import dev.trueno.simd.calibration.CalibrationWorkload;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Measures this machine's GPU for the cost model: copy bandwidths between host and device, and the
 * GPU backend's throughput per {@link OperatorKind} on the shared {@link CalibrationWorkload}.
 *
 * <p><b>Bandwidths</b> are timed with CUDA events around {@value #COPY_REPETITIONS} copies of
 * {@value #COPY_MIB} MiB on one stream after one untimed copy: host-to-device from pinned memory (a
 * block of a pinned pool, as morsels are staged), host-to-device from pageable memory (ordinary
 * Arrow memory, each copy from its own region that is no longer in the CPU's caches), and
 * device-to-host into pinned memory.
 *
 * <p><b>Throughputs</b> are measured end to end, the way {@code GpuBackend}'s operators run in a
 * task: input batches of {@value #OPERATOR_ROWS} rows (8 MiB per bigint column) already in pinned
 * host memory, which the transfer queue copies by DMA as it is (as with batches from the executor's
 * pinned pool; keyless reductions copy per batch through their own kernel path), timed from the
 * operator's creation until its last output batch is closed, so they include the host-to-device
 * copies, the kernels, the copy back and building the Arrow output. The public operators do not
 * expose their kernel time separately. Since the cost model prices the transfer on top, these
 * figures are conservative for the GPU: the copy is counted twice, most for streaming kinds such as
 * reductions whose kernels run near copy speed. The best of {@value #OPERATOR_RUNS} runs counts
 * (the first loads the kernels and warms the pools).
 *
 * <p>Memory: a private device pool and pinned pool of bounded size, closed before this returns, so
 * calibration neither leaks nor holds memory the executor's pools account for.
 */
public final class GpuCalibration {
  /** MiB per timed copy. */
  static final int COPY_MIB = 32;

  /** Timed copies per bandwidth. */
  static final int COPY_REPETITIONS = 4;

  /** Input rows per operator run (the probe side's for joins). */
  static final int OPERATOR_ROWS = 1 << 20;

  /** Runs per operator kind; the best counts. */
  static final int OPERATOR_RUNS = 3;

  private static final long COPY_BYTES = (long) COPY_MIB << 20;

  /**
   * The pageable source: each copy reads its own {@value #COPY_MIB} MiB region from the start of a
   * buffer this large, whose every page was written first. The regions read were written long
   * before the end of the buffer, so they come from memory and not from the CPU's caches, as a
   * morsel of batches does.
   */
  private static final long PAGEABLE_BYTES = 256L << 20;

  private static final long DEVICE_BUDGET = 1L << 30;
  private static final long PINNED_BUDGET = 512L << 20;

  private GpuCalibration() {}

  /**
   * The GPU figures of one calibration.
   *
   * @param device the device, as {@link #deviceDescription} describes it
   * @param h2dPinnedBytesPerSecond host-to-device bandwidth from pinned memory
   * @param h2dPageableBytesPerSecond host-to-device bandwidth from pageable memory
   * @param d2hBytesPerSecond device-to-host bandwidth into pinned memory
   * @param gpuBytesPerSecond end-to-end GPU throughput per operator kind
   * @param elapsedNanos the wall time of the whole GPU calibration
   */
  public record Result(
      String device,
      double h2dPinnedBytesPerSecond,
      double h2dPageableBytesPerSecond,
      double d2hBytesPerSecond,
      Map<OperatorKind, Double> gpuBytesPerSecond,
      long elapsedNanos) {
    /** Copies the map. */
    public Result {
      gpuBytesPerSecond = Collections.unmodifiableMap(new EnumMap<>(gpuBytesPerSecond));
    }
  }

  /**
   * Measures the JVM's GPU ({@link CudaDevice#discover()}).
   *
   * @throws TruenoException UNSUPPORTED with the discovery reason when no GPU is usable; INTERNAL
   *     naming the step when a CUDA call fails; MEMORY_EXHAUSTED when the device or host cannot
   *     spare the calibration's memory
   */
  public static Result measure() {
    CudaDevice.Discovery discovery = CudaDevice.discover();
    if (!discovery.usable()) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED, "Cannot calibrate the GPU: " + discovery.unavailableReason());
    }
    return measure(discovery.device());
  }

  /** Measures {@code device}; see {@link #measure()}. */
  public static Result measure(CudaDevice device) {
    long start = System.nanoTime();
    device.makeCurrent();
    try (DeviceMemoryPool devicePool =
            DeviceMemoryPool.create(
                device, "calibration", Math.min(DEVICE_BUDGET, device.memoryInfo()[0] / 4));
        PinnedMemoryPool pinnedPool =
            PinnedMemoryPool.create(device, "calibration-pinned", PINNED_BUDGET)) {
      double pinned;
      double pageable;
      double d2h;
      try (DeviceBuffer target = devicePool.allocate(COPY_BYTES, "calibration copy target");
          PinnedBuffer host = pinnedPool.allocate(COPY_BYTES, "calibration copy source")) {
        HostPointer pinnedHost = HostPointer.at(host.address());
        pinned = copyBandwidth(device, Copy.H2D, target, offset -> pinnedHost);
        // Pageable copies go through the driver's staging buffer: a source still in the CPU's
        // caches copied at 11-12.5 GB/s on the H200 machine where one from memory copied at
        // 8.6, so each copy reads a region of ordinary (Arrow) memory that is no longer cached.
        try (BufferAllocator ordinary = new RootAllocator(PAGEABLE_BYTES);
            ArrowBuf source = ordinary.buffer(PAGEABLE_BYTES)) {
          source.setZero(0, PAGEABLE_BYTES);
          long base = source.memoryAddress();
          pageable =
              copyBandwidth(device, Copy.H2D, target, offset -> HostPointer.at(base + offset));
        }
        d2h = copyBandwidth(device, Copy.D2H, target, offset -> pinnedHost);
      }
      // The pool's cached blocks would otherwise count against the operators' input.
      pinnedPool.trim();
      Map<OperatorKind, Double> throughput = new EnumMap<>(OperatorKind.class);
      // Input in the calibration's own pinned pool, copied by DMA as the executor's pinned
      // batches are, without starting the executor's pool (whose budget the session sets).
      GpuBackend backend = new GpuBackend(devicePool, pinnedPool, GpuSettings.DEFAULTS);
      CalibrationWorkload workload = new CalibrationWorkload(OPERATOR_ROWS);
      try (BufferAllocator allocator =
          PinnedAllocationManager.rootAllocator(pinnedPool, PINNED_BUDGET)) {
        for (OperatorKind kind : OperatorKind.values()) {
          throughput.put(
              kind, workload.bestBytesPerSecond(backend, kind, allocator, OPERATOR_RUNS, 0));
        }
      }
      return new Result(
          deviceDescription(device), pinned, pageable, d2h, throughput, System.nanoTime() - start);
    }
  }

  /**
   * The device's name and the driver's CUDA version, e.g. {@code NVIDIA H200 (CUDA driver 12.8)}:
   * what a cached calibration must match, since a new driver can change copy and kernel speeds.
   *
   * @throws TruenoException INTERNAL when the driver cannot be asked
   */
  public static String deviceDescription(CudaDevice device) {
    int[] version = new int[1];
    try {
      JCudaDriver.cuDriverGetVersion(version);
    } catch (CudaException e) {
      throw device.error("read the CUDA driver version", e);
    }
    return device.name()
        + " (CUDA driver "
        + version[0] / 1000
        + "."
        + (version[0] % 1000) / 10
        + ")";
  }

  private enum Copy {
    H2D,
    D2H
  }

  /** Bytes per second of {@value #COPY_REPETITIONS} copies of COPY_BYTES, after one untimed. */
  /**
   * Bytes per second of {@value #COPY_REPETITIONS} timed copies after one untimed one; copy {@code
   * i} (0 the untimed one) uses the host memory {@code hostAt.apply(i * COPY_BYTES)}.
   */
  private static double copyBandwidth(
      CudaDevice device,
      Copy direction,
      DeviceBuffer deviceBuffer,
      java.util.function.LongFunction<Pointer> hostAt) {
    CUstream stream = new CUstream();
    CUevent before = new CUevent();
    CUevent after = new CUevent();
    boolean streamMade = false;
    boolean beforeMade = false;
    boolean afterMade = false;
    try {
      JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
      streamMade = true;
      JCudaDriver.cuEventCreate(before, CUevent_flags.CU_EVENT_DEFAULT);
      beforeMade = true;
      JCudaDriver.cuEventCreate(after, CUevent_flags.CU_EVENT_DEFAULT);
      afterMade = true;
      copy(direction, deviceBuffer, hostAt.apply(0), stream); // driver paths warmed
      JCudaDriver.cuEventRecord(before, stream);
      for (int i = 1; i <= COPY_REPETITIONS; i++) {
        copy(direction, deviceBuffer, hostAt.apply(i * COPY_BYTES), stream);
      }
      JCudaDriver.cuEventRecord(after, stream);
      JCudaDriver.cuEventSynchronize(after);
      float[] millis = new float[1];
      JCudaDriver.cuEventElapsedTime(millis, before, after);
      double seconds = Math.max(millis[0], 1e-3f) / 1e3;
      return COPY_BYTES * (double) COPY_REPETITIONS / seconds;
    } catch (CudaException e) {
      throw device.error("time " + direction + " copies for calibration", e);
    } finally {
      if (afterMade) {
        JCudaDriver.cuEventDestroy(after);
      }
      if (beforeMade) {
        JCudaDriver.cuEventDestroy(before);
      }
      if (streamMade) {
        JCudaDriver.cuStreamSynchronize(stream);
        JCudaDriver.cuStreamDestroy(stream);
      }
    }
  }

  private static void copy(Copy direction, DeviceBuffer deviceBuffer, Pointer host, CUstream s) {
    if (direction == Copy.H2D) {
      JCudaDriver.cuMemcpyHtoDAsync(deviceBuffer.pointer(), host, COPY_BYTES, s);
    } else {
      JCudaDriver.cuMemcpyDtoHAsync(host, deviceBuffer.pointer(), COPY_BYTES, s);
    }
  }
}
