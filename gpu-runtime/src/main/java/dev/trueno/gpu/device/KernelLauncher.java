package dev.trueno.gpu.device;

import dev.trueno.gpu.fault.FaultInjection;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * Launches every Trueno kernel: one-dimensional grids and blocks, no dynamic shared memory. The one
 * place launches pass through, so that {@link FaultInjection} can fail them in tests.
 */
public final class KernelLauncher {
  private KernelLauncher() {}

  /**
   * Enqueues {@code function} with {@code blocks} blocks of {@code threads} threads on {@code
   * stream}; {@code params} points to the kernel's arguments.
   *
   * @throws jcuda.CudaException when the driver refuses the launch (or a test injected a failure)
   */
  public static void launch(
      CUfunction function, int blocks, int threads, CUstream stream, Pointer params) {
    FaultInjection.beforeKernelLaunch();
    JCudaDriver.cuLaunchKernel(function, blocks, 1, 1, threads, 1, 1, 0, stream, params, null);
  }
}
