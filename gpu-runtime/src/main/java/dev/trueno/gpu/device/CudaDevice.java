package dev.trueno.gpu.device;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.CudaException;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA device this JVM computes on: device 0, its primary context and the loaded kernels.
 *
 * <p>There is at most one per JVM, found by {@link #discover()}. Discovery never throws: when the
 * GPU cannot be used it says why (no driver, no device, compute capability too low, kernels not
 * built, a CUDA error), so that Trueno runs on the CPU with that reason. The primary context is
 * shared by every thread; each operation calls {@link #makeCurrent()} on its own thread first. The
 * context is retained for the life of the JVM and released by the driver at exit: executors keep
 * their GPU until they end, and releasing it while a task thread still runs would break that task.
 */
public final class CudaDevice {
  /** The lowest compute capability (major * 10 + minor) Trueno runs on. */
  public static final int MIN_COMPUTE_CAPABILITY = 70;

  /** The classpath resource holding the nvcc-built kernels. */
  public static final String KERNELS_RESOURCE = "/dev/trueno/gpu/kernels.fatbin";

  /** The architectures the fatbin carries, for messages (see src/main/cuda/build-fatbin.sh). */
  static final String KERNEL_TARGETS = "sm_80, sm_86, sm_89, sm_90 and compute_90 PTX";

  private static final Object LOCK = new Object();
  private static volatile Discovery discovery;

  private final int ordinal;
  private final String name;
  private final int computeCapability;
  private final int multiprocessors;
  private final CUcontext context;
  private final CUmodule module;
  private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();

  private CudaDevice(
      int ordinal,
      String name,
      int computeCapability,
      int multiprocessors,
      CUcontext context,
      CUmodule module) {
    this.ordinal = ordinal;
    this.name = name;
    this.computeCapability = computeCapability;
    this.multiprocessors = multiprocessors;
    this.context = context;
    this.module = module;
  }

  /**
   * The outcome of device discovery: a usable device, or the reason there is none.
   *
   * @param device the device, or null when unavailable
   * @param unavailableReason why no GPU can be used, or null when {@code device} is set
   */
  public record Discovery(CudaDevice device, String unavailableReason) {
    /** True when a device was found and its kernels loaded. */
    public boolean usable() {
      return device != null;
    }
  }

  /**
   * Finds the GPU once per JVM and caches the outcome (a driver that failed to load or a missing
   * device does not appear later in the same process). Never throws.
   */
  public static Discovery discover() {
    Discovery d = discovery;
    if (d == null) {
      synchronized (LOCK) {
        d = discovery;
        if (d == null) {
          d = probe();
          discovery = d;
        }
      }
    }
    return d;
  }

  private static Discovery probe() {
    try {
      return probeDevice();
    } catch (LinkageError e) {
      // JCuda's native library links against libcuda.so.1: without an NVIDIA driver it cannot load.
      return unavailable(
          "the CUDA driver library could not be loaded ("
              + firstLine(e)
              + "): install an NVIDIA driver that provides libcuda.so.1 to use the GPU");
    } catch (CudaException e) {
      return unavailable("CUDA error during device discovery: " + explain(e.getMessage()));
    } catch (RuntimeException e) {
      return unavailable("device discovery failed: " + e);
    }
  }

  private static Discovery probeDevice() {
    // Turns every non-success CUresult into a CudaException, so no return code is left unchecked.
    JCudaDriver.setExceptionsEnabled(true);
    try {
      JCudaDriver.cuInit(0);
    } catch (CudaException e) {
      return unavailable("cuInit failed: " + explain(e.getMessage()));
    }
    int[] count = new int[1];
    JCudaDriver.cuDeviceGetCount(count);
    if (count[0] == 0) {
      return unavailable(
          "the CUDA driver sees no device (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
    }
    int ordinal = 0;
    CUdevice device = new CUdevice();
    JCudaDriver.cuDeviceGet(device, ordinal);
    byte[] nameBytes = new byte[256];
    JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, device);
    String name = cString(nameBytes);
    int major = attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    int minor = attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    int cc = major * 10 + minor;
    if (cc < MIN_COMPUTE_CAPABILITY) {
      return unavailable(
          "GPU "
              + ordinal
              + " ("
              + name
              + ") has compute capability "
              + major
              + "."
              + minor
              + ", below the minimum 7.0");
    }
    byte[] fatbin = readKernels();
    if (fatbin == null) {
      return unavailable(
          "kernels not built: this trueno-gpu build has no "
              + KERNELS_RESOURCE
              + " (it was built with -Dtrueno.cuda.skip=true); rebuild with nvcc to use the GPU");
    }
    int sms = attribute(device, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    CUcontext context = new CUcontext();
    JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
    JCudaDriver.cuCtxSetCurrent(context);
    CUmodule module = new CUmodule();
    try {
      JCudaDriver.cuModuleLoadData(module, fatbin);
    } catch (CudaException e) {
      JCudaDriver.cuDevicePrimaryCtxRelease(device);
      return unavailable(
          "the kernels (built for "
              + KERNEL_TARGETS
              + ") cannot be loaded on GPU "
              + ordinal
              + " ("
              + name
              + ", compute capability "
              + major
              + "."
              + minor
              + "): "
              + explain(e.getMessage()));
    }
    return new Discovery(new CudaDevice(ordinal, name, cc, sms, context, module), null);
  }

  /** JCuda's load errors list every path it tried; the first line says what failed. */
  private static String firstLine(Throwable e) {
    String text = e.toString();
    int newline = text.indexOf('\n');
    return (newline < 0 ? text : text.substring(0, newline)).strip();
  }

  private static Discovery unavailable(String reason) {
    return new Discovery(null, "No usable GPU: " + reason);
  }

  private static int attribute(CUdevice device, int attribute) {
    int[] value = new int[1];
    JCudaDriver.cuDeviceGetAttribute(value, attribute, device);
    return value[0];
  }

  private static byte[] readKernels() {
    try (InputStream in = CudaDevice.class.getResourceAsStream(KERNELS_RESOURCE)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new TruenoException(
          ErrorCode.INTERNAL, "Cannot read " + KERNELS_RESOURCE + " from the classpath", e);
    }
  }

  private static String cString(byte[] bytes) {
    int end = 0;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, 0, end, StandardCharsets.US_ASCII);
  }

  /** Adds a hint to the CUDA error names whose fix is not obvious from the name. */
  static String explain(String cudaMessage) {
    String m = String.valueOf(cudaMessage);
    if (m.contains("CUDA_ERROR_NO_DEVICE")) {
      return m + " (no CUDA device is visible: check nvidia-smi and CUDA_VISIBLE_DEVICES)";
    }
    if (m.contains("CUDA_ERROR_INSUFFICIENT_DRIVER")) {
      return m + " (the NVIDIA driver is older than the CUDA 12 driver API: update the driver)";
    }
    if (m.contains("CUDA_ERROR_NO_BINARY_FOR_GPU")) {
      return m + " (the fatbin has no code this GPU can run)";
    }
    return m;
  }

  /** Makes this device's context current on the calling thread; call before any CUDA work. */
  public void makeCurrent() {
    try {
      JCudaDriver.cuCtxSetCurrent(context);
    } catch (CudaException e) {
      throw error("make the CUDA context current", e);
    }
  }

  /** The kernel function {@code name} of the loaded fatbin. */
  public CUfunction function(String name) {
    return functions.computeIfAbsent(
        name,
        n -> {
          CUfunction f = new CUfunction();
          try {
            JCudaDriver.cuModuleGetFunction(f, module, n);
          } catch (CudaException e) {
            throw error("find kernel " + n + " in " + KERNELS_RESOURCE, e);
          }
          return f;
        });
  }

  /** Free and total device memory in bytes, as the driver reports them now. */
  public long[] memoryInfo() {
    makeCurrent();
    long[] free = new long[1];
    long[] total = new long[1];
    try {
      JCudaDriver.cuMemGetInfo(free, total);
    } catch (CudaException e) {
      throw error("query device memory", e);
    }
    return new long[] {free[0], total[0]};
  }

  /** An INTERNAL error about a failed CUDA call on this device. */
  public TruenoException error(String action, CudaException cause) {
    return new TruenoException(
        ErrorCode.INTERNAL,
        "CUDA error on GPU "
            + ordinal
            + " ("
            + name
            + ") while trying to "
            + action
            + ": "
            + explain(cause.getMessage()),
        cause);
  }

  /** The device ordinal. */
  public int ordinal() {
    return ordinal;
  }

  /** The device's name as the driver reports it. */
  public String name() {
    return name;
  }

  /** The compute capability as major * 10 + minor. */
  public int computeCapability() {
    return computeCapability;
  }

  /** The number of streaming multiprocessors. */
  public int multiprocessors() {
    return multiprocessors;
  }

  @Override
  public String toString() {
    return "GPU "
        + ordinal
        + " ("
        + name
        + ", compute capability "
        + computeCapability / 10
        + "."
        + computeCapability % 10
        + ", "
        + multiprocessors
        + " SMs)";
  }
}
