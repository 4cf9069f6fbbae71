package dev.trueno.spark.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.cost.HardwareProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationCacheTest {
  private static final String KEY =
      "NVIDIA H200 (CUDA driver 12.8) | AMD EPYC 9654 96-Core Processor | trueno dev | format 1";

  @TempDir Path dir;

  @Test
  void writtenProfileLoadsEqualWithACachedSource() throws IOException {
    HardwareProfile measured = TestProfiles.measured(1);
    Path file = CalibrationCache.file(dir, KEY);
    CalibrationCache.write(file, KEY, measured);
    HardwareProfile loaded = CalibrationCache.load(file, KEY);
    assertThat(loaded).isEqualTo(TestProfiles.withSource(measured, "cached (" + file + ")"));
  }

  @Test
  void writeCreatesTheDirectoryReplacesTheFileAndLeavesNoTemporaryFiles() throws IOException {
    Path nested = dir.resolve("a/b");
    Path file = CalibrationCache.file(nested, KEY);
    CalibrationCache.write(file, KEY, TestProfiles.measured(1));
    CalibrationCache.write(file, KEY, TestProfiles.measured(2));
    try (Stream<Path> files = Files.list(nested)) {
      assertThat(files).containsExactly(file);
    }
    assertThat(CalibrationCache.load(file, KEY).h2dPinnedBytesPerSecond())
        .isEqualTo(TestProfiles.measured(2).h2dPinnedBytesPerSecond());
  }

  @Test
  void failedWriteNamesTheFileAndLeavesNoTemporaryFile() throws IOException {
    // The cache "directory" is a plain file: nothing can be created under it.
    Path notADir = Files.writeString(dir.resolve("plain"), "x");
    Path file = CalibrationCache.file(notADir, KEY);
    assertThatThrownBy(() -> CalibrationCache.write(file, KEY, TestProfiles.measured(1)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Cannot write the calibration cache file " + file);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(notADir);
    }
  }

  @Test
  void missingFileIsNoProfile() {
    assertThat(CalibrationCache.load(CalibrationCache.file(dir, KEY), KEY)).isNull();
  }

  @Test
  void corruptTruncatedOrForeignFilesAreIgnored() throws IOException {
    Path file = CalibrationCache.file(dir, KEY);
    CalibrationCache.write(file, KEY, TestProfiles.measured(1));
    String good = Files.readString(file, StandardCharsets.UTF_8);
    for (String bad :
        new String[] {
          "",
          "not json",
          good.substring(0, good.length() / 2),
          "[1, 2]",
          good.replace("\"formatVersion\" : 1", "\"formatVersion\" : 99"),
          good.replace("AMD EPYC", "Intel Xeon"),
          good.replaceFirst("\"reduction\" : [0-9.E]+", "\"reduction\" : -1.0"),
          good.replaceFirst("\"d2h\" : [0-9.E]+", "\"d2h\" : \"fast\""),
          good.replaceFirst("\"joinProbe\" : [0-9.E]+,?", "")
        }) {
      Files.writeString(file, bad, StandardCharsets.UTF_8);
      assertThat(CalibrationCache.load(file, KEY)).as(bad).isNull();
    }
  }

  @Test
  void fileNamesAreSanitizedAndStillDistinct() {
    Path a = CalibrationCache.file(dir, KEY);
    assertThat(a.getParent()).isEqualTo(dir);
    assertThat(a.getFileName().toString())
        .startsWith("trueno-calibration-nvidia-h200-cuda-driver-12-8-amd-epyc-9654")
        .endsWith(".json")
        .matches("[a-z0-9.-]+");
    // Keys that sanitize alike still get their own files.
    Path b = CalibrationCache.file(dir, "GPU/1 : x");
    Path c = CalibrationCache.file(dir, "gpu 1 x");
    assertThat(b).isNotEqualTo(c);
    assertThat(b.getFileName().toString())
        .matches("trueno-calibration-gpu-1-x-[0-9a-f]{12}\\.json");
    // Path separators and dots in a key never leave the directory.
    Path d = CalibrationCache.file(dir, "../../etc/passwd");
    assertThat(d.getParent()).isEqualTo(dir);
    assertThat(CalibrationCache.file(dir, "x".repeat(500)).getFileName().toString().length())
        .isLessThan(150);
  }
}
