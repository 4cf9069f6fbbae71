package dev.trueno.benchmarks;

import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session settings every command of {@code bin/trueno} shares, so that the TPC-H, scan
 * and join figures are taken under the same conditions.
 */
public final class BenchmarkSession {
  /** Trueno's SQL extension, set on the session when it is on the classpath. */
  public static final String EXTENSION_CLASS = "dev.trueno.spark.TruenoExtensions";

  private BenchmarkSession() {}

  /**
   * A session on {@code master} without the UI, with two shuffle partitions per core, Trueno's
   * extension when {@code withTrueno}, then the user's {@code --conf} settings (which win).
   */
  public static SparkSession create(
      String appName, String master, boolean withTrueno, Map<String, String> sparkConf) {
    SparkSession.Builder builder =
        SparkSession.builder()
            .appName(appName)
            .master(master)
            .config("spark.ui.enabled", "false")
            .config(
                "spark.sql.shuffle.partitions",
                String.valueOf(2 * Runtime.getRuntime().availableProcessors()));
    if (withTrueno) {
      builder.config("spark.sql.extensions", EXTENSION_CLASS);
    }
    sparkConf.forEach(builder::config);
    return builder.getOrCreate();
  }

  /**
   * Adds one {@code --conf KEY=VALUE} argument to {@code sparkConf}.
   *
   * @throws IllegalArgumentException when {@code value} is not {@code KEY=VALUE}
   */
  public static void addConf(Map<String, String> sparkConf, String value) {
    int equals = value.indexOf('=');
    if (equals <= 0) {
      throw new IllegalArgumentException("--conf needs KEY=VALUE, got '" + value + "'");
    }
    sparkConf.put(value.substring(0, equals), value.substring(equals + 1));
  }
}
