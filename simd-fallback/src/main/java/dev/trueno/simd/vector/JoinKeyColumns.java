package dev.trueno.simd.vector;

import dev.trueno.core.arrow.ArrowSchemas;
import dev.trueno.core.expr.ColumnRef;
import dev.trueno.core.expr.Expr;
import dev.trueno.core.types.DataType;
import dev.trueno.core.types.Field;
import dev.trueno.core.types.TypeKind;
import dev.trueno.simd.scalar.ScalarEval;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Turns one join side's key expressions into the Arrow columns {@code JoinHashTable} reads. A key
 * that is a column of a type the table reads (integers, dates, timestamps, doubles, decimals of
 * precision <= 18, strings) is used in place; any other key is computed per batch with {@link
 * BatchEval} into an extra vector appended after the batch's columns: booleans as 0/1 ints, floats
 * as doubles (exact), wide decimals as their 16 little-endian unscaled bytes in a string column
 * (equal at one scale exactly when the bytes are equal), expressions in their own type. Both sides
 * of a key pair have one type, so they are converted alike.
 */
final class JoinKeyColumns {
  private final List<Expr> keys;
  private final List<Field> input;
  private final int[] ordinals;
  private final List<Integer> computed = new ArrayList<>();

  JoinKeyColumns(List<Expr> keys, List<Field> input) {
    this.keys = keys;
    this.input = input;
    ordinals = new int[keys.size()];
    for (int k = 0; k < keys.size(); k++) {
      Expr key = keys.get(k);
      if (key instanceof ColumnRef c && readInPlace(key.type())) {
        ordinals[k] = c.ordinal();
      } else {
        ordinals[k] = input.size() + computed.size();
        computed.add(k);
      }
    }
  }

  private static boolean readInPlace(DataType type) {
    return switch (type.kind()) {
      case BYTE, SHORT, INT, LONG, DATE, TIMESTAMP, DOUBLE, STRING -> true;
      case DECIMAL -> type.precision() <= 18;
      case BOOLEAN, FLOAT -> false;
    };
  }

  /** The key columns' ordinals in a batch extended by {@link #extend}. */
  int[] ordinals() {
    return ordinals;
  }

  /** Whether every key is read in place, so that batches need no extension. */
  boolean inPlace() {
    return computed.isEmpty();
  }

  /**
   * The key vectors to append to {@code batch} (allocated from {@code allocator}; the caller closes
   * them), empty when every key is read in place.
   */
  List<FieldVector> compute(VectorSchemaRoot batch, BufferAllocator allocator, Scratch scratch) {
    List<FieldVector> out = new ArrayList<>();
    if (computed.isEmpty()) {
      return out;
    }
    int n = batch.getRowCount();
    List<FieldVector> vectors = batch.getFieldVectors();
    scratch.reset();
    Col[] cache = new Col[vectors.size()];
    BatchEval.Source source =
        ordinal -> {
          Col c = cache[ordinal];
          if (c == null) {
            c = ArrowCols.read(vectors.get(ordinal), input.get(ordinal).type(), n, scratch);
            cache[ordinal] = c;
          }
          return c;
        };
    try {
      for (int k : computed) {
        out.add(column(keys.get(k), vectors, source, n, allocator, scratch));
      }
      return out;
    } catch (RuntimeException e) {
      out.forEach(FieldVector::close);
      throw e;
    }
  }

  private static FieldVector column(
      Expr key,
      List<FieldVector> vectors,
      BatchEval.Source source,
      int n,
      BufferAllocator allocator,
      Scratch scratch) {
    DataType type = key.type();
    if (type.isDecimal()
        && type.precision() > 18
        && key instanceof ColumnRef c
        && vectors.get(c.ordinal()) instanceof DecimalVector d) {
      return wideDecimalBytes(d, n, allocator);
    }
    Col col = evaluate(key, source, n, scratch);
    String name = "key";
    if (type.kind() == TypeKind.BOOLEAN) {
      IntVector v = new IntVector(name, allocator);
      v.allocateNew(n);
      for (int i = 0; i < n; i++) {
        if (col.isNull(i)) {
          v.setNull(i);
        } else {
          v.set(i, (int) col.getLong(i));
        }
      }
      v.setValueCount(n);
      return v;
    }
    if (type.kind() == TypeKind.FLOAT) {
      Float8Vector v = new Float8Vector(name, allocator);
      v.allocateNew(n);
      for (int i = 0; i < n; i++) {
        if (col.isNull(i)) {
          v.setNull(i);
        } else {
          v.set(i, col.getDouble(i));
        }
      }
      v.setValueCount(n);
      return v;
    }
    if (type.isDecimal() && type.precision() > 18) {
      VarCharVector v = new VarCharVector(name, allocator);
      v.allocateNew(16L * n, n);
      for (int i = 0; i < n; i++) {
        Object value = col.value(i);
        if (value == null) {
          v.setNull(i);
        } else {
          v.setSafe(i, unscaledBytes((BigDecimal) value, type.scale()));
        }
      }
      v.setValueCount(n);
      return v;
    }
    FieldVector v = ArrowSchemas.arrowField(new Field(name, type, true)).createVector(allocator);
    try {
      v.allocateNew();
      ArrowCols.write(col, v);
      v.setValueCount(n);
      return v;
    } catch (RuntimeException e) {
      v.close();
      throw e;
    }
  }

  /** Evaluates a key over a batch; rows whose evaluation fails raise the reference's error. */
  private static Col evaluate(Expr key, BatchEval.Source source, int n, Scratch scratch) {
    try {
      return new BatchEval(source, n, scratch).eval(key);
    } catch (Deopt d) {
      Object[] values = new Object[n];
      for (int i = 0; i < n; i++) {
        int row = i;
        values[i] = ScalarEval.eval(key, ordinal -> source.col(ordinal).value(row));
      }
      return Col.fromObjects(key.type(), values, n);
    }
  }

  /** A wide decimal column's 16-byte values as strings of 16 bytes: one bulk copy. */
  private static VarCharVector wideDecimalBytes(DecimalVector d, int n, BufferAllocator allocator) {
    VarCharVector v = new VarCharVector("key", allocator);
    v.allocateNew(Math.max(16L * n, 1), n);
    if (n > 0) {
      MemoryUtil.copyMemory(
          d.getDataBuffer().memoryAddress(), v.getDataBuffer().memoryAddress(), 16L * n);
      long offsets = v.getOffsetBuffer().memoryAddress();
      for (int i = 0; i <= n; i++) {
        MemoryUtil.putInt(offsets + 4L * i, 16 * i);
      }
      int bytes = (n + 7) >>> 3;
      if (d.getNullCount() == 0) {
        MemoryUtil.setMemory(v.getValidityBuffer().memoryAddress(), bytes, (byte) -1);
      } else {
        v.getValidityBuffer().setBytes(0, d.getValidityBuffer(), 0, bytes);
      }
    }
    v.setLastSet(n - 1);
    v.setValueCount(n);
    return v;
  }

  /** The unscaled value at {@code scale} as 16 little-endian two's complement bytes. */
  static byte[] unscaledBytes(BigDecimal value, int scale) {
    BigInteger unscaled = value.setScale(scale).unscaledValue();
    byte[] big = unscaled.toByteArray();
    byte[] out = new byte[16];
    byte fill = (byte) (unscaled.signum() < 0 ? -1 : 0);
    for (int i = 0; i < 16; i++) {
      int from = big.length - 1 - i;
      out[i] = from >= 0 ? big[from] : fill;
    }
    return out;
  }
}
