package dev.trueno.spark.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.trueno.core.cost.HardwareProfile;
import dev.trueno.gpu.GpuBackend;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole calibration (GPU and CPU, as an executor runs it) on a real device gives a usable
 * profile, which a second JVM-wide start loads from the cache. Prints the INFO line's figures.
 */
@Tag("gpu")
class CalibrationGpuTest {
  @TempDir Path dir;

  @AfterEach
  void reset() {
    Calibration.resetForTesting(
        new Calibration.Hooks(Calibration::machineKey, Calibration::measure));
  }

  @Test
  void fullCalibrationGivesAUsableProfileAndCachesIt() {
    String reason = new GpuBackend().unavailableReason();
    if (reason != null) {
      if (Boolean.getBoolean("trueno.requireGpu")) {
        fail("trueno.requireGpu is set but " + reason);
      }
      Assumptions.abort("No usable GPU: " + reason);
    }
    Calibration.resetForTesting(
        new Calibration.Hooks(Calibration::machineKey, Calibration::measure));
    long start = System.nanoTime();
    assertThat(Calibration.current(dir.toString())).isNull();
    Calibration.awaitMeasurementForTesting(Duration.ofSeconds(60));
    HardwareProfile profile = Calibration.current(dir.toString());
    assertThat(profile).as(Calibration.pendingOrFailedReason()).isNotNull();
    System.out.printf(
        "BENCH calibration total=%.3f s machine=%s: %s%n",
        (System.nanoTime() - start) / 1e9, Calibration.machineKey(), Calibration.figures(profile));
    assertThat(profile.gpuUsable()).isTrue();
    assertThat(profile.source()).startsWith("measured");

    Calibration.resetForTesting(
        new Calibration.Hooks(Calibration::machineKey, Calibration::measure));
    HardwareProfile cached = Calibration.current(dir.toString());
    assertThat(cached).isNotNull();
    assertThat(cached.source()).startsWith("cached (" + dir);
    assertThat(cached.gpuBytesPerSecond()).isEqualTo(profile.gpuBytesPerSecond());
  }
}
