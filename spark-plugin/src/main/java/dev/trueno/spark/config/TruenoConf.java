package dev.trueno.spark.config;

import dev.trueno.core.cost.HardwareProfile;
import dev.trueno.core.cost.OperatorKind;
import dev.trueno.core.plan.AggregateMode;
import dev.trueno.gpu.GpuSettings;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of every {@code spark.trueno.*} configuration key, and a typed view of one set of
 * values (a session's SQL conf or a SparkConf). {@code docs/configuration.md} is generated from
 * {@link #ENTRIES}.
 */
public final class TruenoConf {
  /** The prefix of every Trueno key. */
  public static final String PREFIX = "spark.trueno.";

  /** How much {@code spark.trueno.explain} logs. */
  public enum ExplainMode {
    /** Log nothing. */
    NONE,
    /** Log each node left to Spark, with the reason. */
    NOT_ACCELERATED,
    /** Log every decision: accelerated nodes with their backend, and nodes left to Spark. */
    ALL
  }

  /** Which backend runs accelerated operators. */
  public enum BackendChoice {
    /**
     * The best backend available on this JVM: SIMD where the Vector API is enabled, else scalar.
     */
    AUTO,
    /** The scalar reference backend on the CPU. */
    SCALAR,
    /** The Java Vector API backend on the CPU (needs --add-modules=jdk.incubator.vector). */
    SIMD,
    /**
     * The CUDA backend; operators or plans it cannot run (and JVMs without a usable GPU) run on the
     * CPU backend, with the reason logged.
     */
    GPU
  }

  public static final ConfigEntry<Boolean> ENABLED =
      ConfigEntry.bool(
          "spark.trueno.enabled",
          true,
          "Turns Trueno's acceleration on or off. Can be changed per query with SQL `SET`; when "
              + "false every query runs on vanilla Spark.");

  public static final ConfigEntry<Boolean> AGGREGATE_ENABLED =
      ConfigEntry.bool(
          "spark.trueno.aggregate.enabled",
          true,
          "Replaces Spark's `HashAggregateExec` with `TruenoHashAggregateExec` when every "
              + "function, type and expression of the aggregate is supported.");

  public static final ConfigEntry<java.util.Set<AggregateMode>> AGGREGATE_MODES =
      ConfigEntry.enumSet(
          "spark.trueno.aggregate.modes",
          AggregateMode.class,
          java.util.EnumSet.allOf(AggregateMode.class),
          "The phases of Spark's aggregation that Trueno may replace (Spark splits most "
              + "aggregations into a PARTIAL phase before the shuffle and a FINAL phase after it). "
              + "Trueno reads and writes Spark's aggregation-buffer layout, so each phase can run "
              + "on either engine.");

  public static final ConfigEntry<Boolean> JOIN_ENABLED =
      ConfigEntry.bool(
          "spark.trueno.join.enabled",
          true,
          "Replaces Spark's equi-joins (`BroadcastHashJoinExec`, `ShuffledHashJoinExec` and, "
              + "with `spark.trueno.join.replaceSortMerge`, `SortMergeJoinExec`) with "
              + "`TruenoHashJoinExec` when the join type, every key and column type and the extra "
              + "condition are supported; other joins stay on Spark with the reason in the "
              + "explain log.");

  public static final ConfigEntry<Boolean> JOIN_REPLACE_SORT_MERGE =
      ConfigEntry.bool(
          "spark.trueno.join.replaceSortMerge",
          true,
          "Plans Spark's sort-merge joins as Trueno hash joins (building on the side whose rows "
              + "need not be preserved, the smaller one by Spark's size estimate for inner and full "
              + "outer joins) and drops the sorts Spark added only for them. A sort-merge join "
              + "whose output order a node above relies on stays on Spark.");

  public static final ConfigEntry<Long> JOIN_BUILD_MEMORY_BYTES =
      ConfigEntry.bytes(
          "spark.trueno.join.buildMemoryBytes",
          1L << 30,
          "1g",
          1L << 10,
          Long.MAX_VALUE,
          "The most memory the build side of one Trueno hash join may hold (its retained "
              + "columns and hash table): per task for shuffled joins, per executor and broadcast "
              + "for broadcast joins. It is taken from `spark.trueno.memory.taskBytes`, so keep it "
              + "below that. A shuffled join whose build side does not fit splits both sides by "
              + "key hash into 16 parts in Spark's local directories and joins them one at a time "
              + "(a part still too large is split again, up to 3 levels); a build side that still "
              + "does not fit (one key with too many rows), or a broadcast one, fails the task with "
              + "an error naming this key.");

  public static final ConfigEntry<Boolean> SCAN_ENABLED =
      ConfigEntry.bool(
          "spark.trueno.scan.enabled",
          true,
          "Replaces Spark's own Parquet scans (`FileSourceScanExec` over Parquet, and "
              + "`BatchScanExec` over `ParquetScan` when Parquet is a V2 source) with the Trueno "
              + "scan, which decodes Parquet straight into Arrow batches, when every column type "
              + "is supported; other scans stay on Spark with the reason in the explain log. "
              + "`format(\"trueno\")` reads through the Trueno scan regardless of this key.");

  public static final ConfigEntry<Long> SCAN_BATCH_BYTES =
      ConfigEntry.bytes(
          "spark.trueno.scan.batchBytes",
          1L << 20,
          "1m",
          1L << 10,
          1L << 31,
          "The approximate size of the Arrow batches the Trueno scan produces; a batch also "
              + "holds at most `spark.trueno.batch.maxRows` rows. Batches that stay in the CPU's "
              + "caches are read fastest by the operators above (on TPC-H lineitem 1m was faster "
              + "than 4m and 32m, see docs/benchmarks.md); the GPU path gathers batches into "
              + "morsels of `spark.trueno.morselBytes` anyway. Each task holds about one batch "
              + "(plus the decoder's pages) from its `spark.trueno.memory.taskBytes`.");

  public static final ConfigEntry<ExplainMode> EXPLAIN =
      ConfigEntry.enumOf(
          "spark.trueno.explain",
          ExplainMode.class,
          ExplainMode.NOT_ACCELERATED,
          "What Trueno logs (at WARN) per query: `NONE`; `NOT_ACCELERATED`, each node left to "
              + "Spark and why; `ALL`, also each accelerated node and its backend.");

  public static final ConfigEntry<BackendChoice> BACKEND =
      ConfigEntry.enumOf(
          "spark.trueno.backend",
          BackendChoice.class,
          BackendChoice.AUTO,
          "The backend of accelerated operators. `AUTO` decides per operator and partition by "
              + "the 5x rule: the GPU runs an operator's partition only when a GPU is usable on the "
              + "executor, the backend supports the plan, the partition's input (the columns the "
              + "operator reads) is at least `spark.trueno.gpu.minBytes`, and the CPU's estimated "
              + "compute time exceeds `spark.trueno.costModel.transferFactor` times the estimated "
              + "copy time, with speeds measured on the executor (see `spark.trueno.calibration.*`); "
              + "otherwise the best CPU backend runs it: `SIMD` where the Java Vector API is enabled "
              + "(`--add-modules=jdk.incubator.vector` in `spark.driver.extraJavaOptions` and "
              + "`spark.executor.extraJavaOptions`), else `SCALAR`. `SIMD` forces the Vector API "
              + "backend (without the module it runs scalar and logs why); `SCALAR` forces the "
              + "scalar reference backend. `GPU` forces the CUDA backend for every operator it "
              + "supports (docs/supported.md) and runs the rest on the best CPU backend, with the "
              + "reason in the explain output; a JVM without a usable GPU runs everything on the "
              + "CPU, logging why.");

  public static final ConfigEntry<Long> GPU_MIN_BYTES =
      ConfigEntry.bytes(
          dev.trueno.core.cost.CostModel.MIN_BYTES_KEY,
          dev.trueno.core.cost.CostModel.DEFAULT_MIN_BYTES,
          "10m",
          0,
          Long.MAX_VALUE,
          "With `spark.trueno.backend=AUTO`, the smallest partition input (bytes of the columns "
              + "an operator reads, as Arrow buffers) that may run on the GPU; smaller ones run on "
              + "the CPU, where fixed costs of a GPU launch and copy would dominate. Each task "
              + "reads up to this much of its input ahead (at least 1m) to decide.");

  public static final ConfigEntry<Double> TRANSFER_FACTOR =
      ConfigEntry.positiveNumber(
          dev.trueno.core.cost.CostModel.TRANSFER_FACTOR_KEY,
          dev.trueno.core.cost.CostModel.DEFAULT_TRANSFER_FACTOR,
          "With `spark.trueno.backend=AUTO`, how many times the estimated copy time (input to "
              + "the GPU, result back) the CPU's estimated compute time must exceed for the GPU to "
              + "run a partition: the 5 of the 5x rule. Larger keeps more work on the CPU.");

  public static final ConfigEntry<Long> BATCH_ROWS =
      ConfigEntry.longInRange(
          "spark.trueno.batch.maxRows",
          65_536L,
          1L,
          1L << 24,
          "The most rows in one Arrow batch that Trueno builds from Spark rows or returns from an "
              + "operator.");

  public static final ConfigEntry<Long> TASK_MEMORY_BYTES =
      ConfigEntry.bytes(
          "spark.trueno.memory.taskBytes",
          2L << 30,
          "2g",
          1L << 20,
          Long.MAX_VALUE,
          "The most off-heap (Arrow) memory one task of a Trueno operator may hold. "
              + "Exceeding it fails the task with an error naming this key.");

  // The GPU keys take their defaults from GpuSettings.DEFAULTS, so the runtime's defaults (what
  // tests and benchmarks run with) and the documented ones cannot drift apart.

  public static final ConfigEntry<Double> GPU_MEMORY_FRACTION =
      ConfigEntry.fraction(
          "spark.trueno.gpu.memory.fraction",
          GpuSettings.DEFAULTS.memoryFraction(),
          "The share of the GPU's free memory, measured when an executor first uses the GPU, that "
              + "the executor's device memory pool may use; the pool is shared by all its tasks. "
              + "Leave room for other processes on the same GPU. Ignored when "
              + "`spark.trueno.gpu.memory.bytes` is set. The pool is made once per executor JVM, "
              + "so a later `SET` does not resize it.");

  public static final ConfigEntry<Long> GPU_MEMORY_BYTES =
      ConfigEntry.bytes(
          "spark.trueno.gpu.memory.bytes",
          GpuSettings.DEFAULTS.memoryBytes(),
          String.valueOf(GpuSettings.DEFAULTS.memoryBytes()),
          0,
          Long.MAX_VALUE,
          "The device memory budget of each executor's pool as an absolute size (e.g. `8g`); it "
              + "overrides `spark.trueno.gpu.memory.fraction` when set. `0` means unset. Like the "
              + "fraction, it sizes the pool when an executor first uses the GPU.");

  public static final ConfigEntry<Long> GPU_PINNED_MEMORY_BYTES =
      ConfigEntry.bytes(
          "spark.trueno.gpu.pinnedMemory.bytes",
          GpuSettings.DEFAULTS.pinnedMemoryBytes(),
          "2g",
          1,
          Long.MAX_VALUE,
          "The budget of each executor's pool of pinned (page-locked) host memory, from which "
              + "morsels are staged for copies to the GPU. Pinned memory cannot be swapped out, so "
              + "it comes out of the machine's RAM for as long as the executor runs.");

  public static final ConfigEntry<Long> MORSEL_BYTES =
      ConfigEntry.bytes(
          "spark.trueno.morselBytes",
          GpuSettings.DEFAULTS.morselBytes(),
          "128m",
          1,
          1L << 30,
          "The most bytes of input columns the GPU backend copies to the device and processes "
              + "as one unit (a morsel). Larger morsels amortize per-copy and per-kernel costs; "
              + "each transfer in flight needs device and pinned memory of about this size. At "
              + "most `1g`, because one transfer stages at most 2 GiB.");

  public static final ConfigEntry<Long> TRANSFER_MAX_IN_FLIGHT =
      ConfigEntry.longInRange(
          "spark.trueno.transfer.maxInFlight",
          GpuSettings.DEFAULTS.maxInFlight(),
          1,
          Integer.MAX_VALUE,
          "The most host-to-device morsel copies one GPU operator keeps outstanding. `2` "
              + "double-buffers: the copy of the next morsel overlaps the kernels on the current "
              + "one. Each one in flight holds a morsel's worth of device and pinned memory.");

  public static final ConfigEntry<Long> GPU_FAILOVER_REPLAY_BYTES =
      ConfigEntry.bytes(
          "spark.trueno.gpu.failover.replayBytes",
          256L << 20,
          "256m",
          0,
          Long.MAX_VALUE,
          "The most input bytes one task of a GPU operator keeps (off-heap, without copying) so "
              + "that it can finish on the CPU when the GPU fails under it (out of device memory, "
              + "a CUDA error). A task whose input outgrows it stops keeping its input; a GPU "
              + "failure after that fails the task, and Spark retries it. `0` disables finishing "
              + "on the CPU after a GPU failure.");

  /** The prefix of the keys that override a calibrated figure: {@code <prefix><profile key>}. */
  public static final String CALIBRATION_PREFIX = "spark.trueno.calibration.";

  public static final ConfigEntry<String> CALIBRATION_CACHE_DIR =
      ConfigEntry.path(
          CALIBRATION_PREFIX + "cacheDir",
          "${java.io.tmpdir}/trueno-calibration",
          "Where each executor caches the figures it measured at start (copy bandwidths, GPU, SIMD "
              + "and scalar throughput per kind of operator), one JSON file per GPU model, CUDA "
              + "driver, CPU model and Trueno version, so the next executor on the same kind of "
              + "machine loads them instead of measuring. Delete the files to measure again. The "
              + "executor creates the directory; it must be writable.");

  /** Where calibration is cached when {@link #CALIBRATION_CACHE_DIR} is not set. */
  public static final String DEFAULT_CALIBRATION_CACHE_DIR = CALIBRATION_CACHE_DIR.defaultValue();

  /**
   * One key per {@link HardwareProfile#knownKeys()} entry, {@code spark.trueno.calibration.<key>},
   * in that order; unset by default (the figure is measured).
   */
  public static final List<ConfigEntry<Double>> CALIBRATION_OVERRIDES =
      HardwareProfile.knownKeys().stream()
          .map(
              key ->
                  ConfigEntry.optionalPositive(
                      CALIBRATION_PREFIX + key, "(measured)", overrideDoc(key)))
          .toList();

  private static String overrideDoc(String profileKey) {
    String what =
        switch (profileKey) {
          case HardwareProfile.H2D_PINNED ->
              "Host-to-device copy bandwidth from pinned memory, in bytes per second";
          case HardwareProfile.H2D_PAGEABLE ->
              "Host-to-device copy bandwidth from pageable memory, in bytes per second";
          case HardwareProfile.D2H -> "Device-to-host copy bandwidth, in bytes per second";
          default -> {
            int dot = profileKey.indexOf('.');
            String backend =
                switch (profileKey.substring(0, dot)) {
                  case "gpu" -> "GPU";
                  case "simd" -> "SIMD CPU (one thread)";
                  default -> "scalar CPU (one thread)";
                };
            yield backend
                + " throughput of "
                + kindText(profileKey.substring(dot + 1))
                + ", in bytes of input columns per second";
          }
        };
    return what
        + ". Replaces the figure measured at executor start (the profile's source then names "
        + "the key).";
  }

  private static String kindText(String kindKey) {
    for (OperatorKind kind : OperatorKind.values()) {
      if (kind.key().equals(kindKey)) {
        return switch (kind) {
          case REDUCTION -> "aggregations without grouping keys";
          case FILTER -> "predicate evaluation";
          case HASH_AGGREGATE -> "grouped (hash) aggregation";
          case JOIN_BUILD -> "building a hash join's table";
          case JOIN_PROBE -> "probing a hash join's table";
        };
      }
    }
    throw new IllegalStateException("unknown operator kind key " + kindKey);
  }

  /** Every key, in the order the docs list them. */
  public static final List<ConfigEntry<?>> ENTRIES = entries();

  private static List<ConfigEntry<?>> entries() {
    List<ConfigEntry<?>> entries = new java.util.ArrayList<>();
    entries.addAll(
        List.of(
            ENABLED,
            AGGREGATE_ENABLED,
            AGGREGATE_MODES,
            JOIN_ENABLED,
            JOIN_REPLACE_SORT_MERGE,
            JOIN_BUILD_MEMORY_BYTES,
            SCAN_ENABLED,
            SCAN_BATCH_BYTES,
            EXPLAIN,
            BACKEND,
            GPU_MIN_BYTES,
            TRANSFER_FACTOR,
            BATCH_ROWS,
            TASK_MEMORY_BYTES,
            GPU_MEMORY_FRACTION,
            GPU_MEMORY_BYTES,
            GPU_PINNED_MEMORY_BYTES,
            MORSEL_BYTES,
            TRANSFER_MAX_IN_FLIGHT,
            GPU_FAILOVER_REPLAY_BYTES));
    entries.add(CALIBRATION_CACHE_DIR);
    entries.addAll(CALIBRATION_OVERRIDES);
    return List.copyOf(entries);
  }

  private final Function<String, String> lookup;

  private TruenoConf(Function<String, String> lookup) {
    this.lookup = lookup;
  }

  /** A view over a lookup function that returns the raw value of a key, or null when unset. */
  public static TruenoConf of(Function<String, String> lookup) {
    return new TruenoConf(lookup);
  }

  /** A view over a map of raw values. */
  public static TruenoConf of(Map<String, String> values) {
    return new TruenoConf(values::get);
  }

  /** The value of an entry. */
  public <T> T get(ConfigEntry<T> entry) {
    return entry.parse(lookup.apply(entry.key()));
  }

  /**
   * The GPU runtime's settings from {@code spark.trueno.gpu.*}, {@code spark.trueno.morselBytes}
   * and {@code spark.trueno.transfer.maxInFlight}.
   *
   * @throws IllegalArgumentException naming the first key with a bad value
   */
  public GpuSettings gpuSettings() {
    return new GpuSettings(
        get(GPU_MEMORY_FRACTION),
        get(GPU_MEMORY_BYTES),
        get(MORSEL_BYTES),
        Math.toIntExact(get(TRANSFER_MAX_IN_FLIGHT)),
        get(GPU_PINNED_MEMORY_BYTES));
  }

  /**
   * The calibration figures set by {@code spark.trueno.calibration.<key>}, keyed as {@link
   * HardwareProfile#withOverrides} expects (without the prefix); empty when none is set.
   *
   * @throws IllegalArgumentException naming the first key with a bad value
   */
  public Map<String, Double> profileOverrides() {
    Map<String, Double> out = new java.util.LinkedHashMap<>();
    for (ConfigEntry<Double> entry : CALIBRATION_OVERRIDES) {
      Double value = get(entry);
      if (value != null) {
        out.put(entry.key().substring(CALIBRATION_PREFIX.length()), value);
      }
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  /**
   * Checks every set value, and that no unknown {@code spark.trueno.*} key is set (a typo would
   * otherwise be ignored silently).
   *
   * @param setKeys the keys that are set, Trueno's and others
   * @throws IllegalArgumentException naming the first bad key
   */
  public void validate(Iterable<String> setKeys) {
    for (ConfigEntry<?> e : ENTRIES) {
      get(e);
    }
    for (String key : setKeys) {
      if (key.startsWith(PREFIX) && ENTRIES.stream().noneMatch(e -> e.key().equals(key))) {
        throw new IllegalArgumentException(
            "Unknown configuration key "
                + key
                + ": Trueno's keys are listed in docs/configuration.md ("
                + String.join(", ", ENTRIES.stream().map(ConfigEntry::key).toList())
                + ").");
      }
    }
  }

  /** {@code docs/configuration.md}, generated from {@link #ENTRIES}. */
  public static String markdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("# Configuration\n\n")
        .append("<!-- Generated from dev.trueno.spark.config.TruenoConf; do not edit by hand.\n")
        .append(
            "     Regenerate: mvn -pl spark-plugin test -Dtest=TruenoConfTest -Dtrueno.updateDocs=true -->\n\n")
        .append("Every Trueno setting is a Spark configuration key. Set it with `--conf` on\n")
        .append("`spark-submit`, in a cluster's Spark config, or (for the keys read per query)\n")
        .append("with SQL `SET key=value`. A bad value fails at session start with an error that\n")
        .append("names the key, the value and what is allowed.\n\n")
        .append("| Key | Default | Allowed | Meaning |\n")
        .append("| --- | --- | --- | --- |\n");
    for (ConfigEntry<?> e : ENTRIES) {
      sb.append("| `")
          .append(e.key())
          .append("` | `")
          .append(e.defaultString())
          .append("` | ")
          .append(e.allowed())
          .append(" | ")
          .append(e.doc().replace("|", "\\|"))
          .append(" |\n");
    }
    return sb.toString();
  }
}
