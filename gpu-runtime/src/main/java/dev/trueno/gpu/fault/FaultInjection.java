package dev.trueno.gpu.fault;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.CudaException;

/**
 * <b>Test hook</b>: makes the Nth device memory allocation or the Nth kernel launch of this JVM
 * fail the way the CUDA driver would, so that tests can check how operators survive GPU failures.
 * Production code never arms it; unarmed, each hook costs one read of a volatile field.
 *
 * <p>Tests arm it with {@link #failAllocation} and {@link #failKernelLaunch} and call {@link
 * #disarm} afterwards. Executor JVMs that tests fork can be armed with the system property {@value
 * #PROPERTY}, read once when this class loads: {@code alloc:N} fails the Nth allocation, {@code
 * kernel:N:CUDA_ERROR_NAME} the Nth launch with that error (test use only). Each armed fault fires
 * once; calls are counted from the moment it was armed.
 *
 * <p>The faults fire before the real call, so nothing is half done: an injected allocation failure
 * allocates nothing, an injected launch failure launches nothing.
 */
public final class FaultInjection {
  /** The system property that arms a fault in a forked JVM (test use only). */
  public static final String PROPERTY = "trueno.test.fault";

  /** One armed fault: fails call number {@code nth} (1-based) after arming. */
  private record Armed(long nth, String cudaError, AtomicLong calls) {
    boolean fireNow() {
      return calls.incrementAndGet() == nth;
    }
  }

  private static volatile Armed allocation;
  private static volatile Armed launch;

  static {
    String spec = System.getProperty(PROPERTY);
    if (spec != null && !spec.isBlank()) {
      arm(spec);
    }
  }

  private FaultInjection() {}

  /**
   * Arms a fault from its text form: {@code alloc:N} or {@code kernel:N:CUDA_ERROR_NAME}.
   *
   * @throws IllegalArgumentException when the text is not one of these forms
   */
  public static void arm(String spec) {
    String[] parts = spec.strip().split(":");
    try {
      switch (parts[0].toLowerCase(Locale.ROOT)) {
        case "alloc" -> {
          if (parts.length == 2) {
            failAllocation(Long.parseLong(parts[1]));
            return;
          }
        }
        case "kernel" -> {
          if (parts.length == 3) {
            failKernelLaunch(Long.parseLong(parts[1]), parts[2]);
            return;
          }
        }
        default -> {}
      }
    } catch (NumberFormatException e) {
      // falls through to the error below
    }
    throw new IllegalArgumentException(
        PROPERTY
            + " must be alloc:N or kernel:N:CUDA_ERROR_NAME (e.g. kernel:3:CUDA_ERROR_ILLEGAL_ADDRESS),"
            + " not '"
            + spec
            + "'");
  }

  /** Makes the {@code nth} device memory allocation from now on fail as out of device memory. */
  public static void failAllocation(long nth) {
    allocation = new Armed(positive(nth), "CUDA_ERROR_OUT_OF_MEMORY", new AtomicLong());
  }

  /**
   * Makes the {@code nth} kernel launch from now on fail with {@code cudaError}, a {@code
   * jcuda.driver.CUresult} name such as {@code CUDA_ERROR_ILLEGAL_ADDRESS} (sticky) or {@code
   * CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES} (not sticky).
   */
  public static void failKernelLaunch(long nth, String cudaError) {
    if (cudaError == null || !cudaError.startsWith("CUDA_ERROR_")) {
      throw new IllegalArgumentException(
          "A kernel launch fault needs a CUresult name such as CUDA_ERROR_ILLEGAL_ADDRESS, not "
              + cudaError);
    }
    launch = new Armed(positive(nth), cudaError, new AtomicLong());
  }

  /** Removes every armed fault. */
  public static void disarm() {
    allocation = null;
    launch = null;
  }

  private static long positive(long nth) {
    if (nth < 1) {
      throw new IllegalArgumentException("Faults count calls from 1, not " + nth);
    }
    return nth;
  }

  /**
   * Called by the device memory pool before each allocation: true when this one must fail as {@code
   * cuMemAlloc} failing with {@code CUDA_ERROR_OUT_OF_MEMORY} would.
   */
  public static boolean failThisAllocation() {
    Armed a = allocation;
    return a != null && a.fireNow();
  }

  /**
   * Called before each kernel launch: throws the {@link CudaException} that JCuda raises for a
   * failed {@code cuLaunchKernel} when this launch must fail.
   */
  public static void beforeKernelLaunch() {
    Armed a = launch;
    if (a != null && a.fireNow()) {
      throw new CudaException(a.cudaError());
    }
  }
}
