package dev.trueno.simd.scalar;

import dev.trueno.core.types.DataType;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.List;

/**
 * A grouping key tuple with Spark's key equality: NULL is a value of its own, every NaN is one key
 * and -0.0 is the key 0.0 ({@code NormalizeFloatingNumbers}), so the group's output key is the
 * normalized value.
 */
final class GroupKey {
  private final Object[] values;
  private final int hash;

  private GroupKey(Object[] values) {
    this.values = values;
    this.hash = Arrays.hashCode(values);
  }

  /** A key from raw key values of the given types; normalizes them in place. */
  static GroupKey of(Object[] values, List<DataType> types) {
    for (int i = 0; i < values.length; i++) {
      values[i] = normalize(values[i], types.get(i));
    }
    return new GroupKey(values);
  }

  private static Object normalize(Object value, DataType type) {
    if (value instanceof Double d) {
      if (Double.isNaN(d)) {
        return Double.NaN;
      }
      if (d == 0.0) {
        return 0.0;
      }
    } else if (value instanceof BigDecimal b && b.scale() != type.scale()) {
      // Equal decimals must have equal scales to be equal keys.
      return b.setScale(type.scale(), RoundingMode.UNNECESSARY);
    }
    return value;
  }

  /** The normalized key values; callers must not change them. */
  Object[] values() {
    return values;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof GroupKey k && Arrays.equals(values, k.values);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
