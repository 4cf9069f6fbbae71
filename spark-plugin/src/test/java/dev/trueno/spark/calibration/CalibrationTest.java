package dev.trueno.spark.calibration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.trueno.core.cost.HardwareProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JVM-wide holder with injected measurements: never blocks, caches, reports failures. */
class CalibrationTest {
  private static final String KEY = "test gpu | test cpu | trueno dev | format 1";

  @TempDir Path dir;

  @AfterEach
  void restoreRealHooks() {
    Calibration.resetForTesting(
        new Calibration.Hooks(Calibration::machineKey, Calibration::measure));
  }

  private static void reset(Supplier<HardwareProfile> measurer) {
    Calibration.resetForTesting(new Calibration.Hooks(() -> KEY, measurer));
  }

  private static void await() {
    Calibration.awaitMeasurementForTesting(Duration.ofSeconds(30));
  }

  @Test
  void firstCallReturnsNullWhileMeasuringThenTheProfile() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    HardwareProfile measured = TestProfiles.measured(1);
    reset(
        () -> {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return measured;
        });
    assertThat(Calibration.pendingOrFailedReason()).isEqualTo("calibration not started");
    assertThat(Calibration.current(dir.toString())).isNull();
    assertThat(Calibration.pendingOrFailedReason()).isEqualTo("calibration pending");
    assertThat(Calibration.current(dir.toString())).isNull();
    release.countDown();
    await();
    assertThat(Calibration.current(dir.toString())).isEqualTo(measured);
    assertThat(Calibration.pendingOrFailedReason()).isNull();
    assertThat(CalibrationCache.file(dir, KEY)).exists();
  }

  @Test
  void measuresOncePerJvm() {
    AtomicInteger calls = new AtomicInteger();
    reset(
        () -> {
          calls.incrementAndGet();
          return TestProfiles.measured(1);
        });
    Calibration.current(dir.toString());
    await();
    for (int i = 0; i < 3; i++) {
      assertThat(Calibration.current(dir.toString())).isNotNull();
    }
    assertThat(calls).hasValue(1);
  }

  @Test
  void aCachedProfileIsReturnedAtOnceWithoutMeasuring() throws IOException {
    Path file = CalibrationCache.file(dir, KEY);
    CalibrationCache.write(file, KEY, TestProfiles.measured(3));
    reset(
        () -> {
          throw new AssertionError("a cached machine must not be measured");
        });
    HardwareProfile p = Calibration.current(dir.toString());
    assertThat(p)
        .isEqualTo(TestProfiles.withSource(TestProfiles.measured(3), "cached (" + file + ")"));
    assertThat(p.source()).startsWith("cached (").contains(file.toString());
  }

  @Test
  void aCorruptCacheFileIsMeasuredAgainAndReplaced() throws IOException {
    Path file = CalibrationCache.file(dir, KEY);
    Files.writeString(file, "{\"formatVersion\": 1, \"machine\": ", StandardCharsets.UTF_8);
    reset(() -> TestProfiles.measured(1));
    assertThat(Calibration.current(dir.toString())).isNull();
    await();
    assertThat(Calibration.current(dir.toString())).isEqualTo(TestProfiles.measured(1));
    assertThat(CalibrationCache.load(file, KEY)).isNotNull();
  }

  @Test
  void aFailedMeasurementGivesNoProfileAndSaysWhy() {
    reset(
        () -> {
          throw new IllegalStateException("CUDA error: the device vanished");
        });
    assertThat(Calibration.current(dir.toString())).isNull();
    await();
    assertThat(Calibration.current(dir.toString())).isNull();
    assertThat(Calibration.pendingOrFailedReason())
        .isEqualTo("calibration failed: CUDA error: the device vanished");
  }

  @Test
  void aMachineWithoutUsableGpuFailsWithTheReason() {
    Calibration.resetForTesting(
        new Calibration.Hooks(
            () -> {
              throw new IllegalStateException("no usable GPU to calibrate: no driver");
            },
            () -> TestProfiles.measured(1)));
    assertThat(Calibration.current(dir.toString())).isNull();
    assertThat(Calibration.pendingOrFailedReason())
        .isEqualTo("calibration failed: no usable GPU to calibrate: no driver");
  }

  @Test
  void anInvalidCacheDirectoryIsAFailureNotAnException() {
    reset(() -> TestProfiles.measured(1));
    assertThat(Calibration.current("bad\0dir")).isNull();
    assertThat(Calibration.pendingOrFailedReason())
        .startsWith("calibration failed: ")
        .contains("bad");
  }

  @Test
  void anUnwritableCacheStillGivesTheProfile() throws IOException {
    Path notADir = Files.writeString(dir.resolve("plain"), "x");
    reset(() -> TestProfiles.measured(1));
    Calibration.current(notADir.toString());
    await();
    assertThat(Calibration.current(notADir.toString())).isEqualTo(TestProfiles.measured(1));
  }

  @Test
  void figuresLineNamesEveryFigureInGigabytesPerSecond() {
    String line = Calibration.figures(TestProfiles.measured(1));
    assertThat(line)
        .startsWith("h2d pinned 24.1 GB/s, h2d pageable 11.5 GB/s, d2h 25.0 GB/s; gpu reduction ")
        .contains("; simd reduction ", "; scalar reduction ", "joinProbe");
  }

  @Test
  void cpuModelIsNeverBlank() {
    assertThat(Calibration.cpuModel()).isNotBlank();
  }
}
