package dev.trueno.it;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Seeded test data of the aggregation corpus, registered as temporary views.
 *
 * <ul>
 *   <li>{@code t}: in memory, {@value #ROWS} rows; {@code k_*} columns are low-cardinality keys of
 *       every supported type (about one in eight null), {@code v_*} columns are values of every
 *       supported type (one in ten null, and all null where {@code k_int = 5}), {@code all_null} is
 *       always null.
 *   <li>{@code tp}: the same rows read back from Parquet.
 *   <li>{@code tp_empty}: no rows, same schema, from Parquet.
 *   <li>{@code special}: NaN, -0.0, 0.0, infinities and nulls as float and double keys and values.
 * </ul>
 */
final class AggregationData {
  static final int ROWS = 3000;

  private AggregationData() {}

  static void register(SparkSession spark, long seed, Path dir) {
    Dataset<Row> t = spark.createDataFrame(rows(seed), schema());
    t.createOrReplaceTempView("t");
    String parquet = dir.resolve("t.parquet").toString();
    t.write().mode("overwrite").parquet(parquet);
    spark.read().parquet(parquet).createOrReplaceTempView("tp");
    String empty = dir.resolve("empty.parquet").toString();
    t.limit(0).write().mode("overwrite").parquet(empty);
    spark.read().parquet(empty).createOrReplaceTempView("tp_empty");
    specialFloats(spark).createOrReplaceTempView("special");
  }

  static StructType schema() {
    List<StructField> fields = new ArrayList<>();
    for (String prefix : List.of("k_", "v_")) {
      fields.add(field(prefix + "bool", DataTypes.BooleanType));
      fields.add(field(prefix + "tiny", DataTypes.ByteType));
      fields.add(field(prefix + "small", DataTypes.ShortType));
      fields.add(field(prefix + "int", DataTypes.IntegerType));
      fields.add(field(prefix + "big", DataTypes.LongType));
      fields.add(field(prefix + "float", DataTypes.FloatType));
      fields.add(field(prefix + "double", DataTypes.DoubleType));
      fields.add(field(prefix + "dec5", DataTypes.createDecimalType(5, 2)));
      fields.add(field(prefix + "dec9", DataTypes.createDecimalType(9, 3)));
      fields.add(field(prefix + "dec15", DataTypes.createDecimalType(15, 2)));
      fields.add(field(prefix + "dec18", DataTypes.createDecimalType(18, 4)));
      fields.add(field(prefix + "dec38", DataTypes.createDecimalType(38, 10)));
      fields.add(field(prefix + "date", DataTypes.DateType));
      fields.add(field(prefix + "ts", DataTypes.TimestampType));
      fields.add(field(prefix + "str", DataTypes.StringType));
    }
    fields.add(field("all_null", DataTypes.IntegerType));
    fields.add(field("id", DataTypes.IntegerType));
    return new StructType(fields.toArray(new StructField[0]));
  }

  private static StructField field(String name, DataType type) {
    return DataTypes.createStructField(name, type, true);
  }

  private static List<Row> rows(long seed) {
    Random r = new Random(seed);
    List<Row> rows = new ArrayList<>(ROWS);
    for (int i = 0; i < ROWS; i++) {
      List<Object> v = new ArrayList<>();
      int k = r.nextInt(6); // 0..5; 5 is the group whose values are all null
      boolean keyNull = r.nextInt(8) == 0;
      // Keys: six distinct values per type plus null, correlated with k so groups are similar.
      v.add(keyNull ? null : k % 2 == 0);
      v.add(keyNull ? null : (byte) (k * 50 - 120));
      v.add(keyNull ? null : (short) (k * 10_000 - 25_000));
      v.add(r.nextInt(16) == 0 ? null : k);
      v.add(keyNull ? null : k * 3_000_000_000L - 7_000_000_000L);
      v.add(keyNull ? null : k * 1.5f - 3f);
      v.add(keyNull ? null : k * 0.1 - 0.2);
      v.add(keyNull ? null : new BigDecimal(k * 123 - 300).movePointLeft(2));
      v.add(keyNull ? null : new BigDecimal(k * 123_457 - 300_000L).movePointLeft(3));
      v.add(
          keyNull ? null : new BigDecimal(k * 12_345_678_901L - 30_000_000_000L).movePointLeft(2));
      v.add(keyNull ? null : new BigDecimal(k * 12_345_678_901_234L).movePointLeft(4));
      v.add(
          keyNull
              ? null
              : new BigDecimal("12345678901234567890.0123456789").multiply(BigDecimal.valueOf(k)));
      v.add(keyNull ? null : Date.valueOf(java.time.LocalDate.of(1999 + k, 1 + k, 1 + k * 3)));
      v.add(keyNull ? null : new Timestamp(1_000_000_000_000L + k * 86_400_123L));
      v.add(keyNull ? null : k == 4 ? "" : "key-" + (char) ('a' + k));
      // Values: random, one in ten null, all null in group k_int = 5.
      boolean allNull = v.get(3) != null && (Integer) v.get(3) == 5;
      v.add(value(r, allNull, () -> r.nextBoolean()));
      v.add(value(r, allNull, () -> (byte) (r.nextInt(256) - 128)));
      v.add(value(r, allNull, () -> (short) (r.nextInt(65536) - 32768)));
      v.add(value(r, allNull, () -> r.nextInt()));
      v.add(value(r, allNull, () -> r.nextLong() >> 16));
      v.add(value(r, allNull, () -> (float) (r.nextGaussian() * 1000)));
      v.add(value(r, allNull, () -> r.nextGaussian() * 1e6));
      v.add(value(r, allNull, () -> BigDecimal.valueOf(r.nextInt(99_999) - 49_999, 2)));
      v.add(value(r, allNull, () -> BigDecimal.valueOf(r.nextInt(999_999_999) - 499_999_999, 3)));
      v.add(value(r, allNull, () -> BigDecimal.valueOf(r.nextLong() % 999_999_999_999_999L, 2)));
      v.add(
          value(r, allNull, () -> BigDecimal.valueOf(r.nextLong() % 999_999_999_999_999_999L, 4)));
      v.add(
          value(
              r,
              allNull,
              () ->
                  new BigDecimal(
                      new java.math.BigInteger(90, r)
                          .subtract(java.math.BigInteger.ONE.shiftLeft(89)),
                      10)));
      v.add(value(r, allNull, () -> new Date(r.nextInt(20_000) * 86_400_000L)));
      v.add(value(r, allNull, () -> new Timestamp(r.nextLong() % 4_000_000_000_000L)));
      v.add(value(r, allNull, () -> Long.toString(r.nextLong() & 0xffffff, 36)));
      v.add(null);
      v.add(i);
      rows.add(RowFactory.create(v.toArray()));
    }
    return rows;
  }

  private static Object value(Random r, boolean allNull, java.util.function.Supplier<Object> s) {
    Object value = s.get(); // always draw, so the stream does not depend on the nulls
    return allNull || r.nextInt(10) == 0 ? null : value;
  }

  private static Dataset<Row> specialFloats(SparkSession spark) {
    double[] doubles = {
      Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5, -1.5
    };
    List<Row> rows = new ArrayList<>();
    int i = 0;
    for (int repeat = 0; repeat < 3; repeat++) {
      for (double d : doubles) {
        // Values of one key row are the other values, so groups see NaN, -0.0 and infinities.
        double value = doubles[(i * 3 + repeat) % doubles.length];
        rows.add(
            RowFactory.create(
                i % 11 == 10 ? null : d,
                i % 11 == 10 ? null : (float) d,
                value,
                (float) value,
                i % 4,
                i));
        i++;
      }
    }
    rows.add(RowFactory.create(null, null, null, null, 0, i));
    StructType schema =
        new StructType(
            new StructField[] {
              field("kd", DataTypes.DoubleType),
              field("kf", DataTypes.FloatType),
              field("vd", DataTypes.DoubleType),
              field("vf", DataTypes.FloatType),
              field("g", DataTypes.IntegerType),
              field("id", DataTypes.IntegerType)
            });
    return spark.createDataFrame(rows, schema);
  }
}
