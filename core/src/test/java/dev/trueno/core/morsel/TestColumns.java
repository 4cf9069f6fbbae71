package dev.trueno.core.morsel;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/** Nullable int/long/double/string batches for the pager tests, filled the way a producer would. */
final class TestColumns {
  private TestColumns() {}

  /** The column types the tests draw from. */
  enum Type {
    INT(DataType.INT),
    LONG(DataType.LONG),
    DOUBLE(DataType.DOUBLE),
    STRING(DataType.STRING);

    final DataType type;

    Type(DataType type) {
      this.type = type;
    }
  }

  /** An empty root with nullable columns c0, c1, ... of the given types. */
  static VectorSchemaRoot root(BufferAllocator allocator, List<Type> types) {
    List<Field> fields = new ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      fields.add(new Field("c" + i, types.get(i).type, true));
    }
    return VectorSchemaRoot.create(ArrowSchemas.arrowSchema(fields), allocator);
  }

  /**
   * Refills {@code root} with {@code rows} (each a list with one value per column, null for NULL),
   * allocating afresh as a producer reusing its root does.
   */
  static void fill(VectorSchemaRoot root, List<List<Object>> rows) {
    root.allocateNew();
    List<FieldVector> vectors = root.getFieldVectors();
    for (int r = 0; r < rows.size(); r++) {
      for (int c = 0; c < vectors.size(); c++) {
        Object value = rows.get(r).get(c);
        FieldVector vector = vectors.get(c);
        if (value == null) {
          vector.setNull(r);
        } else if (vector instanceof IntVector v) {
          v.setSafe(r, (Integer) value);
        } else if (vector instanceof BigIntVector v) {
          v.setSafe(r, (Long) value);
        } else if (vector instanceof Float8Vector v) {
          v.setSafe(r, (Double) value);
        } else {
          ((VarCharVector) vector).setSafe(r, ((String) value).getBytes(StandardCharsets.UTF_8));
        }
      }
    }
    root.setRowCount(rows.size());
  }

  /** Random rows with about {@code nullRate} NULLs, short strings and now and then a long one. */
  static List<List<Object>> randomRows(
      Random random, List<Type> types, int count, double nullRate) {
    List<List<Object>> rows = new ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      List<Object> row = new ArrayList<>(types.size());
      for (Type type : types) {
        row.add(random.nextDouble() < nullRate ? null : randomValue(random, type));
      }
      rows.add(row);
    }
    return rows;
  }

  private static Object randomValue(Random random, Type type) {
    return switch (type) {
      case INT -> random.nextInt();
      case LONG -> random.nextLong();
      case DOUBLE -> random.nextDouble() * 1e6 - 5e5;
      case STRING -> {
        int length = random.nextInt(20) == 0 ? random.nextInt(400) : random.nextInt(12);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
          // Two-byte UTF-8 characters now and then, so bytes and characters differ.
          s.append(random.nextInt(8) == 0 ? 'ü' : (char) ('a' + random.nextInt(26)));
        }
        yield s.toString();
      }
    };
  }

  /** The value at {@code row}, as {@link #fill} takes it. */
  static Object value(FieldVector vector, int row) {
    if (vector.isNull(row)) {
      return null;
    }
    if (vector instanceof VarCharVector v) {
      return new String(v.get(row), StandardCharsets.UTF_8);
    }
    return vector.getObject(row);
  }

  /** The rows of a morsel, restricted to its columns, in order. */
  static List<List<Object>> rows(Morsel morsel) {
    List<List<Object>> rows = new ArrayList<>();
    for (Morsel.Slice slice : morsel.slices()) {
      for (int r = slice.fromRow(); r < slice.fromRow() + slice.rowCount(); r++) {
        List<Object> row = new ArrayList<>();
        for (FieldVector column : slice.columns()) {
          row.add(value(column, r));
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /** {@code row} restricted to the given ordinals, in their order. */
  static List<Object> project(List<Object> row, List<Integer> ordinals) {
    List<Object> out = new ArrayList<>(ordinals.size());
    for (int ordinal : ordinals) {
      out.add(row.get(ordinal));
    }
    return out;
  }
}
