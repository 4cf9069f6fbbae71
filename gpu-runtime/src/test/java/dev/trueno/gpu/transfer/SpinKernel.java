package dev.trueno.gpu.transfer;

import java.nio.charset.StandardCharsets;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * A kernel that keeps one thread busy for a given number of clock cycles: the stand-in for the
 * consumer's work in the overlap test. Written in PTX and JIT-compiled by the driver, because the
 * build compiles exactly one .cu file of production kernels.
 */
final class SpinKernel implements AutoCloseable {
  private static final String PTX =
      """
      .version 7.0
      .target sm_70
      .address_size 64

      .visible .entry trueno_test_spin(.param .u64 cycles)
      {
        .reg .pred %p<2>;
        .reg .b64 %rd<6>;
        ld.param.u64 %rd1, [cycles];
        mov.u64 %rd2, %clock64;
      SPIN:
        mov.u64 %rd3, %clock64;
        sub.s64 %rd4, %rd3, %rd2;
        setp.lt.s64 %p1, %rd4, %rd1;
        @%p1 bra SPIN;
        ret;
      }
      """;

  private final CUmodule module = new CUmodule();
  private final CUfunction function = new CUfunction();

  /** Loads the kernel into the current context. */
  SpinKernel() {
    byte[] text = (PTX + "\0").getBytes(StandardCharsets.US_ASCII);
    JCudaDriver.cuModuleLoadData(module, text);
    JCudaDriver.cuModuleGetFunction(function, module, "trueno_test_spin");
  }

  /** Enqueues one block of one thread spinning for {@code cycles} SM clock cycles. */
  void launch(long cycles, CUstream stream) {
    Pointer params = Pointer.to(Pointer.to(new long[] {cycles}));
    JCudaDriver.cuLaunchKernel(function, 1, 1, 1, 1, 1, 1, 0, stream, params, null);
  }

  @Override
  public void close() {
    JCudaDriver.cuModuleUnload(module);
  }
}
