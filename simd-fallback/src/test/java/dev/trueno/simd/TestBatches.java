package dev.trueno.simd;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.backend.Aggregator;
import dev.trueno.core.types.Field;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Builds Arrow input batches from Java values and reads result batches back, independently of any
 * backend's own vector code. Values: Boolean, Number (integral kinds, float, double), BigDecimal,
 * String; null for NULL.
 */
public final class TestBatches {
  private TestBatches() {}

  /** A batch with the given columns and rows; the caller closes it. */
  public static VectorSchemaRoot batch(
      BufferAllocator allocator, List<Field> fields, List<Object[]> rows) {
    VectorSchemaRoot root = VectorSchemaRoot.create(ArrowSchemas.arrowSchema(fields), allocator);
    try {
      root.allocateNew();
      for (int r = 0; r < rows.size(); r++) {
        for (int c = 0; c < fields.size(); c++) {
          set(root.getVector(c), r, rows.get(r)[c]);
        }
      }
      root.setRowCount(rows.size());
      return root;
    } catch (RuntimeException e) {
      root.close();
      throw e;
    }
  }

  /**
   * Overwrites rows {@code [0, rows.size())} of an existing batch and sets its row count, leaving
   * whatever the vectors held past that row (values and validity) in place, as a reader that reuses
   * its batches does.
   */
  public static void refill(VectorSchemaRoot root, List<Object[]> rows) {
    for (int r = 0; r < rows.size(); r++) {
      for (int c = 0; c < root.getFieldVectors().size(); c++) {
        set(root.getVector(c), r, rows.get(r)[c]);
      }
    }
    root.setRowCount(rows.size());
  }

  private static void set(FieldVector v, int row, Object value) {
    if (value == null) {
      v.setNull(row);
    } else if (v instanceof BitVector b) {
      b.setSafe(row, (Boolean) value ? 1 : 0);
    } else if (v instanceof TinyIntVector t) {
      t.setSafe(row, ((Number) value).byteValue());
    } else if (v instanceof SmallIntVector s) {
      s.setSafe(row, ((Number) value).shortValue());
    } else if (v instanceof IntVector i) {
      i.setSafe(row, ((Number) value).intValue());
    } else if (v instanceof BigIntVector l) {
      l.setSafe(row, ((Number) value).longValue());
    } else if (v instanceof Float4Vector f) {
      f.setSafe(row, ((Number) value).floatValue());
    } else if (v instanceof Float8Vector d) {
      d.setSafe(row, ((Number) value).doubleValue());
    } else if (v instanceof DecimalVector d) {
      d.setSafe(row, (BigDecimal) value);
    } else if (v instanceof DateDayVector d) {
      d.setSafe(row, ((Number) value).intValue());
    } else if (v instanceof TimeStampVector t) {
      t.setSafe(row, ((Number) value).longValue());
    } else if (v instanceof VarCharVector s) {
      s.setSafe(row, ((String) value).getBytes(StandardCharsets.UTF_8));
    } else {
      throw new IllegalArgumentException("No test writer for " + v.getClass());
    }
  }

  /** The rows of a batch as lists (Long for all integral kinds, Double for float/double). */
  public static List<List<Object>> rows(VectorSchemaRoot root) {
    List<List<Object>> out = new ArrayList<>();
    for (int r = 0; r < root.getRowCount(); r++) {
      List<Object> row = new ArrayList<>();
      for (FieldVector v : root.getFieldVectors()) {
        row.add(get(v, r));
      }
      out.add(row);
    }
    return out;
  }

  private static Object get(FieldVector v, int row) {
    if (v.isNull(row)) {
      return null;
    }
    if (v instanceof TinyIntVector
        || v instanceof SmallIntVector
        || v instanceof IntVector
        || v instanceof BigIntVector
        || v instanceof DateDayVector
        || v instanceof TimeStampVector) {
      return ((Number) v.getObject(row)).longValue();
    }
    if (v instanceof Float4Vector || v instanceof Float8Vector) {
      return ((Number) v.getObject(row)).doubleValue();
    }
    if (v instanceof VarCharVector s) {
      return new String(s.get(row), StandardCharsets.UTF_8);
    }
    return v.getObject(row);
  }

  /** Rows of literal values. */
  public static List<Object[]> rowsOf(Object[]... rows) {
    return Arrays.asList(rows);
  }

  /** Drains every result batch of an aggregator (closing each) into rows. */
  public static List<List<Object>> drain(Aggregator aggregator, int maxRows) {
    List<List<Object>> out = new ArrayList<>();
    while (true) {
      try (VectorSchemaRoot root = aggregator.nextResult(maxRows)) {
        if (root == null) {
          return out;
        }
        out.addAll(rows(root));
      }
    }
  }
}
