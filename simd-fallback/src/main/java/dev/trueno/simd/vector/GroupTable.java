package dev.trueno.simd.vector;

import dev.trueno.core.types.DataType;
import dev.trueno.core.types.TypeKind;
import dev.trueno.simd.vector.kernels.Hashing;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Open-addressing hash table from grouping-key tuples to dense group ids (0, 1, ... in first-seen
 * order), with the keys stored column-wise in primitive arrays: no boxed keys.
 *
 * <p>Key equality is Spark's: NULL is a key of its own, every NaN is one key and -0.0 is the key
 * 0.0 (the stored key is the normalized value, as {@code NormalizeFloatingNumbers} makes it).
 * Fixed-width keys are stored as longs (doubles as their normalized bits, decimals as unscaled
 * longs, or as a BigDecimal when beyond a long); strings as bytes in one arena per column.
 */
final class GroupTable {
  private final DataType[] types;
  private final boolean[] isString;
  private int size;
  private int[] slots = new int[64];
  private int[] groupHash = new int[16];
  private final long[][] longs;
  private final boolean[][] nulls;
  private final Object[][] bigs;
  private final byte[][] arena;
  private final int[][] offsets;

  GroupTable(DataType[] types) {
    this.types = types;
    int k = types.length;
    isString = new boolean[k];
    longs = new long[k][];
    nulls = new boolean[k][];
    bigs = new Object[k][];
    arena = new byte[k][];
    offsets = new int[k][];
    for (int c = 0; c < k; c++) {
      isString[c] = types[c].kind() == TypeKind.STRING;
      nulls[c] = new boolean[16];
      if (isString[c]) {
        arena[c] = new byte[256];
        offsets[c] = new int[17];
      } else {
        longs[c] = new long[16];
      }
    }
  }

  int size() {
    return size;
  }

  /**
   * A key column of one batch in the table's canonical form: fixed-width values as longs (doubles
   * as their normalized bits, with BigDecimals where decimals do not fit), strings as the batch's
   * bytes and offsets. Values and NULLs are read from the batch's column (in place where it reads
   * an Arrow buffer), not copied.
   */
  static final class KeyCol {
    long[] longs;
    ByteBuffer raw8;
    Col col;
    boolean nullable;
    boolean doubles;
    Object[] bigs;
    boolean[] nulls;
    byte[] data;
    int[] offsets;

    /** The canonical value of a non-NULL row. */
    long key(int i) {
      if (longs != null) {
        return longs[i];
      }
      if (raw8 != null) {
        return raw8.getLong(i << 3);
      }
      if (doubles) {
        double d = col.getDouble(i);
        return d == 0.0 ? 0L : Double.doubleToLongBits(d);
      }
      return col.getLong(i);
    }

    boolean isNull(int i) {
      return nulls != null ? nulls[i] : nullable && col.isNull(i);
    }
  }

  KeyCol canonical(int c, Col col) {
    KeyCol k = new KeyCol();
    int n = col.rows;
    DataType t = types[c];
    if (isString[c]) {
      k.nulls = col.nulls();
      k.data = col.data;
      k.offsets = col.offsets;
    } else if (col.repr == Col.OBJECT) {
      k.nulls = col.nulls();
      long[] out = new long[n];
      Object[] big = new Object[n];
      for (int i = 0; i < n; i++) {
        if (!col.isNull(i)) {
          BigDecimal b = (BigDecimal) col.objects[i];
          if (b.unscaledValue().bitLength() <= 63) {
            out[i] = b.unscaledValue().longValue();
          } else {
            big[i] = b.setScale(t.scale());
          }
        }
      }
      k.longs = out;
      k.bigs = big;
    } else {
      k.col = col;
      k.nulls = col.nulls;
      k.nullable = col.hasNulls();
      if (col.repr == Col.DOUBLE) {
        k.doubles = true;
      } else if (col.longs != null) {
        k.longs = col.longs;
      } else if (col.inPlace() && col.width == 8) {
        k.raw8 = col.raw;
      }
    }
    return k;
  }

  /** Per-row hashes of one canonical key column, folded into {@code hashes} unless first. */
  static void hash(KeyCol k, int n, long[] hashes, boolean first) {
    for (int i = 0; i < n; i++) {
      long h;
      if (k.isNull(i)) {
        h = Hashing.NULL_HASH;
      } else if (k.data != null) {
        long x = 0x811c9dc5L;
        for (int j = k.offsets[i], end = k.offsets[i + 1]; j < end; j++) {
          x = (x ^ k.data[j]) * 0x100000001b3L;
        }
        h = Hashing.hash(x);
      } else if (k.bigs != null && k.bigs[i] != null) {
        h = Hashing.hash((long) k.bigs[i].hashCode() * 31 + 7);
      } else {
        h = Hashing.hash(k.key(i));
      }
      hashes[i] = first ? h : Hashing.combine(hashes[i], h);
    }
  }

