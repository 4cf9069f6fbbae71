package dev.trueno.spark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.plan.AggregateMode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
      assertThat(e.parse(e.defaultString())).as(e.key()).isEqualTo(e.defaultValue());
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
