package dev.trueno.spark.translate;

import dev.trueno.core.types.DataType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.TimestampType;

/** Maps Spark SQL types to Trueno IR types. */
final class SparkTypes {
  private SparkTypes() {}

  /** The Trueno type of a Spark type, or {@link Unsupported} with a reason. */
  static DataType toTrueno(org.apache.spark.sql.types.DataType t, String what) {
    if (t instanceof BooleanType) {
      return DataType.BOOLEAN;
    }
    if (t instanceof ByteType) {
      return DataType.BYTE;
    }
    if (t instanceof ShortType) {
      return DataType.SHORT;
    }
    if (t instanceof IntegerType) {
      return DataType.INT;
    }
    if (t instanceof LongType) {
      return DataType.LONG;
    }
    if (t instanceof FloatType) {
      return DataType.FLOAT;
    }
    if (t instanceof DoubleType) {
      return DataType.DOUBLE;
    }
    if (t instanceof DecimalType d) {
      return DataType.decimal(d.precision(), d.scale());
    }
    if (t instanceof DateType) {
      return DataType.DATE;
    }
    if (t instanceof TimestampType) {
      return DataType.TIMESTAMP;
    }
    if (t instanceof StringType s) {
      if (!s.isUTF8BinaryCollation()) {
        throw new Unsupported(
            what + " has collation " + s.collationName() + " (only UTF8_BINARY is supported)");
      }
      return DataType.STRING;
    }
    throw new Unsupported(what + " has type " + t.simpleString() + ", which is not supported");
  }
}
