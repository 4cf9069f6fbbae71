package dev.trueno.simd.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The backend answers whether it can run, with and without the incubator module. */
class VectorBackendAvailabilityTest {

  @Test
  void availableWhenTheModuleIsInTheBootLayer() {
    // The test JVM is started with --add-modules=jdk.incubator.vector (parent pom's argLine).
    assertThat(new VectorBackend().unavailableReason()).isNull();
    assertThat(new VectorBackend().name()).isEqualTo("simd");
  }

  @Test
  void unavailableWithAReasonNamingTheFlagAndSparkConfigsWithoutTheModule() throws Exception {
    String java =
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process p =
        new ProcessBuilder(List.of(java, "-cp", classPath(), AvailabilityProbe.class.getName()))
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out)
        .contains("--add-modules=jdk.incubator.vector")
        .contains("spark.driver.extraJavaOptions")
        .contains("spark.executor.extraJavaOptions")
        .doesNotContain("\n");
  }

  /**
   * Where the probe, the backend and core were loaded from: test launchers (Surefire, the JUnit
   * console launcher of the GPU kit) do not all put the test classes on java.class.path.
   */
  private static String classPath() throws Exception {
    java.util.LinkedHashSet<String> entries = new java.util.LinkedHashSet<>();
    for (Class<?> c :
        List.of(
            AvailabilityProbe.class, VectorBackend.class, dev.trueno.core.backend.Backend.class)) {
      entries.add(
          java.nio.file.Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI())
              .toString());
    }
    entries.add(System.getProperty("java.class.path"));
    return String.join(File.pathSeparator, entries);
  }

  /** Run in a JVM without the module: prints the backend's reason. */
  static final class AvailabilityProbe {
    public static void main(String[] args) {
      System.out.println(new VectorBackend().unavailableReason());
    }
  }
}
