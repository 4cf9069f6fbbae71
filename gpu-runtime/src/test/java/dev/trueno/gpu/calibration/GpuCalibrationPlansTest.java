package dev.trueno.gpu.calibration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.cost.OperatorKind;
import dev.trueno.gpu.GpuBackend;
import dev.trueno.simd.calibration.CalibrationWorkload;
import org.junit.jupiter.api.Test;

/**
 * The GPU backend accepts every plan calibration runs; checked without a device, so a change that
 * would make the GPU calibration fail with UNSUPPORTED shows up in CI, not on the GPU machine.
 */
class GpuCalibrationPlansTest {
  @Test
  void gpuBackendAcceptsEveryCalibrationPlan() {
    GpuBackend gpu = new GpuBackend();
    for (OperatorKind kind : OperatorKind.values()) {
      String reason =
          switch (kind) {
            case JOIN_BUILD, JOIN_PROBE -> gpu.unsupportedReason(CalibrationWorkload.JOIN_PLAN);
            default -> gpu.unsupportedReason(CalibrationWorkload.aggregatePlan(kind));
          };
      assertThat(reason).as(kind.toString()).isNull();
    }
  }
}
