package dev.trueno.spark.exec;

import dev.trueno.core.backend.Backend;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.gpu.GpuSettings;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.simd.vector.VectorBackend;
import dev.trueno.spark.config.TruenoConf;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Picks the backend of an operator from {@code spark.trueno.backend}. */
public final class Backends {
  private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
  private static final AtomicBoolean SIMD_WARNED = new AtomicBoolean();
  private static final AtomicBoolean GPU_WARNED = new AtomicBoolean();

  private Backends() {}

  /** A backend that can be named in a serialized task and created on the executor. */
  public enum Choice {
    SCALAR("scalar"),
    SIMD("simd"),
    GPU("gpu");

    private final String label;

    Choice(String label) {
      this.label = label;
    }

    /** The name shown in explain output. */
    public String label() {
      return label;
    }
  }

  /**
   * The backend the configuration asks for, on this JVM: {@code AUTO} is SIMD where the Vector API
   * is enabled, else scalar; a forced SIMD that is unavailable runs scalar, with the reason logged
   * once; a forced GPU that is unavailable runs on the best CPU backend.
   */
  public static Choice choose(TruenoConf.BackendChoice configured) {
    return switch (configured) {
      case SCALAR -> Choice.SCALAR;
      case AUTO, SIMD -> cpu(configured == TruenoConf.BackendChoice.SIMD);
      case GPU -> gpuUnavailableReason() == null ? Choice.GPU : cpu(false);
    };
  }

  /** The best CPU backend on this JVM. */
  public static Choice cpu(boolean warnIfSimdMissing) {
    return simdAvailable(warnIfSimdMissing) ? Choice.SIMD : Choice.SCALAR;
  }

  /** Why the GPU cannot be used on this JVM, or null when it can (discovered once per JVM). */
  public static String gpuUnavailableReason() {
    return new GpuBackend().unavailableReason();
  }

  /**
   * A backend instance (backends are stateless factories). Executors check availability again:
   * their JVM options may differ from the driver's.
   *
   * @param gpuSettings the GPU runtime's settings, used when the choice is the GPU (the first
   *     settings to reach an executor's GPU size its JVM-wide device memory pool)
   */
  public static Backend create(Choice choice, GpuSettings gpuSettings) {
    return switch (choice) {
      case SCALAR -> new ScalarBackend();
      case SIMD -> simdAvailable(true) ? new VectorBackend() : new ScalarBackend();
      case GPU -> {
        String reason = gpuUnavailableReason();
        if (reason == null) {
          yield new GpuBackend(gpuSettings);
        }
        if (GPU_WARNED.compareAndSet(false, true)) {
          LOG.warn("The GPU cannot be used on this executor, running on the CPU: {}", reason);
        }
        yield create(cpu(false), gpuSettings);
      }
    };
  }

  private static boolean simdAvailable(boolean warnIfMissing) {
    String reason = new VectorBackend().unavailableReason();
    if (reason != null && warnIfMissing && SIMD_WARNED.compareAndSet(false, true)) {
      LOG.warn(reason);
    }
    return reason == null;
  }
}
