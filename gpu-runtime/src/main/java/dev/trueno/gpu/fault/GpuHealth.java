package dev.trueno.gpu.fault;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.CudaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the GPU of this JVM may still be used, and what kind of GPU failure an exception is.
 *
 * <p>Operators that fail on the GPU finish their work on the CPU ({@link #classify} tells them
 * whether a failure is a GPU failure at all). Most GPU failures leave the device usable: an
 * allocation that found no room, a launch that asked for too many resources. A <em>sticky</em> CUDA
 * error (an illegal address, a failed launch, an ECC error, ...) corrupts the CUDA context for the
 * rest of the process: every later call on it fails. After one, {@link #disable} turns the GPU off
 * for this JVM (a Spark executor), and {@code GpuBackend.unavailableReason()} returns the reason
 * from then on, so later operators are planned and run on the CPU.
 *
 * <p>Thread-safe: the state is JVM-wide and shared by every task thread.
 */
public final class GpuHealth {
  private static final Logger LOG = LoggerFactory.getLogger(GpuHealth.class);

  /**
   * The CUDA driver errors after which the context is unusable (the CUDA documentation: "the
   * process must be terminated and relaunched"), named as {@code jcuda.driver.CUresult} names them.
   */
  static final Set<String> STICKY_CUDA_ERRORS =
      Set.of(
          "CUDA_ERROR_ILLEGAL_ADDRESS",
          "CUDA_ERROR_LAUNCH_FAILED",
          "CUDA_ERROR_ILLEGAL_INSTRUCTION",
          "CUDA_ERROR_MISALIGNED_ADDRESS",
          "CUDA_ERROR_HARDWARE_STACK_ERROR",
          "CUDA_ERROR_INVALID_PC",
          "CUDA_ERROR_ASSERT",
          "CUDA_ERROR_ECC_UNCORRECTABLE",
          "CUDA_ERROR_CONTEXT_IS_DESTROYED",
          "CUDA_ERROR_LAUNCH_TIMEOUT");

  private static final Pattern CUDA_ERROR_NAME = Pattern.compile("CUDA_ERROR_[A-Z0-9_]+");

  /** The package whose MEMORY_EXHAUSTED errors are about GPU (device or pinned) memory. */
  private static final String GPU_PACKAGE = "dev.trueno.gpu.";

  private static final AtomicReference<String> DISABLED = new AtomicReference<>();

  private GpuHealth() {}

  /** What kind of failure an exception is, as far as the GPU is concerned. */
  public enum Kind {
    /** Not a GPU failure (a user error, a host memory budget, a bug on the CPU side). */
    NOT_GPU,
    /** A GPU failure after which the device is still usable: the work can finish on the CPU. */
    RECOVERABLE,
    /** A sticky CUDA error: the context is unusable, the GPU must be disabled for this JVM. */
    STICKY
  }

  /**
   * The classification of one exception.
   *
   * @param kind whether and how it is a GPU failure
   * @param error the CUDA error name ({@code CUDA_ERROR_...}), or {@code MEMORY_EXHAUSTED} for a
   *     GPU memory pool that had no room; null when {@code kind} is {@link Kind#NOT_GPU}
   */
  public record Failure(Kind kind, String error) {
    /** True for a GPU failure of either kind. */
    public boolean isGpuFailure() {
      return kind != Kind.NOT_GPU;
    }

    /** True for a sticky CUDA error. */
    public boolean sticky() {
      return kind == Kind.STICKY;
    }
  }

  private static final Failure NOT_GPU = new Failure(Kind.NOT_GPU, null);

  /**
   * Classifies {@code failure} by its cause chain: a {@link CudaException} (JCuda raises one for
   * every failed driver call, named by its {@code CUresult}) is a GPU failure, sticky when its
   * error is one of {@link #STICKY_CUDA_ERRORS}; a {@link TruenoException} MEMORY_EXHAUSTED raised
   * by the GPU runtime (its device or pinned memory pools) is a recoverable GPU failure. Anything
   * else, including MEMORY_EXHAUSTED of a task's host memory budget, is not a GPU failure.
   */
  public static Failure classify(Throwable failure) {
    Failure memory = NOT_GPU;
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 32; t = t.getCause(), depth++) {
      if (t instanceof CudaException) {
        String name = cudaErrorName(t.getMessage());
        if (name == null) {
          return new Failure(Kind.RECOVERABLE, "CUDA error " + t.getMessage());
        }
        return new Failure(
            STICKY_CUDA_ERRORS.contains(name) ? Kind.STICKY : Kind.RECOVERABLE, name);
      }
      if (memory == NOT_GPU
          && t instanceof TruenoException e
          && e.code() == ErrorCode.MEMORY_EXHAUSTED
          && raisedByGpuRuntime(e)) {
        // Keep looking: a CUDA error further down the chain says more.
        memory = new Failure(Kind.RECOVERABLE, ErrorCode.MEMORY_EXHAUSTED.name());
      }
    }
    return memory;
  }

  private static String cudaErrorName(String message) {
    if (message == null) {
      return null;
    }
    Matcher m = CUDA_ERROR_NAME.matcher(message);
    return m.find() ? m.group() : null;
  }

  private static boolean raisedByGpuRuntime(Throwable t) {
    StackTraceElement[] frames = t.getStackTrace();
    return frames.length > 0 && frames[0].getClassName().startsWith(GPU_PACKAGE);
  }

  /**
   * Turns the GPU off for the rest of this JVM after a sticky CUDA error, logging one ERROR line;
   * later calls (other tasks hitting the same broken context) change nothing.
   *
   * @param error the CUDA error name, e.g. {@code CUDA_ERROR_ILLEGAL_ADDRESS}
   * @param where the operator or call that saw it, for the log line
   * @return true when this call disabled the GPU, false when it was already disabled
   */
  public static boolean disable(String error, String where) {
    String reason =
        "Trueno disabled the GPU on this executor after a sticky CUDA error ("
            + error
            + " in "
            + where
            + "): later operators run on the CPU";
    if (!DISABLED.compareAndSet(null, reason)) {
      return false;
    }
    LOG.error(reason);
    return true;
  }

  /** Why the GPU was disabled on this JVM, or null while it is enabled. */
  public static String disabledReason() {
    return DISABLED.get();
  }

  /** True once {@link #disable} has run in this JVM. */
  public static boolean disabled() {
    return DISABLED.get() != null;
  }

  /**
   * Test hook: enables the GPU again. Only for tests whose sticky errors were injected by {@link
   * FaultInjection}; after a real one the CUDA context stays broken.
   */
  public static void resetForTests() {
    DISABLED.set(null);
  }
}
