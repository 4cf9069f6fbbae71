package dev.trueno.it;

import dev.trueno.spark.TruenoExtensions;
import org.apache.spark.sql.SparkSession;

/**
 * The one Spark session of the test JVM, with Trueno's extension installed and sized for a small
 * shared machine (two cores, four shuffle partitions).
 *
 * <p>Test classes share it rather than each starting their own: a session costs seconds to start,
 * and Spark allows only one active context per JVM anyway. It is stopped when the JVM exits.
 */
final class SharedSpark {
  private static SparkSession session;

  private SharedSpark() {}

  /** The shared session, started on first use. */
  static synchronized SparkSession get() {
    if (session == null) {
      session =
          SparkSession.builder()
              .master("local[2]")
              .appName("trueno-integration-tests")
              .config("spark.sql.extensions", TruenoExtensions.class.getName())
              .config("spark.ui.enabled", "false")
              .config("spark.sql.shuffle.partitions", "4")
              .config("spark.trueno.explain", "NONE")
              // -Dtrueno.it.backend=GPU runs the suites with the GPU backend (on the GPU machine).
              .config("spark.trueno.backend", System.getProperty("trueno.it.backend", "AUTO"))
              .getOrCreate();
      Runtime.getRuntime().addShutdownHook(new Thread(session::stop, "stop-shared-spark"));
    }
    return session;
  }
}
