package dev.trueno.spark.exec;

import dev.trueno.core.cost.CostModel;
import dev.trueno.spark.config.TruenoConf;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an operator task needs to apply the 5x rule on its executor: the rule's two constants, the
 * configured overrides of measured figures, where calibrations are cached, and whether each
 * partition's decision is logged at INFO ({@code spark.trueno.explain=ALL}) rather than DEBUG. Read
 * from the session's conf on the driver and shipped with the task, like {@code GpuSettings}.
 *
 * @param minBytes {@code spark.trueno.gpu.minBytes}
 * @param transferFactor {@code spark.trueno.costModel.transferFactor}
 * @param profileOverrides figures set by {@code spark.trueno.calibration.<key>}, by {@code
 *     HardwareProfile} key
 * @param calibrationCacheDir {@code spark.trueno.calibration.cacheDir}
 * @param logEachDecision whether every partition's decision is logged at INFO
 */
public record CostSettings(
    long minBytes,
    double transferFactor,
    Map<String, Double> profileOverrides,
    String calibrationCacheDir,
    boolean logEachDecision)
    implements Serializable {

  /** The smallest read-ahead: enough rows to size a partition when min bytes is tiny. */
  static final long MIN_READ_AHEAD_BYTES = 1L << 20;

  /** Copies the overrides into a sorted, serializable map. */
  public CostSettings {
    profileOverrides = java.util.Collections.unmodifiableMap(new TreeMap<>(profileOverrides));
  }

  /** The settings of a session's conf. */
  public static CostSettings from(TruenoConf conf) {
    return new CostSettings(
        conf.get(TruenoConf.GPU_MIN_BYTES),
        conf.get(TruenoConf.TRANSFER_FACTOR),
        conf.profileOverrides(),
        conf.get(TruenoConf.CALIBRATION_CACHE_DIR),
        conf.get(TruenoConf.EXPLAIN) == TruenoConf.ExplainMode.ALL);
  }

  /** A cost model over {@code profile} with these constants. */
  CostModel model(dev.trueno.core.cost.HardwareProfile profile) {
    return new CostModel(profile, minBytes, transferFactor);
  }

  /**
   * How much of a partition's input a task reads before deciding: min bytes, so that the size test
   * is exact, and at least {@link #MIN_READ_AHEAD_BYTES}, so that a tiny min bytes still sees rows.
   * The rule's time ratio does not depend on the size (both times grow linearly with the bytes), so
   * reading further would not change a decision.
   */
  long readAheadBytes() {
    return Math.max(minBytes, MIN_READ_AHEAD_BYTES);
  }
}