  /** Assigns rows {@code [0, rows)} their group ids, adding new groups in row order. */
  void assign(KeyCol[] keys, long[] hashes, int rows, int[] gids) {
    int keyCount = keys.length;
    for (int i = 0; i < rows; i++) {
      long h64 = hashes[i];
      int h = (int) (h64 ^ (h64 >>> 32));
      int mask = slots.length - 1;
      int slot = h & mask;
      while (true) {
        int g = slots[slot] - 1;
        if (g < 0) {
          g = add(keys, i, h);
          gids[i] = g;
          break;
        }
        if (groupHash[g] == h && equal(keys, keyCount, g, i)) {
          gids[i] = g;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
  }

  private boolean equal(KeyCol[] keys, int keyCount, int g, int i) {
    for (int c = 0; c < keyCount; c++) {
      KeyCol k = keys[c];
      boolean rowNull = k.isNull(i);
      if (nulls[c][g] != rowNull) {
        return false;
      }
      if (rowNull) {
        continue;
      }
      if (isString[c]) {
        int[] o = offsets[c];
        if (!Arrays.equals(arena[c], o[g], o[g + 1], k.data, k.offsets[i], k.offsets[i + 1])) {
          return false;
        }
      } else {
        Object rowBig = k.bigs == null ? null : k.bigs[i];
        Object groupBig = bigs[c] == null ? null : bigs[c][g];
        if (rowBig != null || groupBig != null) {
          if (rowBig == null || !rowBig.equals(groupBig)) {
            return false;
          }
        } else if (longs[c][g] != k.key(i)) {
          return false;
        }
      }
    }
    return true;
  }

  private int add(KeyCol[] keys, int i, int h) {
    int g = size;
    if (g == groupHash.length) {
      int cap = g * 2;
      groupHash = Arrays.copyOf(groupHash, cap);
      for (int c = 0; c < keys.length; c++) {
        nulls[c] = Arrays.copyOf(nulls[c], cap);
        if (isString[c]) {
          offsets[c] = Arrays.copyOf(offsets[c], cap + 1);
        } else {
          longs[c] = Arrays.copyOf(longs[c], cap);
          if (bigs[c] != null) {
            bigs[c] = Arrays.copyOf(bigs[c], cap);
          }
        }
      }
    }
    groupHash[g] = h;
    for (int c = 0; c < keys.length; c++) {
      KeyCol k = keys[c];
      boolean rowNull = k.isNull(i);
      nulls[c][g] = rowNull;
      if (isString[c]) {
        int[] o = offsets[c];
        int start = o[g];
        int len = rowNull ? 0 : k.offsets[i + 1] - k.offsets[i];
        if (start + len > arena[c].length) {
          arena[c] = Arrays.copyOf(arena[c], Math.max(arena[c].length * 2, start + len));
        }
        if (len > 0) {
          System.arraycopy(k.data, k.offsets[i], arena[c], start, len);
        }
        o[g + 1] = start + len;
      } else {
        longs[c][g] = rowNull ? 0 : k.key(i);
        Object big = rowNull || k.bigs == null ? null : k.bigs[i];
        if (big != null) {
          if (bigs[c] == null) {
            bigs[c] = new Object[groupHash.length];
          }
          bigs[c][g] = big;
        } else if (bigs[c] != null) {
          bigs[c][g] = null;
        }
      }
    }
    size = g + 1;
    if (size * 2 > slots.length) {
      rehash();
    } else {
      insert(g, h);
    }
    return g;
  }

  private void insert(int g, int h) {
    int mask = slots.length - 1;
    int slot = h & mask;
    while (slots[slot] != 0) {
      slot = (slot + 1) & mask;
    }
    slots[slot] = g + 1;
  }

  private void rehash() {
    slots = new int[slots.length * 2];
    for (int g = 0; g < size; g++) {
      insert(g, groupHash[g]);
    }
  }

  /** Key column {@code c} of groups {@code [from, from + count)}, with normalized values. */
  Col keys(int c, int from, int count) {
    DataType t = types[c];
    boolean[] n = Arrays.copyOfRange(nulls[c], from, from + count);
    if (isString[c]) {
      int[] o = Arrays.copyOfRange(offsets[c], from, from + count + 1);
      return Col.strings(arena[c], o, n, count);
    }
    long[] l = Arrays.copyOfRange(longs[c], from, from + count);
    if (t.kind().isFloating()) {
      double[] d = new double[count];
      for (int i = 0; i < count; i++) {
        d[i] = Double.longBitsToDouble(l[i]);
      }
      return Col.doubles(t, d, n, count);
    }
    if (bigs[c] != null) {
      Object[] values = new Object[count];
      for (int i = 0; i < count; i++) {
        Object b = bigs[c][from + i];
        values[i] = n[i] ? null : b != null ? b : BigDecimal.valueOf(l[i], t.scale());
      }
      return Col.fromObjects(t, values, count);
    }
    return Col.longs(t, l, n, count);
  }
}
