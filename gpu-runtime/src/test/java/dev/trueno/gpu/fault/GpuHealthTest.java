package dev.trueno.gpu.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import dev.trueno.gpu.GpuBackend;
import jcuda.CudaException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which failures are GPU failures, which are sticky, and what disabling the GPU changes. */
class GpuHealthTest {

  @AfterEach
  void enableTheGpuAgain() {
    GpuHealth.resetForTests();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "CUDA_ERROR_ILLEGAL_ADDRESS",
        "CUDA_ERROR_LAUNCH_FAILED",
        "CUDA_ERROR_ILLEGAL_INSTRUCTION",
        "CUDA_ERROR_MISALIGNED_ADDRESS",
        "CUDA_ERROR_HARDWARE_STACK_ERROR",
        "CUDA_ERROR_INVALID_PC",
        "CUDA_ERROR_ASSERT",
        "CUDA_ERROR_ECC_UNCORRECTABLE",
        "CUDA_ERROR_CONTEXT_IS_DESTROYED",
        "CUDA_ERROR_LAUNCH_TIMEOUT"
      })
  void contextCorruptingErrorsAreSticky(String name) {
    GpuHealth.Failure f = GpuHealth.classify(new CudaException(name));
    assertThat(f.kind()).isEqualTo(GpuHealth.Kind.STICKY);
    assertThat(f.error()).isEqualTo(name);
    assertThat(f.isGpuFailure()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "CUDA_ERROR_OUT_OF_MEMORY",
        "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE",
        "CUDA_ERROR_INVALID_VALUE"
      })
  void resourceAndArgumentErrorsAreRecoverable(String name) {
    GpuHealth.Failure f = GpuHealth.classify(new CudaException(name));
    assertThat(f.kind()).isEqualTo(GpuHealth.Kind.RECOVERABLE);
    assertThat(f.error()).isEqualTo(name);
    assertThat(f.sticky()).isFalse();
  }

  @Test
  void theStickyErrorIsFoundUnderTheRuntimesWrapping() {
    // CudaDevice.error wraps driver errors into an INTERNAL TruenoException.
    TruenoException wrapped =
        new TruenoException(
            ErrorCode.INTERNAL,
            "CUDA error on GPU 0 (H100) while trying to launch agg_update: "
                + "CUDA_ERROR_ILLEGAL_ADDRESS",
            new CudaException("CUDA_ERROR_ILLEGAL_ADDRESS"));
    assertThat(GpuHealth.classify(new RuntimeException("task", wrapped)))
        .isEqualTo(new GpuHealth.Failure(GpuHealth.Kind.STICKY, "CUDA_ERROR_ILLEGAL_ADDRESS"));
  }

  @Test
  void deviceMemoryExhaustedIsARecoverableGpuFailure() {
    TruenoException exhausted =
        new TruenoException(ErrorCode.MEMORY_EXHAUSTED, "GPU memory pool 'executor' cannot ...");
    exhausted.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement(
              "dev.trueno.gpu.memory.DeviceMemoryPool", "allocate", "DeviceMemoryPool.java", 1)
        });
    assertThat(GpuHealth.classify(exhausted))
        .isEqualTo(new GpuHealth.Failure(GpuHealth.Kind.RECOVERABLE, "MEMORY_EXHAUSTED"));
  }

  @Test
  void hostMemoryExhaustedIsNotAGpuFailure() {
    TruenoException exhausted =
        new TruenoException(ErrorCode.MEMORY_EXHAUSTED, "task memory spark.trueno.memory...");
    exhausted.setStackTrace(
        new StackTraceElement[] {
          new StackTraceElement(
              "dev.trueno.spark.exec.ArrowMemory", "forTask", "ArrowMemory.java", 1)
        });
    assertThat(GpuHealth.classify(exhausted).isGpuFailure()).isFalse();
  }

  @Test
  void unrelatedExceptionsAreNotGpuFailures() {
    assertThat(GpuHealth.classify(new IllegalStateException("CUDA_ERROR_ILLEGAL_ADDRESS")).kind())
        .isEqualTo(GpuHealth.Kind.NOT_GPU);
    assertThat(
            GpuHealth.classify(new TruenoException(ErrorCode.DIVIDE_BY_ZERO, "Division by zero"))
                .kind())
        .isEqualTo(GpuHealth.Kind.NOT_GPU);
    assertThat(GpuHealth.classify(null).kind()).isEqualTo(GpuHealth.Kind.NOT_GPU);
  }

  @Test
  void disablingOnceMakesTheBackendUnavailableWithTheReason() {
    assertThat(GpuHealth.disabled()).isFalse();
    assertThat(GpuHealth.disable("CUDA_ERROR_ILLEGAL_ADDRESS", "TruenoHashAggregate")).isTrue();
    assertThat(GpuHealth.disable("CUDA_ERROR_LAUNCH_FAILED", "another task")).isFalse();

    String expected =
        "Trueno disabled the GPU on this executor after a sticky CUDA error "
            + "(CUDA_ERROR_ILLEGAL_ADDRESS in TruenoHashAggregate): later operators run on the CPU";
    assertThat(GpuHealth.disabledReason()).isEqualTo(expected);
    assertThat(new GpuBackend().unavailableReason()).isEqualTo(expected);
  }

  @Test
  void resetEnablesTheGpuAgain() {
    GpuHealth.disable("CUDA_ERROR_ASSERT", "a test");
    GpuHealth.resetForTests();
    assertThat(GpuHealth.disabled()).isFalse();
    assertThat(GpuHealth.disabledReason()).isNull();
    assertThat(new GpuBackend().unavailableReason()).doesNotContain("sticky CUDA error");
  }
}
