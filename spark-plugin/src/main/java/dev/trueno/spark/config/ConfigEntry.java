package dev.trueno.spark.config;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apache.spark.network.util.JavaUtils;

/**
 * One {@code spark.trueno.*} configuration key: its type, default, documentation and validation,
 * declared once in {@link TruenoConf}.
 *
 * @param <T> the parsed value type
 */
public final class ConfigEntry<T> {
  private final String key;
  private final String type;
  private final T defaultValue;
  private final String doc;
  private final Function<String, T> parser;
  private final String allowed;
  private final String defaultText;

  private ConfigEntry(
      String key,
      String type,
      T defaultValue,
      String doc,
      Function<String, T> parser,
      String allowed) {
    this(key, type, defaultValue, doc, parser, allowed, null);
  }

  private ConfigEntry(
      String key,
      String type,
      T defaultValue,
      String doc,
      Function<String, T> parser,
      String allowed,
      String defaultText) {
    this.key = key;
    this.type = type;
    this.defaultValue = defaultValue;
    this.doc = doc;
    this.parser = parser;
    this.allowed = allowed;
    this.defaultText = defaultText;
  }

  static ConfigEntry<Boolean> bool(String key, boolean defaultValue, String doc) {
    return new ConfigEntry<>(
        key,
        "boolean",
        defaultValue,
        doc,
        raw -> {
          String v = raw.trim().toLowerCase(Locale.ROOT);
          if (v.equals("true") || v.equals("false")) {
            return Boolean.valueOf(v);
          }
          throw new IllegalArgumentException();
        },
        "true or false");
  }

  static ConfigEntry<Long> longInRange(
      String key, long defaultValue, long min, long max, String doc) {
    return new ConfigEntry<>(
        key,
        "long",
        defaultValue,
        doc,
        raw -> {
          long v = Long.parseLong(raw.trim());
          if (v < min || v > max) {
            throw new IllegalArgumentException();
          }
          return v;
        },
        "an integer from " + min + " to " + max);
  }

  /**
   * A size in bytes, written as Spark writes its own sizes ({@code spark.executor.memory} and the
   * like): a plain number of bytes, or a number with a binary unit ({@code 512k}, {@code 128m},
   * {@code 8g}, {@code 1t}; case-insensitive). Spark's own parser reads it, so a value that works
   * for a Spark key works here.
   *
   * @param defaultText the default as the docs show it, e.g. {@code 2g}; it must parse to {@code
   *     defaultValue}
   */
  static ConfigEntry<Long> bytes(
      String key, long defaultValue, String defaultText, long min, long max, String doc) {
    return new ConfigEntry<>(
        key,
        "size in bytes",
        defaultValue,
        doc,
        raw -> {
          long v = JavaUtils.byteStringAsBytes(raw.trim());
          if (v < min || v > max) {
            throw new IllegalArgumentException();
          }
          return v;
        },
        (max == Long.MAX_VALUE
                ? "a size of at least " + sizeText(min)
                : "a size from " + sizeText(min) + " to " + sizeText(max))
            + " (bytes, or with a unit k, m, g or t: 1k = 1024)",
        defaultText);
  }

  /** A share of something, greater than 0 and at most 1. */
  static ConfigEntry<Double> fraction(String key, double defaultValue, String doc) {
    return new ConfigEntry<>(
        key,
        "fraction",
        defaultValue,
        doc,
        raw -> {
          double v = Double.parseDouble(raw.trim());
          // Written so that NaN fails too.
          if (!(v > 0 && v <= 1)) {
            throw new IllegalArgumentException();
          }
          return v;
        },
        "a number greater than 0 and at most 1");
  }

  /** The placeholder {@link #path} values may contain for the JVM's temporary directory. */
  static final String TMPDIR_PLACEHOLDER = "${java.io.tmpdir}";

