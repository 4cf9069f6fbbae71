package dev.trueno.spark.scan.decode;

/**
 * What a flat Parquet column becomes in Arrow: one value per combination of physical type and
 * Spark's reading of its logical type. The decoder switches on it once per run of values, never per
 * value.
 */
enum ColumnKind {
  BOOLEAN,
  /** INT32 annotated INT(8, signed). */
  INT8,
  /** INT32 annotated INT(16, signed) or INT(8, unsigned) (Spark widens UINT8 to smallint). */
  INT16,
  /** INT32, INT(32, signed) or INT(16, unsigned). */
  INT32,
  /** INT32 annotated INT(32, unsigned): Spark reads it as bigint. */
  UINT32,
  INT64,
  /** INT64 annotated INT(64, unsigned): Spark reads it as decimal(20, 0). */
  UINT64,
  FLOAT,
  DOUBLE,
  /** INT32 annotated DATE: days since the epoch, rebased per the datetime rebase mode. */
  DATE,
  /** INT64 TIMESTAMP(MICROS, utc-adjusted): Spark's TimestampType, rebased. */
  TIMESTAMP_MICROS,
  /** INT64 TIMESTAMP(MILLIS, utc-adjusted): scaled to micros, rebased. */
  TIMESTAMP_MILLIS,
  /** INT64 TIMESTAMP(MICROS, local): Spark's TimestampNTZType, never rebased. */
  TIMESTAMP_NTZ_MICROS,
  /** INT64 TIMESTAMP(MILLIS, local): scaled to micros, never rebased. */
  TIMESTAMP_NTZ_MILLIS,
  /** INT96 (julian day + nanos of day): Spark's TimestampType, rebased per the INT96 mode. */
  INT96_TIMESTAMP,
  /** DECIMAL on INT32. */
  DECIMAL_INT32,
  /** DECIMAL on INT64. */
  DECIMAL_INT64,
  /** DECIMAL on FIXED_LEN_BYTE_ARRAY or BINARY: big-endian two's complement. */
  DECIMAL_BYTES,
  /** BINARY annotated STRING, ENUM or JSON. */
  STRING,
  /** BINARY (plain or BSON) or FIXED_LEN_BYTE_ARRAY without annotation. */
  BINARY;

  /** True for the kinds whose Arrow vector has variable-width values. */
  boolean variableWidth() {
    return this == STRING || this == BINARY;
  }

  /** Arrow bytes one value takes in the data buffer (0 for the variable-width kinds). */
  int fixedWidth() {
    return switch (this) {
      case BOOLEAN, STRING, BINARY -> 0;
      case INT8 -> 1;
      case INT16 -> 2;
      case INT32, FLOAT, DATE -> 4;
      case INT64,
          UINT32,
          DOUBLE,
          TIMESTAMP_MICROS,
          TIMESTAMP_MILLIS,
          TIMESTAMP_NTZ_MICROS,
          TIMESTAMP_NTZ_MILLIS,
          INT96_TIMESTAMP ->
          8;
      case UINT64, DECIMAL_INT32, DECIMAL_INT64, DECIMAL_BYTES -> 16;
    };
  }
}
