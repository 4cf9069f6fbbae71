package dev.trueno.spark.calibration;

import dev.trueno.core.cost.HardwareProfile;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.calibration.GpuCalibration;
import dev.trueno.gpu.device.CudaDevice;
import dev.trueno.simd.calibration.CpuCalibration;
import dev.trueno.spark.config.TruenoConf;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor's (JVM-wide) measured {@link HardwareProfile}: calibrated once per JVM in the
 * background, or loaded from the cache a previous executor on the same kind of machine wrote.
 *
 * <p>{@link #current} never waits for a measurement: the first call loads the cache file if there
 * is one (a few hundred bytes of JSON) and otherwise starts measuring on a daemon thread and
 * returns null, as do later calls until the measurement is done. The measurement runs the GPU
 * calibration ({@link GpuCalibration}) and, on a second thread at the same time, the CPU one
 * ({@link CpuCalibration}); it takes well under 2 s on a large GPU machine and logs one INFO line
 * with the figures. When it fails (the GPU vanished, a CUDA error, out of memory) no profile is
 * produced, a WARN with the reason is logged once, and {@link #pendingOrFailedReason} says so for
 * the caller's decision line; the JVM does not try again.
 *
 * <p>The profile holds measured figures only; the caller applies {@code
 * spark.trueno.calibration.<key>} overrides ({@link TruenoConf#profileOverrides()}) per query, so
 * that a session's settings never leak into the executor-wide profile.
 */
public final class Calibration {
  private static final Logger LOG = LoggerFactory.getLogger(Calibration.class);
  private static final Object LOCK = new Object();
  private static final long CPU_ALLOCATOR_BYTES = 256L << 20;

  /** What a JVM calibrates with; replaced by tests through {@link #resetForTesting}. */
  record Hooks(Supplier<String> machineKey, Supplier<HardwareProfile> measurer) {
    Hooks {
      Objects.requireNonNull(machineKey, "machineKey");
      Objects.requireNonNull(measurer, "measurer");
    }
  }

  private static Hooks hooks = new Hooks(Calibration::machineKey, Calibration::measure);
  private static volatile HardwareProfile profile;
  private static volatile String failure;
  private static boolean started;
  private static Thread measuring;

  private Calibration() {}

  /**
   * The profile of this executor, or null while calibration is pending or when it failed ({@link
   * #pendingOrFailedReason} tells which). Never blocks on a measurement; the first call in a JVM
   * reads the cache file of this machine in {@code cacheDir} (null: {@code
   * ${java.io.tmpdir}/trueno-calibration}) or starts calibrating in the background. Later calls
   * ignore {@code cacheDir}: there is one profile per JVM.
   */
  public static HardwareProfile current(String cacheDir) {
    HardwareProfile p = profile;
    if (p != null || failure != null) {
      return p;
    }
    synchronized (LOCK) {
      if (started) {
        return profile;
      }
      started = true;
      Hooks h = hooks;
      Path dir;
      String key;
      try {
        dir = Path.of(cacheDir != null ? cacheDir : TruenoConf.DEFAULT_CALIBRATION_CACHE_DIR);
        key = h.machineKey().get();
      } catch (RuntimeException | LinkageError e) {
        // An invalid cache path, or no usable GPU: the caller explains the failure.
        fail(e);
        return null;
      }
      Path file = CalibrationCache.file(dir, key);
      HardwareProfile cached = CalibrationCache.load(file, key);
      if (cached != null) {
        LOG.info("Trueno calibration (loaded from {}): {}", file, figures(cached));
        profile = cached;
        return cached;
      }
      measuring = new Thread(() -> measureAndCache(h, key, file), "trueno-calibration");
      measuring.setDaemon(true);
      measuring.start();
      return null;
    }
  }

  /**
   * Why {@link #current} has no profile: {@code calibration pending}, {@code calibration failed:
   * <reason>} or {@code calibration not started}; null when it has one.
   */
  public static String pendingOrFailedReason() {
    if (profile != null) {
      return null;
    }
    String why = failure;
    if (why != null) {
      return "calibration failed: " + why;
    }
    synchronized (LOCK) {
      return started ? "calibration pending" : "calibration not started";
    }
  }

  /**
   * Starts calibration in the background if this JVM has a usable GPU, without waiting for device
   * discovery either: what an executor does when it starts. Never throws.
   */
  public static void startInBackground(String cacheDir) {
    Thread starter =
        new Thread(
            () -> {
              try {
                String reason = new GpuBackend().unavailableReason();
                if (reason != null) {
                  LOG.info("Trueno calibration skipped: no usable GPU ({})", reason);
                  return;
                }
                current(cacheDir);
              } catch (RuntimeException | LinkageError e) {
                fail(e);
              }
            },
            "trueno-calibration-start");
    starter.setDaemon(true);
    starter.start();
  }

  private static void measureAndCache(Hooks h, String key, Path file) {
    long start = System.nanoTime();
    HardwareProfile measured;
    try {
      measured = h.measurer().get();
    } catch (RuntimeException | LinkageError e) {
      fail(e);
      return;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String cachedIn;
    try {
      CalibrationCache.write(file, key, measured);
      cachedIn = "cached in " + file;
    } catch (IOException e) {
      // The profile is still good for this JVM; the next executor measures again.
      LOG.warn("Trueno calibration is not cached: {}", e.getMessage());
      cachedIn = "not cached";
    }
    LOG.info(
        String.format(
            Locale.ROOT,
            "Trueno calibration (measured in %.1f s): %s; %s",
            seconds,
            figures(measured),
            cachedIn));
    profile = measured;
  }

  private static void fail(Throwable e) {
    String message = e.getMessage() != null ? e.getMessage() : e.toString();
    synchronized (LOCK) {
      if (failure != null) {
        return;
      }
      failure = message;
    }
    LOG.warn(
        "Trueno calibration failed, so the cost model has no measured figures on this executor"
            + " and offloads nothing by cost: {}",
        message,
        e);
  }

  /** The figures as the INFO line prints them, in GB/s. */
  static String figures(HardwareProfile p) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "h2d pinned %.1f GB/s, h2d pageable %.1f GB/s, d2h %.1f GB/s",
            p.h2dPinnedBytesPerSecond() / 1e9,
            p.h2dPageableBytesPerSecond() / 1e9,
            p.d2hBytesPerSecond() / 1e9));
    appendPerKind(sb, "gpu", p.gpuBytesPerSecond());
    appendPerKind(sb, "simd", p.simdBytesPerSecond());
    appendPerKind(sb, "scalar", p.scalarBytesPerSecond());
    return sb.toString();
  }

  private static void appendPerKind(StringBuilder sb, String name, Map<OperatorKind, Double> m) {
    sb.append("; ").append(name);
    String sep = " ";
    for (OperatorKind kind : OperatorKind.values()) {
      sb.append(sep)
          .append(kind.key())
          .append(' ')
          .append(String.format(Locale.ROOT, "%.2f", m.get(kind) / 1e9));
      sep = ", ";
    }
    sb.append(" GB/s");
  }

  /** Measures the GPU and, on a second thread meanwhile, the CPU backends; see the class doc. */
  static HardwareProfile measure() {
    FutureTask<CpuCalibration.Result> cpu =
        new FutureTask<>(
            () -> {
              try (BufferAllocator allocator = new RootAllocator(CPU_ALLOCATOR_BYTES)) {
                return CpuCalibration.measure(allocator);
              }
            });
    Thread cpuThread = new Thread(cpu, "trueno-calibration-cpu");
    cpuThread.setDaemon(true);
    cpuThread.start();
    GpuCalibration.Result gpu;
    try {
      gpu = GpuCalibration.measure();
    } finally {
      // Wait for the CPU thread also when the GPU failed, so no calibration work outlives it.
      awaitQuietly(cpu);
    }
    CpuCalibration.Result cpuResult;
    try {
      cpuResult = cpu.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while calibrating the CPU backends", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException re
          ? re
          : new IllegalStateException("CPU calibration failed: " + cause, cause);
    }
    String source = "measured";
    if (cpuResult.simdUnavailableReason() != null) {
      source += " (simd figures are the scalar ones: " + cpuResult.simdUnavailableReason() + ")";
    }
    return new HardwareProfile(
        gpu.h2dPinnedBytesPerSecond(),
        gpu.h2dPageableBytesPerSecond(),
        gpu.d2hBytesPerSecond(),
        gpu.gpuBytesPerSecond(),
        cpuResult.simdBytesPerSecond(),
        cpuResult.scalarBytesPerSecond(),
        null,
        source);
  }

  private static void awaitQuietly(FutureTask<?> task) {
    boolean interrupted = false;
    while (!task.isDone()) {
      try {
        task.get();
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        break; // reported by the caller's get()
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * What a cached profile must match: the GPU and CUDA driver, the CPU model, and the Trueno and
   * cache format versions, e.g. {@code NVIDIA H200 (CUDA driver 12.8) | AMD EPYC 9654 96-Core
   * Processor | trueno 0.1.0 | format 1}.
   *
   * @throws dev.trueno.core.error.TruenoException when no GPU is usable (with the reason)
   */
  static String machineKey() {
    CudaDevice.Discovery discovery = CudaDevice.discover();
    if (!discovery.usable()) {
      throw new dev.trueno.core.error.TruenoException(
          dev.trueno.core.error.ErrorCode.UNSUPPORTED,
          "no usable GPU to calibrate: " + discovery.unavailableReason());
    }
    return GpuCalibration.deviceDescription(discovery.device())
        + " | "
        + cpuModel()
        + " | trueno "
        + truenoVersion()
        + " | format "
        + CalibrationCache.FORMAT_VERSION;
  }

  /**
   * The CPU's model name from {@code /proc/cpuinfo}; where there is none, the architecture and the
   * processor count the JVM sees.
   */
  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
        if (line.startsWith("model name")) {
          int colon = line.indexOf(':');
          String model = colon < 0 ? "" : line.substring(colon + 1).trim();
          if (!model.isEmpty()) {
            return model;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or no access: the fallback below identifies the machine less precisely.
    }
    return System.getProperty("os.arch")
        + " x"
        + Runtime.getRuntime().availableProcessors()
        + " processors";
  }

  private static String truenoVersion() {
    String version = Calibration.class.getPackage().getImplementationVersion();
    return version != null ? version : "dev";
  }

  /**
   * Forgets this JVM's calibration and calibrates with {@code testHooks} from the next {@link
   * #current} call on; waits for a measurement in flight first. For tests only.
   */
  static void resetForTesting(Hooks testHooks) {
    awaitMeasurementForTesting(Duration.ofSeconds(30));
    synchronized (LOCK) {
      hooks = testHooks;
      profile = null;
      failure = null;
      started = false;
      measuring = null;
    }
  }

  /** Waits up to {@code timeout} for a measurement in flight to end. For tests only. */
  static void awaitMeasurementForTesting(Duration timeout) {
    Thread t;
    synchronized (LOCK) {
      t = measuring;
    }
    if (t != null) {
      try {
        t.join(timeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
