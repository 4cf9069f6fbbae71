package dev.trueno.it;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shaded {@code trueno-spark-<version>.jar}, the one jar users hand to Spark, for tests
 * that check what is in it or ship it to a cluster.
 *
 * <p>The path comes from the {@code trueno.pluginJar} system property that integration-tests' pom
 * sets; the jar itself only exists after spark-plugin's package phase.
 */
public final class PluginJar {
  /** The system property that names the jar. */
  public static final String PROPERTY = "trueno.pluginJar";

  private PluginJar() {}

  /**
   * The plugin jar.
   *
   * @throws IllegalStateException naming the missing path and the command that builds it
   */
  public static Path require() {
    return require(System.getProperty(PROPERTY));
  }

  static Path require(String configured) {
    if (configured == null || configured.isBlank()) {
      throw new IllegalStateException(
          "System property "
              + PROPERTY
              + " is not set: run these tests through Maven (mvn verify), whose surefire"
              + " configuration in integration-tests/pom.xml points it at the shaded plugin jar");
    }
    Path jar = Path.of(configured).toAbsolutePath().normalize();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "Trueno plugin jar not found at "
              + jar
              + ": run mvn verify (or mvn package) first so that spark-plugin builds its shaded"
              + " jar before integration-tests runs");
    }
    return jar;
  }
}
