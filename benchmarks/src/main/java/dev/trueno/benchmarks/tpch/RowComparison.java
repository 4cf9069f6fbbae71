package dev.trueno.benchmarks.tpch;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Compares two query results as multisets of rows, the way a differential test needs.
 *
 * <p>Row order is ignored. Floating-point values ({@code double}, {@code float}) match when their
 * relative difference is at most {@link #DEFAULT_RELATIVE_TOLERANCE} (NaN matches NaN, and -0.0
 * matches 0.0); everything else, decimals included, must be equal exactly (decimals by value, so
 * {@code 1.0} equals {@code 1.00}; compare schemas to check scales). Nested values (arrays, maps,
 * structs) are compared with {@code equals}.
 */
public final class RowComparison {
  /** Relative tolerance for floating-point values: rounding differences of reordered sums. */
  public static final double DEFAULT_RELATIVE_TOLERANCE = 1e-9;

  private static final int MAX_REPORTED_DIFFERENCES = 5;
  private static final int MAX_PAIRWISE_ROWS = 10_000;

  private final double relativeTolerance;

  private RowComparison(double relativeTolerance) {
    this.relativeTolerance = relativeTolerance;
  }

  /** A comparison with the default floating-point tolerance of 1e-9. */
  public static RowComparison withDefaultTolerance() {
    return new RowComparison(DEFAULT_RELATIVE_TOLERANCE);
  }

  /** A comparison whose floating-point values may differ by {@code relativeTolerance}. */
  public static RowComparison withRelativeTolerance(double relativeTolerance) {
    if (!(relativeTolerance >= 0)) {
      throw new IllegalArgumentException(
          "Relative tolerance must be zero or positive, got " + relativeTolerance);
    }
    return new RowComparison(relativeTolerance);
  }

  /**
   * The outcome of a comparison.
   *
   * @param matches true when both sides hold the same rows
   * @param description "same N rows", or what differs with a few example rows
   */
  public record Result(boolean matches, String description) {}

  /** Compares schemas (column names and types) first, then rows as multisets. */
  public Result compare(
      StructType expectedSchema,
      List<Row> expectedRows,
      StructType actualSchema,
      List<Row> actualRows) {
    if (!expectedSchema.equals(actualSchema)) {
      return new Result(
          false,
          "schemas differ: expected "
              + expectedSchema.simpleString()
              + " but got "
              + actualSchema.simpleString());
    }
    return compare(expectedRows, actualRows);
  }

  /** Compares two lists of rows as multisets. */
  public Result compare(List<Row> expectedRows, List<Row> actualRows) {
    Map<List<Object>, List<double[]>> expectedGroups = groupByExactPart(expectedRows);
    Map<List<Object>, List<double[]>> actualGroups = groupByExactPart(actualRows);
    List<String> differences = new ArrayList<>();
    int missingCount = 0;
    int unexpectedCount = 0;
    for (Map.Entry<List<Object>, List<double[]>> entry : expectedGroups.entrySet()) {
      List<double[]> actual = actualGroups.getOrDefault(entry.getKey(), List.of());
      Unmatched unmatched = match(entry.getValue(), actual);
      missingCount += unmatched.expected().size();
      unexpectedCount += unmatched.actual().size();
      for (double[] floats : unmatched.expected()) {
        addDifference(differences, "missing    " + render(entry.getKey(), floats));
      }
      for (double[] floats : unmatched.actual()) {
        addDifference(differences, "unexpected " + render(entry.getKey(), floats));
      }
    }
    for (Map.Entry<List<Object>, List<double[]>> entry : actualGroups.entrySet()) {
      if (!expectedGroups.containsKey(entry.getKey())) {
        unexpectedCount += entry.getValue().size();
        for (double[] floats : entry.getValue()) {
          addDifference(differences, "unexpected " + render(entry.getKey(), floats));
        }
      }
    }
    if (missingCount == 0 && unexpectedCount == 0) {
      return new Result(true, "same " + expectedRows.size() + " rows");
    }
    return new Result(
        false,
        String.format(
            "rows differ: expected %d rows, got %d; %d expected rows missing, %d unexpected rows%n"
                + "  %s",
            expectedRows.size(),
            actualRows.size(),
            missingCount,
            unexpectedCount,
            String.join(System.lineSeparator() + "  ", differences)));
  }

  private static void addDifference(List<String> differences, String line) {
    if (differences.size() < MAX_REPORTED_DIFFERENCES) {
      differences.add(line);
    } else if (differences.size() == MAX_REPORTED_DIFFERENCES) {
      differences.add("...");
    }
  }

