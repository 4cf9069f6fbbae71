package dev.trueno.spark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.cost.HardwareProfile;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.gpu.GpuSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TruenoConfTest {

  @Test
  void unsetKeysTakeTheirDefaults() {
    TruenoConf conf = TruenoConf.of(Map.of());
    assertThat(conf.get(TruenoConf.ENABLED)).isTrue();
    assertThat(conf.get(TruenoConf.EXPLAIN)).isEqualTo(TruenoConf.ExplainMode.NOT_ACCELERATED);
    assertThat(conf.get(TruenoConf.AGGREGATE_MODES)).isEqualTo(EnumSet.allOf(AggregateMode.class));
  }

  @Test
  void valuesParseCaseInsensitively() {
    TruenoConf conf =
        TruenoConf.of(
            Map.of(
                "spark.trueno.explain", "all",
                "spark.trueno.enabled", "FALSE",
                "spark.trueno.aggregate.modes", "partial, final"));
    assertThat(conf.get(TruenoConf.EXPLAIN)).isEqualTo(TruenoConf.ExplainMode.ALL);
    assertThat(conf.get(TruenoConf.ENABLED)).isFalse();
    assertThat(conf.get(TruenoConf.AGGREGATE_MODES))
        .containsExactlyInAnyOrder(AggregateMode.PARTIAL, AggregateMode.FINAL);
  }

  @Test
  void badValueNamesKeyValueAndWhatIsAllowed() {
    TruenoConf conf = TruenoConf.of(Map.of("spark.trueno.explain", "LOUD"));
    assertThatThrownBy(() -> conf.validate(List.of("spark.trueno.explain")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("spark.trueno.explain")
        .hasMessageContaining("'LOUD'")
        .hasMessageContaining("NONE, NOT_ACCELERATED, ALL");
  }

  @Test
  void numberOutOfRangeIsRejected() {
    TruenoConf conf = TruenoConf.of(Map.of("spark.trueno.batch.maxRows", "0"));
    assertThatThrownBy(() -> conf.get(TruenoConf.BATCH_ROWS))
        .hasMessageContaining("spark.trueno.batch.maxRows")
        .hasMessageContaining("an integer from 1 to");
  }

  @Test
  void calibrationOverridesAreUnsetByDefault() {
    assertThat(TruenoConf.of(Map.of()).profileOverrides()).isEmpty();
    assertThat(TruenoConf.of(Map.of()).get(TruenoConf.CALIBRATION_CACHE_DIR))
        .isEqualTo(TruenoConf.DEFAULT_CALIBRATION_CACHE_DIR)
        .endsWith("trueno-calibration");
  }

  @Test
  void everyProfileKeyHasAnOverrideKey() {
    assertThat(TruenoConf.CALIBRATION_OVERRIDES)
        .extracting(ConfigEntry::key)
        .containsExactlyElementsOf(
            HardwareProfile.knownKeys().stream()
                .map(k -> "spark.trueno.calibration." + k)
                .toList());
    assertThat(TruenoConf.ENTRIES).containsAll(TruenoConf.CALIBRATION_OVERRIDES);
    // The calibration keys close the list: the cache directory, then one override per figure.
    int cacheDir = TruenoConf.ENTRIES.indexOf(TruenoConf.CALIBRATION_CACHE_DIR);
    assertThat(TruenoConf.ENTRIES.subList(cacheDir + 1, TruenoConf.ENTRIES.size()))
        .containsExactlyElementsOf(TruenoConf.CALIBRATION_OVERRIDES);
  }

  @Test
  void setOverridesAreKeyedAsTheProfileExpects() {
    TruenoConf conf =
        TruenoConf.of(
            Map.of(
                "spark.trueno.calibration.h2d.pinned", "2.5e10",
                "spark.trueno.calibration.gpu.joinProbe", " 12000000000 ",
                "spark.trueno.calibration.cacheDir", "/var/cache/trueno"));
    Map<String, Double> overrides = conf.profileOverrides();
    assertThat(overrides)
        .containsOnly(Map.entry("h2d.pinned", 2.5e10), Map.entry("gpu.joinProbe", 1.2e10));
    assertThat(conf.get(TruenoConf.CALIBRATION_CACHE_DIR)).isEqualTo("/var/cache/trueno");
    // The profile accepts exactly these keys.
    Map<OperatorKind, Double> perKind = new EnumMap<>(OperatorKind.class);
    for (OperatorKind kind : OperatorKind.values()) {
      perKind.put(kind, 1e9);
    }
    HardwareProfile profile =
        new HardwareProfile(1e10, 1e10, 1e10, perKind, perKind, perKind, null, "measured")
            .withOverrides(overrides);
    assertThat(profile.h2dPinnedBytesPerSecond()).isEqualTo(2.5e10);
  }

  @Test
  void badOverrideValuesNameTheKey() {
    for (String bad : List.of("fast", "0", "-1e9", "NaN", "Infinity", "")) {
      TruenoConf conf = TruenoConf.of(Map.of("spark.trueno.calibration.simd.hashAggregate", bad));
      assertThatThrownBy(conf::profileOverrides)
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("spark.trueno.calibration.simd.hashAggregate")
          .hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("a positive number");
    }
  }

  @Test
  void blankCacheDirIsRejected() {
    TruenoConf conf = TruenoConf.of(Map.of("spark.trueno.calibration.cacheDir", "  "));
    assertThatThrownBy(() -> conf.validate(List.of("spark.trueno.calibration.cacheDir")))
        .hasMessageContaining("spark.trueno.calibration.cacheDir")
        .hasMessageContaining("a directory path");
    assertThat(
            TruenoConf.of(Map.of("spark.trueno.calibration.cacheDir", "${java.io.tmpdir}/x"))
                .get(TruenoConf.CALIBRATION_CACHE_DIR))
        .isEqualTo(System.getProperty("java.io.tmpdir") + "/x");
  }

  @Test
  void unknownCalibrationKeyIsRejected() {
    TruenoConf conf = TruenoConf.of(Map.of());
    assertThatThrownBy(() -> conf.validate(List.of("spark.trueno.calibration.gpu.sort")))
        .hasMessageContaining("Unknown configuration key spark.trueno.calibration.gpu.sort");
  }

  @Test
  void gpuSettingsDefaultToTheRuntimesDefaults() {
    assertThat(TruenoConf.of(Map.of()).gpuSettings()).isEqualTo(GpuSettings.DEFAULTS);
    assertThat(GpuSettings.DEFAULTS.memoryFraction()).isEqualTo(0.8);
    assertThat(GpuSettings.DEFAULTS.morselBytes()).isEqualTo(128L << 20);
    assertThat(GpuSettings.DEFAULTS.maxInFlight()).isEqualTo(2);
    assertThat(GpuSettings.DEFAULTS.pinnedMemoryBytes()).isEqualTo(2L << 30);
  }

  @Test
  void gpuSettingsReadEveryKeyWithSparkSizeStrings() {
    GpuSettings settings =
        TruenoConf.of(
                Map.of(
                    "spark.trueno.gpu.memory.fraction", "0.5",
                    "spark.trueno.gpu.memory.bytes", "8g",
                    "spark.trueno.morselBytes", "64M",
                    "spark.trueno.transfer.maxInFlight", "3",
                    "spark.trueno.gpu.pinnedMemory.bytes", "512m"))
            .gpuSettings();
    assertThat(settings).isEqualTo(new GpuSettings(0.5, 8L << 30, 64L << 20, 3, 512L << 20));
    // The absolute budget overrides the fraction.
    assertThat(settings.budget(100L << 30)).isEqualTo(8L << 30);
  }

  @Test
  void sizesWithoutAUnitAreBytes() {
    TruenoConf conf =
        TruenoConf.of(
            Map.of("spark.trueno.morselBytes", "4096", "spark.trueno.memory.taskBytes", "3m"));
    assertThat(conf.get(TruenoConf.MORSEL_BYTES)).isEqualTo(4096L);
    assertThat(conf.get(TruenoConf.TASK_MEMORY_BYTES)).isEqualTo(3L << 20);
  }

  @Test
  void badSizeNamesKeyValueAndTheSyntax() {
    TruenoConf conf = TruenoConf.of(Map.of("spark.trueno.gpu.memory.bytes", "8 gigs"));
    assertThatThrownBy(conf::gpuSettings)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("spark.trueno.gpu.memory.bytes")
        .hasMessageContaining("'8 gigs'")
        .hasMessageContaining("with a unit k, m, g or t");
  }

  @Test
  void morselLargerThanOneTransferCanStageIsRejected() {
    TruenoConf conf = TruenoConf.of(Map.of("spark.trueno.morselBytes", "2g"));
    assertThatThrownBy(() -> conf.validate(List.of("spark.trueno.morselBytes")))
        .hasMessageContaining("Invalid value '2g' for spark.trueno.morselBytes")
        .hasMessageContaining("a size from 1 to 1g");
  }

  @Test
  void memoryFractionMustBeAboveZeroAndAtMostOne() {
    for (String bad : List.of("0", "1.5", "-0.2", "NaN", "most")) {
      TruenoConf conf = TruenoConf.of(Map.of("spark.trueno.gpu.memory.fraction", bad));
      assertThatThrownBy(conf::gpuSettings)
          .as(bad)
          .hasMessageContaining("Invalid value '" + bad + "' for spark.trueno.gpu.memory.fraction")
          .hasMessageContaining("greater than 0 and at most 1");
    }
    TruenoConf whole = TruenoConf.of(Map.of("spark.trueno.gpu.memory.fraction", "1"));
    assertThat(whole.gpuSettings().memoryFraction()).isEqualTo(1.0);
  }

  @Test
  void transfersInFlightAndPinnedBudgetMustBePositive() {
    TruenoConf noTransfers = TruenoConf.of(Map.of("spark.trueno.transfer.maxInFlight", "0"));
    assertThatThrownBy(noTransfers::gpuSettings)
        .hasMessageContaining("spark.trueno.transfer.maxInFlight")
        .hasMessageContaining("an integer from 1 to");
    TruenoConf noPinned = TruenoConf.of(Map.of("spark.trueno.gpu.pinnedMemory.bytes", "0"));
    assertThatThrownBy(noPinned::gpuSettings)
        .hasMessageContaining("spark.trueno.gpu.pinnedMemory.bytes")
        .hasMessageContaining("a size of at least 1");
  }

  @Test
  void sizeDefaultsAreDocumentedWithUnits() {
    assertThat(TruenoConf.MORSEL_BYTES.defaultString()).isEqualTo("128m");
    assertThat(TruenoConf.GPU_PINNED_MEMORY_BYTES.defaultString()).isEqualTo("2g");
    assertThat(TruenoConf.TASK_MEMORY_BYTES.defaultString()).isEqualTo("2g");
  }

  @Test
  void unknownTruenoKeyIsRejectedAsATypo() {
    TruenoConf conf = TruenoConf.of(Map.of("spark.trueno.enabeld", "true"));
    assertThatThrownBy(() -> conf.validate(List.of("spark.trueno.enabeld", "spark.app.name")))
        .hasMessageContaining("Unknown configuration key spark.trueno.enabeld")
        .hasMessageContaining("spark.trueno.enabled");
  }

  @Test
  void everyKeyIsDeclaredOnceWithDocs() {
    assertThat(TruenoConf.ENTRIES.stream().map(ConfigEntry::key).distinct().count())
        .isEqualTo(TruenoConf.ENTRIES.size());
    for (ConfigEntry<?> e : TruenoConf.ENTRIES) {
      assertThat(e.key()).startsWith(TruenoConf.PREFIX);
      assertThat(e.doc()).as(e.key()).isNotBlank();
      if (e.defaultValue() == null) {
        // Keys without a default (unset: the measured figure) show what unset means.
        assertThat(e.defaultString()).as(e.key()).isEqualTo("(measured)");
      } else {
        assertThat(e.parse(e.defaultString())).as(e.key()).isEqualTo(e.defaultValue());
      }
    }
  }

  /**
   * The docs page is generated; this fails when it is stale. Regenerate with {@code mvn -pl
   * spark-plugin test -Dtest=TruenoConfTest -Dtrueno.updateDocs=true}.
   */
  @Test
  void configurationDocsPageIsCurrent() throws IOException {
    // Maven runs tests in the module folder, other launchers (the GPU kit) in the repository root.
    Path page =
        Files.isDirectory(Path.of("docs"))
            ? Path.of("docs", "configuration.md")
            : Path.of("..", "docs", "configuration.md");
    String expected = TruenoConf.markdown();
    if (Boolean.getBoolean("trueno.updateDocs")) {
      Files.writeString(page, expected, StandardCharsets.UTF_8);
    }
    assertThat(page)
        .as(
            "docs/configuration.md is stale: regenerate it with `mvn -pl spark-plugin test"
                + " -Dtest=TruenoConfTest -Dtrueno.updateDocs=true`")
        .exists();
    assertThat(Files.readString(page, StandardCharsets.UTF_8))
        .as(
            "docs/configuration.md is stale: regenerate it with `mvn -pl spark-plugin test"
                + " -Dtest=TruenoConfTest -Dtrueno.updateDocs=true`")
        .isEqualTo(expected);
  }
}
