package dev.trueno.spark.scan.decode;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.NanoTime;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * A column of a test file: its Parquet type, a generator of random values, and how a value looks
 * when compared (both the oracle's record and our Arrow vector are normalized to the same Java
 * value: integers as Long, decimals as BigDecimal, strings as String, binaries as hex).
 */
record TestColumn(String name, PrimitiveType type, Gen gen) {
  interface Gen {
    /** A value to write: Integer, Long, Float, Double, Boolean, Binary or NanoTime. */
    Object next(Random r);
  }

  static TestColumn of(String name, PrimitiveTypeName physical, LogicalTypeAnnotation a, Gen gen) {
    return new TestColumn(name, Types.optional(physical).as(a).named(name), gen);
  }

  static TestColumn fixed(String name, int length, LogicalTypeAnnotation a, Gen gen) {
    return new TestColumn(
        name,
        Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(length).as(a).named(name),
        gen);
  }

  /** One column of every supported type. */
  static List<TestColumn> all() {
    return List.of(
        of("b", PrimitiveTypeName.BOOLEAN, null, Random::nextBoolean),
        of(
            "i8",
            PrimitiveTypeName.INT32,
            LogicalTypeAnnotation.intType(8, true),
            r -> (int) (byte) r.nextInt()),
        of(
            "i16",
            PrimitiveTypeName.INT32,
            LogicalTypeAnnotation.intType(16, true),
            r -> (int) (short) r.nextInt()),
        of("i32", PrimitiveTypeName.INT32, null, r -> edgeInt(r)),
        of(
            "u8",
            PrimitiveTypeName.INT32,
            LogicalTypeAnnotation.intType(8, false),
            r -> r.nextInt(256)),
        of(
            "u32",
            PrimitiveTypeName.INT32,
            LogicalTypeAnnotation.intType(32, false),
            r -> r.nextInt()),
        of("i64", PrimitiveTypeName.INT64, null, r -> edgeLong(r)),
        of(
            "u64",
            PrimitiveTypeName.INT64,
            LogicalTypeAnnotation.intType(64, false),
            Random::nextLong),
        of("f", PrimitiveTypeName.FLOAT, null, r -> edgeFloat(r)),
        of("d", PrimitiveTypeName.DOUBLE, null, r -> edgeDouble(r)),
        of(
            "date",
            PrimitiveTypeName.INT32,
            LogicalTypeAnnotation.dateType(),
            r -> r.nextInt(100_000) - 20_000),
        of(
            "ts_us",
            PrimitiveTypeName.INT64,
            LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS),
            r -> r.nextLong(-2_000_000_000_000_000L, 4_000_000_000_000_000L)),
        of(
            "ts_ms",
            PrimitiveTypeName.INT64,
            LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS),
            r -> r.nextLong(-2_000_000_000_000L, 4_000_000_000_000L)),
        of(
            "ntz_us",
            PrimitiveTypeName.INT64,
            LogicalTypeAnnotation.timestampType(false, LogicalTypeAnnotation.TimeUnit.MICROS),
            r -> r.nextLong(-9_000_000_000_000_000L, 9_000_000_000_000_000L)),
        of(
            "ntz_ms",
            PrimitiveTypeName.INT64,
            LogicalTypeAnnotation.timestampType(false, LogicalTypeAnnotation.TimeUnit.MILLIS),
            r -> r.nextLong(-9_000_000_000_000L, 9_000_000_000_000L)),
        of(
            "int96",
            PrimitiveTypeName.INT96,
            null,
            r ->
                new NanoTime(
                    2_440_588 + r.nextInt(-100_000, 100_000), r.nextLong(86_400_000_000_000L))),
        of(
            "dec_i32",
            PrimitiveTypeName.INT32,
            LogicalTypeAnnotation.decimalType(2, 9),
            r -> r.nextInt(-999_999_999, 1_000_000_000)),
        of(
            "dec_i64",
            PrimitiveTypeName.INT64,
            LogicalTypeAnnotation.decimalType(4, 18),
            r -> r.nextLong(-999_999_999_999_999_999L, 999_999_999_999_999_999L)),
        fixed(
            "dec_flba",
            16,
            LogicalTypeAnnotation.decimalType(10, 38),
            r -> decimalBytes(randomUnscaled(r, 38), 16)),
        fixed(
            "dec_flba5",
            5,
            LogicalTypeAnnotation.decimalType(0, 11),
            r -> decimalBytes(randomUnscaled(r, 11), 5)),
        of(
            "dec_bin",
            PrimitiveTypeName.BINARY,
            LogicalTypeAnnotation.decimalType(3, 30),
            r -> Binary.fromConstantByteArray(randomUnscaled(r, 30).toByteArray())),
        of("s", PrimitiveTypeName.BINARY, LogicalTypeAnnotation.stringType(), r -> string(r)),
        of(
            "s_lowcard",
            PrimitiveTypeName.BINARY,
            LogicalTypeAnnotation.stringType(),
            r -> Binary.fromString("v" + r.nextInt(20))),
        of("bin", PrimitiveTypeName.BINARY, null, r -> bytes(r, 40)),
        fixed("flba", 7, null, r -> bytes(r, 7, 7)));
  }

  static int edgeInt(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> Integer.MIN_VALUE;
      case 1 -> Integer.MAX_VALUE;
      case 2 -> 0;
      case 3 -> r.nextInt(100);
      default -> r.nextInt();
    };
  }

  static long edgeLong(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> Long.MIN_VALUE;
      case 1 -> Long.MAX_VALUE;
      case 2 -> 0L;
      case 3 -> r.nextInt(1000);
      default -> r.nextLong();
    };
  }

  static float edgeFloat(Random r) {
    return switch (r.nextInt(10)) {
      case 0 -> Float.NaN;
      case 1 -> -0.0f;
      case 2 -> Float.NEGATIVE_INFINITY;
      case 3 -> Float.MIN_VALUE;
      default -> (float) r.nextGaussian() * 1000;
    };
  }

  static double edgeDouble(Random r) {
    return switch (r.nextInt(10)) {
      case 0 -> Double.NaN;
      case 1 -> -0.0d;
      case 2 -> Double.POSITIVE_INFINITY;
      case 3 -> Double.MAX_VALUE;
      default -> r.nextGaussian() * 1e6;
    };
  }

  static BigInteger randomUnscaled(Random r, int precision) {
    BigInteger bound = BigInteger.TEN.pow(precision);
    BigInteger v = new BigInteger(bound.bitLength() + 8, r).mod(bound);
    return r.nextBoolean() ? v.negate() : v;
  }

  static Binary decimalBytes(BigInteger unscaled, int length) {
    byte[] minimal = unscaled.toByteArray();
    byte[] out = new byte[length];
    byte pad = (byte) (unscaled.signum() < 0 ? -1 : 0);
    int lead = length - minimal.length;
    for (int i = 0; i < length; i++) {
      out[i] = i < lead ? pad : minimal[i - lead];
    }
    return Binary.fromConstantByteArray(out);
  }

  static Binary string(Random r) {
    int len = r.nextInt(4) == 0 ? 0 : r.nextInt(r.nextInt(10) == 0 ? 300 : 12);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < len; i++) {
      int kind = r.nextInt(10);
      sb.appendCodePoint(
          kind == 0
              ? 0x4e00 + r.nextInt(500)
              : kind == 1 ? 0x1F600 + r.nextInt(50) : 'a' + r.nextInt(26));
    }
    return Binary.fromString(sb.toString());
  }

  static Binary bytes(Random r, int max) {
    return bytes(r, 0, max);
  }

  static Binary bytes(Random r, int min, int max) {
    byte[] b = new byte[min + r.nextInt(max - min + 1)];
    r.nextBytes(b);
    return Binary.fromConstantByteArray(b);
  }

  /** Adds a generated value to a record. */
  void write(Group g, Object v) {
    if (v instanceof Integer i) {
      g.add(name, i);
    } else if (v instanceof Long l) {
      g.add(name, l);
    } else if (v instanceof Float f) {
      g.add(name, f);
    } else if (v instanceof Double d) {
      g.add(name, d);
    } else if (v instanceof Boolean b) {
      g.add(name, b);
    } else if (v instanceof NanoTime t) {
      g.add(name, t);
    } else if (v instanceof Binary b) {
      g.add(name, b);
    } else {
      throw new IllegalArgumentException(v.toString());
    }
  }

  /** The oracle's value (parquet-mr's record reader) as Spark would read it. */
  Object expected(Group g) {
    int f = g.getType().getFieldIndex(name);
    if (g.getFieldRepetitionCount(f) == 0) {
      return null;
    }
    ColumnKind kind = ParquetArrowSchemas.kind(type);
    return switch (kind) {
      case BOOLEAN -> g.getBoolean(f, 0);
      case INT8, INT16, INT32, DATE -> (long) g.getInteger(f, 0);
      case UINT32 -> Integer.toUnsignedLong(g.getInteger(f, 0));
      case INT64, TIMESTAMP_MICROS, TIMESTAMP_NTZ_MICROS -> g.getLong(f, 0);
      case TIMESTAMP_MILLIS, TIMESTAMP_NTZ_MILLIS -> g.getLong(f, 0) * 1000;
      case UINT64 -> new BigDecimal(Long.toUnsignedString(g.getLong(f, 0)));
      case FLOAT -> g.getFloat(f, 0);
      case DOUBLE -> g.getDouble(f, 0);
      case INT96_TIMESTAMP -> {
        NanoTime t = NanoTime.fromBinary(g.getInt96(f, 0));
        yield (t.getJulianDay() - 2_440_588L) * 86_400_000_000L + t.getTimeOfDayNanos() / 1000;
      }
      case DECIMAL_INT32 -> BigDecimal.valueOf(g.getInteger(f, 0), scale());
      case DECIMAL_INT64 -> BigDecimal.valueOf(g.getLong(f, 0), scale());
      case DECIMAL_BYTES -> new BigDecimal(new BigInteger(g.getBinary(f, 0).getBytes()), scale());
      case STRING -> new String(g.getBinary(f, 0).getBytes(), StandardCharsets.UTF_8);
      case BINARY -> HexFormat.of().formatHex(g.getBinary(f, 0).getBytes());
    };
  }

  private int scale() {
    return ((LogicalTypeAnnotation.DecimalLogicalTypeAnnotation) type.getLogicalTypeAnnotation())
        .getScale();
  }

  /** Our value, normalized like {@link #expected}. */
  static Object actual(FieldVector v, int i) {
    if (v.isNull(i)) {
      return null;
    }
    if (v instanceof BitVector b) {
      return b.get(i) == 1;
    } else if (v instanceof TinyIntVector t) {
      return (long) t.get(i);
    } else if (v instanceof SmallIntVector t) {
      return (long) t.get(i);
    } else if (v instanceof IntVector t) {
      return (long) t.get(i);
    } else if (v instanceof DateDayVector t) {
      return (long) t.get(i);
    } else if (v instanceof BigIntVector t) {
      return t.get(i);
    } else if (v instanceof TimeStampMicroTZVector t) {
      return t.get(i);
    } else if (v instanceof TimeStampMicroVector t) {
      return t.get(i);
    } else if (v instanceof Float4Vector t) {
      return t.get(i);
    } else if (v instanceof Float8Vector t) {
      return t.get(i);
    } else if (v instanceof DecimalVector t) {
      return t.getObject(i);
    } else if (v instanceof VarCharVector t) {
      return new String(t.get(i), StandardCharsets.UTF_8);
    } else if (v instanceof VarBinaryVector t) {
      return HexFormat.of().formatHex(t.get(i));
    }
    throw new IllegalArgumentException(v.getClass().getName());
  }

  Type parquetType() {
    return type;
  }
}