  /**
   * Groups rows by their exactly compared values; the floating-point values of each row stay in the
   * group for tolerant matching. A floating-point position holds a marker in the key.
   */
  private static Map<List<Object>, List<double[]>> groupByExactPart(List<Row> rows) {
    Map<List<Object>, List<double[]>> groups = new LinkedHashMap<>();
    for (Row row : rows) {
      List<Object> key = new ArrayList<>(row.length());
      double[] floats = new double[row.length()];
      int floatCount = 0;
      for (int i = 0; i < row.length(); i++) {
        Object value = row.isNullAt(i) ? null : row.get(i);
        if (value instanceof Double || value instanceof Float) {
          key.add(FloatMarker.INSTANCE);
          floats[floatCount++] = ((Number) value).doubleValue();
        } else {
          key.add(normalize(value));
        }
      }
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(Arrays.copyOf(floats, floatCount));
    }
    return groups;
  }

  private static Object normalize(Object value) {
    if (value instanceof BigDecimal decimal) {
      return decimal.signum() == 0 ? BigDecimal.ZERO : decimal.stripTrailingZeros();
    }
    if (value instanceof byte[] bytes) {
      return ByteBuffer.wrap(bytes);
    }
    return value;
  }

  private record Unmatched(List<double[]> expected, List<double[]> actual) {}

  /**
   * Pairs rows whose floating-point values agree within the tolerance. Sorting both sides first
   * pairs nearly all rows in one pass; what is left is matched pairwise.
   */
  private Unmatched match(List<double[]> expected, List<double[]> actual) {
    Comparator<double[]> order = RowComparison::compareFloats;
    List<double[]> sortedExpected = new ArrayList<>(expected);
    List<double[]> sortedActual = new ArrayList<>(actual);
    sortedExpected.sort(order);
    sortedActual.sort(order);
    List<double[]> leftExpected = new ArrayList<>();
    List<double[]> leftActual = new ArrayList<>();
    int common = Math.min(sortedExpected.size(), sortedActual.size());
    for (int i = 0; i < common; i++) {
      if (!floatsMatch(sortedExpected.get(i), sortedActual.get(i))) {
        leftExpected.add(sortedExpected.get(i));
        leftActual.add(sortedActual.get(i));
      }
    }
    leftExpected.addAll(sortedExpected.subList(common, sortedExpected.size()));
    leftActual.addAll(sortedActual.subList(common, sortedActual.size()));
    // Rows that sorted into different positions because of tolerated differences. Quadratic, so
    // skipped when so many rows are left that the results clearly differ anyway.
    if (leftExpected.size() > MAX_PAIRWISE_ROWS) {
      return new Unmatched(leftExpected, leftActual);
    }
    for (var it = leftExpected.iterator(); it.hasNext(); ) {
      double[] candidate = it.next();
      for (int j = 0; j < leftActual.size(); j++) {
        if (floatsMatch(candidate, leftActual.get(j))) {
          leftActual.remove(j);
          it.remove();
          break;
        }
      }
    }
    return new Unmatched(leftExpected, leftActual);
  }

  private static int compareFloats(double[] left, double[] right) {
    for (int i = 0; i < Math.min(left.length, right.length); i++) {
      int c = Double.compare(left[i] == 0.0 ? 0.0 : left[i], right[i] == 0.0 ? 0.0 : right[i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(left.length, right.length);
  }

  private boolean floatsMatch(double[] expected, double[] actual) {
    if (expected.length != actual.length) {
      return false;
    }
    for (int i = 0; i < expected.length; i++) {
      if (!floatMatches(expected[i], actual[i])) {
        return false;
      }
    }
    return true;
  }

  private boolean floatMatches(double expected, double actual) {
    if (expected == actual || (Double.isNaN(expected) && Double.isNaN(actual))) {
      return true; // also -0.0 == 0.0 and equal infinities
    }
    if (Double.isNaN(expected)
        || Double.isNaN(actual)
        || Double.isInfinite(expected)
        || Double.isInfinite(actual)) {
      return false;
    }
    double scale = Math.max(Math.abs(expected), Math.abs(actual));
    return Math.abs(expected - actual) <= relativeTolerance * scale;
  }

  private static String render(List<Object> key, double[] floats) {
    StringBuilder text = new StringBuilder("[");
    int floatIndex = 0;
    for (int i = 0; i < key.size(); i++) {
      if (i > 0) {
        text.append(", ");
      }
      Object value = key.get(i);
      if (value == FloatMarker.INSTANCE) {
        text.append(floats[floatIndex++]);
      } else if (value instanceof BigDecimal decimal) {
        text.append(decimal.toPlainString());
      } else {
        text.append(Objects.toString(value));
      }
    }
    return text.append(']').toString();
  }

  /** Stands in the exact key for a floating-point column, which is compared with tolerance. */
  private enum FloatMarker {
    INSTANCE
  }
}
