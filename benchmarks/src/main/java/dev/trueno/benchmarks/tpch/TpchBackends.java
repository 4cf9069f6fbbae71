package dev.trueno.benchmarks.tpch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code --backends} comparison of {@link TpchRunner}: which values of {@code
 * spark.trueno.backend} it runs, and whether the 5x rule's choice ({@code auto}) was as fast as the
 * best backend forced.
 */
final class TpchBackends {
  /** The configuration key each backend run sets. */
  static final String BACKEND_KEY = "spark.trueno.backend";

  /** The rule-decided backend's name in {@code --backends}. */
  static final String AUTO = "auto";

  /** The names {@code --backends} accepts, lower case, in the order the help lists them. */
  static final List<String> NAMES = List.of(AUTO, "gpu", "simd", "scalar");

  /** How much slower than the fastest forced backend the rule's run may be and still be right. */
  static final double RULE_TOLERANCE = 1.10;

  private TpchBackends() {}

  /**
   * Parses {@code --backends auto,gpu,simd}: names case-insensitive, in the given order.
   *
   * @throws IllegalArgumentException for an unknown name, a duplicate or an empty list
   */
  static List<String> parse(String value) {
    List<String> backends = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      String name = part.trim().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        throw new IllegalArgumentException(
            "--backends takes a comma list of "
                + String.join(", ", NAMES)
                + ", got '"
                + value
                + "' (empty name)");
      }
      if (!NAMES.contains(name)) {
        throw new IllegalArgumentException(
            "--backends: unknown backend '"
                + part.trim()
                + "'; use "
                + String.join(", ", NAMES)
                + " (values of "
                + BACKEND_KEY
                + ")");
      }
      if (backends.contains(name)) {
        throw new IllegalArgumentException(
            "--backends lists '" + name + "' twice in '" + value + "'");
      }
      backends.add(name);
    }
    return List.copyOf(backends);
  }

  /** The value of {@value #BACKEND_KEY} that forces {@code backend}, e.g. {@code SIMD}. */
  static String confValue(String backend) {
    return backend.toUpperCase(Locale.ROOT);
  }

  /**
   * Whether the rule was right: {@code yes} when the {@code auto} time is within {@link
   * #RULE_TOLERANCE} of the fastest forced backend's time (or better), else e.g. {@code no: gpu
   * 1.3x faster}; {@code n/a} without an {@code auto} time or a forced one.
   *
   * @param nanos the time of each backend run, by name, {@code auto} included
   */
  static String ruleVerdict(Map<String, Long> nanos) {
    Long auto = nanos.get(AUTO);
    String fastest = null;
    for (Map.Entry<String, Long> e : nanos.entrySet()) {
      if (!e.getKey().equals(AUTO) && (fastest == null || e.getValue() < nanos.get(fastest))) {
        fastest = e.getKey();
      }
    }
    if (auto == null || fastest == null) {
      return "n/a";
    }
    long best = nanos.get(fastest);
    if (auto <= best * RULE_TOLERANCE) {
      return "yes";
    }
    return String.format(
        Locale.ROOT,
        "no: %s %.1fx faster",
        fastest,
        best == 0 ? Double.POSITIVE_INFINITY : (double) auto / best);
  }
}
