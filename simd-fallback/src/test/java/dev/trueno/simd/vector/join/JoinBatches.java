package dev.trueno.simd.vector.join;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Arrow batches of join keys from plain Java values, seeded random key values from small domains
 * (so keys repeat), and the nested-loop join they are checked against. Every root made is closed by
 * {@link #close}.
 */
final class JoinBatches implements AutoCloseable {
  /** Key column kinds with the Java values that stand for them. */
  enum Kind {
    /** Long. */
    LONG,
    /** Integer. */
    INT,
    /** Integer day number. */
    DATE,
    /** Long micros. */
    TIMESTAMP,
    /** Double. */
    DOUBLE,
    /** Long unscaled value of a decimal(10, 2). */
    DECIMAL,
    /** String. */
    STRING
  }

  static final double[] DOUBLES = {
    Double.NaN,
    Double.longBitsToDouble(0x7ff8000000000001L),
    Double.longBitsToDouble(0xfff8000000000000L),
    -0.0,
    0.0,
    1.5,
    -1.0,
    Double.POSITIVE_INFINITY
  };

  static final String[] STRINGS = {"", "a", "ab", "abcdefgh", "abcdefghi", "abcdefghij", "ü", "b"};

  private final BufferAllocator allocator;
  private final List<VectorSchemaRoot> roots = new ArrayList<>();

  JoinBatches(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  /** A batch whose column c has kind {@code kinds[c]} and row r the values {@code rows.get(r)}. */
  VectorSchemaRoot root(Kind[] kinds, List<Object[]> rows) {
    List<Field> fields = new ArrayList<>();
    for (int c = 0; c < kinds.length; c++) {
      fields.add(new Field("k" + c, FieldType.nullable(arrowType(kinds[c])), null));
    }
    VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(fields), allocator);
    roots.add(root);
    root.allocateNew();
    for (int c = 0; c < kinds.length; c++) {
      FieldVector v = root.getVector(c);
      for (int r = 0; r < rows.size(); r++) {
        set(v, r, rows.get(r)[c]);
      }
      v.setValueCount(rows.size());
    }
    root.setRowCount(rows.size());
    return root;
  }

  /** A one-column batch. */
  VectorSchemaRoot column(Kind kind, Object... values) {
    List<Object[]> rows = new ArrayList<>();
    for (Object v : values) {
      rows.add(new Object[] {v});
    }
    return root(new Kind[] {kind}, rows);
  }

  private static ArrowType arrowType(Kind kind) {
    return switch (kind) {
      case LONG -> new ArrowType.Int(64, true);
      case INT -> new ArrowType.Int(32, true);
      case DATE -> new ArrowType.Date(DateUnit.DAY);
      case TIMESTAMP -> new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
      case DOUBLE -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case DECIMAL -> new ArrowType.Decimal(10, 2, 128);
      case STRING -> new ArrowType.Utf8();
    };
  }

  private static void set(FieldVector v, int r, Object value) {
    if (value == null) {
      // Garbage under the NULL, so that a table reading values under NULLs is caught.
      if (v instanceof BigIntVector b) {
        b.setSafe(r, 12345);
      }
      v.setNull(r);
      return;
    }
    if (v instanceof BigIntVector b) {
      b.setSafe(r, (Long) value);
    } else if (v instanceof IntVector i) {
      i.setSafe(r, (Integer) value);
    } else if (v instanceof DateDayVector d) {
      d.setSafe(r, (Integer) value);
    } else if (v instanceof TimeStampMicroTZVector t) {
      t.setSafe(r, (Long) value);
    } else if (v instanceof Float8Vector f) {
      f.setSafe(r, (Double) value);
    } else if (v instanceof DecimalVector d) {
      d.setSafe(r, (Long) value);
    } else if (v instanceof VarCharVector s) {
      s.setSafe(r, ((String) value).getBytes(StandardCharsets.UTF_8));
    } else {
      throw new IllegalArgumentException(v.getField().toString());
    }
  }

  /** A random key value of {@code kind}, NULL with probability {@code nullRate}. */
  static Object value(Random random, Kind kind, double nullRate) {
    if (random.nextDouble() < nullRate) {
      return null;
    }
    return switch (kind) {
      case LONG, TIMESTAMP -> random.nextInt(10) == 0 ? Long.MIN_VALUE : (long) random.nextInt(5);
      case INT, DATE -> random.nextInt(10) == 0 ? Integer.MAX_VALUE : random.nextInt(5) - 2;
      case DOUBLE -> DOUBLES[random.nextInt(DOUBLES.length)];
      case DECIMAL -> random.nextInt(10) == 0 ? -999_999_999_99L : (long) random.nextInt(4);
      case STRING -> STRINGS[random.nextInt(STRINGS.length)];
    };
  }

  /** Spark's join equality of two key values. */
  static boolean keyEquals(Object a, Object b, boolean nullSafe) {
    if (a == null || b == null) {
      return nullSafe && a == null && b == null;
    }
    if (a instanceof Double x && b instanceof Double y) {
      // Double.equals makes every NaN equal; only -0.0 vs 0.0 is left to fold.
      return Double.valueOf(x == 0.0 ? 0.0 : x).equals(y == 0.0 ? 0.0 : y);
    }
    return a.equals(b);
  }

  /** Whether two key tuples match. */
  static boolean rowsMatch(Object[] probe, Object[] build, boolean[] nullSafe) {
    for (int c = 0; c < nullSafe.length; c++) {
      if (!keyEquals(probe[c], build[c], nullSafe[c])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    for (VectorSchemaRoot root : roots) {
      root.close();
    }
    roots.clear();
  }
}
