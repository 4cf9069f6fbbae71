package dev.trueno.spark;

import dev.trueno.spark.calibration.Calibration;
import dev.trueno.spark.config.TruenoConf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The entry point named in {@code spark.plugins=dev.trueno.spark.TruenoPlugin}. On the driver it
 * checks every {@code spark.trueno.*} value and adds {@link TruenoExtensions} to {@code
 * spark.sql.extensions} when it is missing, so the plugin alone is enough to turn Trueno on. On
 * each executor it starts the cost model's calibration in the background.
 */
public final class TruenoPlugin implements SparkPlugin {
  static final String EXTENSIONS_KEY = "spark.sql.extensions";
  private static final Logger LOG = LoggerFactory.getLogger(TruenoPlugin.class);

  @Override
  public DriverPlugin driverPlugin() {
    return new DriverPlugin() {
      @Override
      public Map<String, String> init(SparkContext sc, PluginContext pluginContext) {
        SparkConf conf = sc.conf();
        List<String> keys = new ArrayList<>();
        for (Tuple2<String, String> kv : conf.getAll()) {
          keys.add(kv._1());
        }
        TruenoConf.of(key -> conf.getOption(key).getOrElse(() -> null)).validate(keys);
        String extensions = conf.get(EXTENSIONS_KEY, "");
        String ours = TruenoExtensions.class.getName();
        boolean present =
            Arrays.stream(extensions.split(",")).map(String::trim).anyMatch(ours::equals);
        if (!present) {
          conf.set(EXTENSIONS_KEY, extensions.isBlank() ? ours : extensions + "," + ours);
          LOG.info("Trueno added {} to {}", ours, EXTENSIONS_KEY);
        }
        return Map.of();
      }
    };
  }

  /**
   * On each executor: starts calibrating the cost model's hardware profile in the background
   * ({@link Calibration#startInBackground}, reading {@code spark.trueno.calibration.cacheDir}), so
   * that executor start never waits for device discovery or measurements.
   */
  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext ctx, Map<String, String> extraConf) {
        SparkConf conf = ctx.conf();
        String cacheDir;
        try {
          cacheDir =
              TruenoConf.of(key -> conf.getOption(key).getOrElse(() -> null))
                  .get(TruenoConf.CALIBRATION_CACHE_DIR);
        } catch (IllegalArgumentException e) {
          // The driver already rejected bad values; an executor-only setting gets the default.
          LOG.warn("{}; Trueno calibration uses the default cache directory", e.getMessage());
          cacheDir = null;
        }
        Calibration.startInBackground(cacheDir);
      }
    };
  }
}
