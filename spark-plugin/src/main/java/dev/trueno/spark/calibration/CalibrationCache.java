package dev.trueno.spark.calibration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trueno.core.cost.HardwareProfile;
import dev.trueno.core.cost.OperatorKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk cache of measured profiles: one small JSON file per machine key (GPU model, CUDA
 * driver, CPU model, Trueno and format version) in a directory, so executors on the same kind of
 * machine measure once.
 *
 * <p>Files are written to a temporary file in the same directory and moved over the final name, so
 * a reader sees the old file, the new one or none, never half of one; two executors writing the
 * same file at once each move a whole file. A file that cannot be read, is not valid JSON, belongs
 * to another key or format version, or holds a figure the profile rejects is ignored with a WARN
 * naming it, and the caller measures again (and overwrites it).
 */
final class CalibrationCache {
  /** Bumped whenever the file layout or the meaning of a figure changes. */
  static final int FORMAT_VERSION = 1;

  private static final Logger LOG = LoggerFactory.getLogger(CalibrationCache.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_READABLE_CHARS = 100;

  private CalibrationCache() {}

  /**
   * The cache file of {@code machineKey} in {@code dir}: the key lower-cased with every run of
   * other characters than letters and digits turned into one {@code -}, cut to 100 characters, then
   * a hash of the whole key, so keys that sanitize alike still get their own files.
   */
  static Path file(Path dir, String machineKey) {
    String readable =
        machineKey.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    if (readable.length() > MAX_READABLE_CHARS) {
      readable = readable.substring(0, MAX_READABLE_CHARS);
    }
    return dir.resolve(
        "trueno-calibration-"
            + (readable.isEmpty() ? "" : readable + "-")
            + hash(machineKey)
            + ".json");
  }

  private static String hash(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /**
   * The profile cached in {@code file} for {@code machineKey}, with source {@code cached (<file>)};
   * null when there is no such file, or when it is unusable (logged as a WARN naming the file and
   * why).
   */
  static HardwareProfile load(Path file, String machineKey) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      warnIgnored(file, "it cannot be read (" + e + ")");
      return null;
    }
    try {
      JsonNode root = JSON.readTree(text);
      if (root == null || !root.isObject()) {
        throw new IllegalArgumentException("it holds no JSON object");
      }
      int format = requiredNumber(root, "formatVersion").intValue();
      if (format != FORMAT_VERSION) {
        throw new IllegalArgumentException(
            "it has format version " + format + ", this Trueno writes " + FORMAT_VERSION);
      }
      String key = root.path("machine").asText(null);
      if (!machineKey.equals(key)) {
        throw new IllegalArgumentException(
            "it is for machine '" + key + "', not '" + machineKey + "'");
      }
      return new HardwareProfile(
          requiredNumber(root, "h2dPinned").doubleValue(),
          requiredNumber(root, "h2dPageable").doubleValue(),
          requiredNumber(root, "d2h").doubleValue(),
          perKind(root, "gpu"),
          perKind(root, "simd"),
          perKind(root, "scalar"),
          null,
          "cached (" + file + ")");
    } catch (JsonProcessingException e) {
      warnIgnored(file, "it is not valid JSON (" + e.getOriginalMessage() + ")");
      return null;
    } catch (RuntimeException e) {
      // Our own checks and the profile's validation (TruenoException).
      warnIgnored(file, e.getMessage());
      return null;
    }
  }

  private static void warnIgnored(Path file, String why) {
    LOG.warn(
        "Trueno ignores the calibration cache file {}: {}; measuring again (the file will be"
            + " replaced)",
        file,
        why);
  }

  private static Number requiredNumber(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isNumber()) {
      throw new IllegalArgumentException("field '" + field + "' is missing or not a number");
    }
    return value.numberValue();
  }

  private static Map<OperatorKind, Double> perKind(JsonNode root, String field) {
    JsonNode node = root.get(field);
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("field '" + field + "' is missing or not an object");
    }
    Map<OperatorKind, Double> out = new EnumMap<>(OperatorKind.class);
    for (OperatorKind kind : OperatorKind.values()) {
      out.put(kind, requiredNumber(node, kind.key()).doubleValue());
    }
    return out;
  }

  /**
   * Writes {@code profile} as the cache of {@code machineKey} to {@code file}, atomically: a
   * temporary file in the same directory (created if missing), moved over the final name. The
   * temporary file is removed when anything fails.
   *
   * @throws IOException naming the file when the directory or file cannot be written
   */
  static void write(Path file, String machineKey, HardwareProfile profile) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("formatVersion", FORMAT_VERSION);
    root.put("machine", machineKey);
    root.put("h2dPinned", profile.h2dPinnedBytesPerSecond());
    root.put("h2dPageable", profile.h2dPageableBytesPerSecond());
    root.put("d2h", profile.d2hBytesPerSecond());
    putPerKind(root.putObject("gpu"), profile.gpuBytesPerSecond());
    putPerKind(root.putObject("simd"), profile.simdBytesPerSecond());
    putPerKind(root.putObject("scalar"), profile.scalarBytesPerSecond());
    byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
    Path dir = file.toAbsolutePath().getParent();
    Path temp = null;
    try {
      Files.createDirectories(dir);
      temp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
      Files.write(temp, bytes);
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        // Same directory, so this is rare (some network file systems); a plain replace still
        // never leaves a partly written file under the final name.
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      temp = null;
    } catch (IOException e) {
      throw new IOException("Cannot write the calibration cache file " + file + ": " + e, e);
    } finally {
      if (temp != null) {
        Files.deleteIfExists(temp);
      }
    }
  }

  private static void putPerKind(ObjectNode node, Map<OperatorKind, Double> figures) {
    for (OperatorKind kind : OperatorKind.values()) {
      node.put(kind.key(), figures.get(kind));
    }
  }
}
