package dev.trueno.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.trueno.core.plan.AggregatePlan;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.spark.TruenoExtensions;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the shaded jar users pass to Spark: all of Trueno's modules are inside, nothing that the
 * cluster already provides is (a second copy of Spark, Scala, Arrow or Parquet would clash with the
 * cluster's own).
 */
class PluginJarContentTest {
  /** Packages Spark ships to every driver and executor; shading any of them would shadow it. */
  private static final List<String> PROVIDED_BY_SPARK =
      List.of(
          "org/apache/spark/",
          "scala/",
          "org/apache/arrow/",
          "org/apache/parquet/",
          "com/fasterxml/",
          "org/apache/hadoop/",
          "org/slf4j/",
          "io/netty/");

  private static Set<String> entries;

  @BeforeAll
  static void readJar() throws IOException {
    try (JarFile jar = new JarFile(PluginJar.require().toFile())) {
      entries = jar.stream().map(JarEntry::getName).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  void containsTheEntryPointsOfCoreSimdAndSparkModules() {
    assertThat(entries)
        .contains(
            "dev/trueno/spark/TruenoExtensions.class",
            "dev/trueno/spark/exec/TruenoHashAggregateExec.class",
            "dev/trueno/core/plan/AggregatePlan.class",
            "dev/trueno/simd/scalar/ScalarBackend.class",
            "dev/trueno/gpu/GpuBackend.class",
            "dev/trueno/gpu/kernels.fatbin");
  }

  /**
   * Spark finds {@code format("trueno")} through this service file; a shade configuration that
   * dropped or merged it badly would make the source unknown on a cluster.
   */
  @Test
  void keepsTheDataSourceRegisterServiceFile() throws IOException {
    assertThat(entries)
        .contains("META-INF/services/org.apache.spark.sql.sources.DataSourceRegister");
    try (JarFile jar = new JarFile(PluginJar.require().toFile())) {
      String services =
          new String(
              jar.getInputStream(
                      jar.getEntry(
                          "META-INF/services/org.apache.spark.sql.sources.DataSourceRegister"))
                  .readAllBytes(),
              java.nio.charset.StandardCharsets.UTF_8);
      assertThat(services).contains("dev.trueno.spark.scan.TruenoSource");
    }
  }

  /** JCuda's driver binding and its native library travel in the jar; its other bindings do not. */
  @Test
  void containsJcudaDriverBindingWithItsNativeLibraryOnly() {
    assertThat(entries)
        .contains("jcuda/driver/JCudaDriver.class", "lib/libJCudaDriver-12.6.0-linux-x86_64.so");
    assertThat(entries)
        .noneMatch(
            e ->
                e.startsWith("lib/libJNvPTXCompiler")
                    || e.startsWith("lib/libJNvrtc")
                    || e.startsWith("lib/libJCudaRuntime"));
  }

  /** Every class the modules compile is shaded, not just the entry points named above. */
  @Test
  void containsEveryClassOfEachModule() throws Exception {
    for (Class<?> inModule :
        List.of(
            AggregatePlan.class,
            ScalarBackend.class,
            TruenoExtensions.class,
            dev.trueno.gpu.GpuBackend.class)) {
      Set<String> moduleClasses = classesOf(inModule);
      assertThat(moduleClasses).as("classes next to %s", inModule.getName()).isNotEmpty();
      assertThat(entries)
          .as(
              "the plugin jar holds every class of the module containing %s (if not, the jar is"
                  + " older than the module: rebuild with mvn package)",
              inModule.getName())
          .containsAll(moduleClasses);
    }
  }

  @Test
  void containsNoClassesThatSparkProvides() {
    List<String> shadedThirdParty =
        entries.stream()
            .filter(e -> e.endsWith(".class"))
            .filter(e -> PROVIDED_BY_SPARK.stream().anyMatch(e::startsWith))
            .limit(20)
            .toList();
    assertThat(shadedThirdParty)
        .as("classes the cluster provides must not be shaded into the plugin jar")
        .isEmpty();
  }

  @Test
  void missingJarSaysWhichCommandBuildsIt() {
    assertThatThrownBy(() -> PluginJar.require("/nonexistent/trueno-spark-0.jar"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("/nonexistent/trueno-spark-0.jar")
        .hasMessageContaining("run mvn verify (or mvn package) first");
    assertThatThrownBy(() -> PluginJar.require(null))
        .hasMessageContaining(PluginJar.PROPERTY + " is not set");
  }

  /** The .class entries of the jar or directory that a module's class was loaded from. */
  private static Set<String> classesOf(Class<?> inModule) throws IOException, URISyntaxException {
    Path location = Path.of(inModule.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (Files.isDirectory(location)) {
      try (Stream<Path> files = Files.walk(location)) {
        return files
            .filter(f -> f.toString().endsWith(".class"))
            .map(f -> location.relativize(f).toString().replace('\\', '/'))
            .collect(Collectors.toCollection(TreeSet::new));
      }
    }
    try (JarFile jar = new JarFile(location.toFile())) {
      return jar.stream()
          .map(JarEntry::getName)
          .filter(n -> n.endsWith(".class"))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }
}