  /**
   * A non-blank file system path, in which {@value #TMPDIR_PLACEHOLDER} stands for the JVM's
   * temporary directory (which differs between machines, so the docs can show the default).
   */
  static ConfigEntry<String> path(String key, String defaultText, String doc) {
    Function<String, String> parser =
        raw -> {
          if (raw.isBlank()) {
            throw new IllegalArgumentException();
          }
          return raw.trim().replace(TMPDIR_PLACEHOLDER, System.getProperty("java.io.tmpdir"));
        };
    return new ConfigEntry<>(
        key,
        "path",
        parser.apply(defaultText),
        doc,
        parser,
        "a directory path; `" + TMPDIR_PLACEHOLDER + "` stands for the JVM's temporary directory",
        defaultText);
  }

  /**
   * A positive finite number with no default: unset means "not configured", and {@link #parse}
   * returns null.
   *
   * @param unsetText what the docs show as the default, e.g. {@code (measured)}
   */
  static ConfigEntry<Double> optionalPositive(String key, String unsetText, String doc) {
    return new ConfigEntry<>(
        key,
        "number",
        null,
        doc,
        raw -> {
          double v = Double.parseDouble(raw.trim());
          // Written so that NaN fails too.
          if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException();
          }
          return v;
        },
        "a positive number, e.g. `2.5e10`",
        unsetText);
  }

  /** A positive finite number, such as a factor. */
  static ConfigEntry<Double> positiveNumber(String key, double defaultValue, String doc) {
    return new ConfigEntry<>(
        key,
        "number",
        defaultValue,
        doc,
        raw -> {
          double v = Double.parseDouble(raw.trim());
          // Written so that NaN fails too.
          if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException();
          }
          return v;
        },
        "a positive finite number");
  }

  /** A byte count the way people write it: 2g rather than 2147483648. */
  private static String sizeText(long bytes) {
    String[] units = {"", "k", "m", "g", "t", "p"};
    int unit = 0;
    long v = bytes;
    while (unit < units.length - 1 && v != 0 && v % 1024 == 0) {
      v /= 1024;
      unit++;
    }
    return v + units[unit];
  }

  static <E extends Enum<E>> ConfigEntry<E> enumOf(
      String key, Class<E> type, E defaultValue, String doc) {
    List<String> names = java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name).toList();
    return new ConfigEntry<>(
        key,
        "one of " + String.join(", ", names),
        defaultValue,
        doc,
        raw -> Enum.valueOf(type, raw.trim().toUpperCase(Locale.ROOT)),
        "one of " + String.join(", ", names) + " (case-insensitive)");
  }

  static <E extends Enum<E>> ConfigEntry<java.util.Set<E>> enumSet(
      String key, Class<E> type, java.util.Set<E> defaultValue, String doc) {
    List<String> names = java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name).toList();
    return new ConfigEntry<>(
        key,
        "comma-separated subset of " + String.join(", ", names),
        defaultValue,
        doc,
        raw -> {
          java.util.EnumSet<E> out = java.util.EnumSet.noneOf(type);
          for (String part : raw.split(",")) {
            if (!part.isBlank()) {
              out.add(Enum.valueOf(type, part.trim().toUpperCase(Locale.ROOT)));
            }
          }
          return java.util.Collections.unmodifiableSet(out);
        },
        "a comma-separated subset of " + String.join(", ", names) + " (case-insensitive)");
  }

  /** The full key, {@code spark.trueno....}. */
  public String key() {
    return key;
  }

  /** The value type, in words, for the docs. */
  public String type() {
    return type;
  }

  /** The default value. */
  public T defaultValue() {
    return defaultValue;
  }

  /** The documentation text. */
  public String doc() {
    return doc;
  }

  /** What values are allowed, in words. */
  public String allowed() {
    return allowed;
  }

  /** The default value as it would be written in a config file. */
  public String defaultString() {
    if (defaultText != null) {
      return defaultText;
    }
    if (defaultValue instanceof java.util.Collection<?> c) {
      return String.join(",", c.stream().map(String::valueOf).toList());
    }
    return defaultValue instanceof Enum<?> e ? e.name() : String.valueOf(defaultValue);
  }

  /**
   * Parses a raw value (the default when {@code raw} is null).
   *
   * @throws IllegalArgumentException naming the key, the value and what is allowed
   */
  public T parse(String raw) {
    if (raw == null) {
      return defaultValue;
    }
    try {
      return parser.apply(raw);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "Invalid value '" + raw + "' for " + key + ": expected " + allowed + ".", e);
    }
  }
}
