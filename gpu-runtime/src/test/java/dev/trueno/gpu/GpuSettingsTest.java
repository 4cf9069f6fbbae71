package dev.trueno.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class GpuSettingsTest {

  @Test
  void budgetIsTheFractionOfFreeMemoryUnlessBytesAreSet() {
    assertThat(GpuSettings.DEFAULTS.budget(10_000)).isEqualTo(8_000);
    GpuSettings absolute = new GpuSettings(0.8, 4096, 128L << 20, 2, 2L << 30);
    assertThat(absolute.budget(10_000)).isEqualTo(4096);
  }

  @Test
  void withMorselBytesKeepsEveryOtherSetting() {
    GpuSettings settings = new GpuSettings(0.5, 1 << 20, 128L << 20, 3, 64L << 20);
    assertThat(settings.withMorselBytes(4096))
        .isEqualTo(new GpuSettings(0.5, 1 << 20, 4096, 3, 64L << 20));
  }

  @Test
  void nonPositivePinnedBudgetNamesItsKey() {
    assertThatThrownBy(() -> new GpuSettings(0.8, 0, 128L << 20, 2, 0))
        .isInstanceOf(TruenoException.class)
        .hasMessageContaining("spark.trueno.gpu.pinnedMemory.bytes must be positive, got 0")
        .satisfies(
            e -> assertThat(((TruenoException) e).code()).isEqualTo(ErrorCode.INVALID_CONFIG));
  }

  @Test
  void fractionOutsideZeroToOneNamesItsKey() {
    assertThatThrownBy(() -> new GpuSettings(1.5, 0, 128L << 20, 2, 2L << 30))
        .hasMessageContaining("spark.trueno.gpu.memory.fraction must be in (0, 1], got 1.5");
  }

  /** Spark ships the settings to executors inside each task. */
  @Test
  void settingsSurviveJavaSerialization() throws IOException, ClassNotFoundException {
    GpuSettings settings = new GpuSettings(0.25, 0, 1 << 20, 4, 256L << 20);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(settings);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertThat(in.readObject()).isEqualTo(settings);
    }
  }
}
