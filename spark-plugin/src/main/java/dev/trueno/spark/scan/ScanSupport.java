package dev.trueno.spark.scan;

import dev.trueno.spark.scan.decode.ParquetArrowSchemas;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.sql.execution.datasources.parquet.SparkToParquetSchemaConverter;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Whether the Trueno scan can produce a set of columns, judged when the query is planned, before
 * any footer is read.
 *
 * <p>Each Spark type is turned into the Parquet type Spark writes for it and asked of the decoder
 * ({@link ParquetArrowSchemas#unsupportedReason}), so the decoder alone says what it supports. A
 * file may still store a column differently (INT96 or INT64 timestamps, decimals as binary); the
 * reader checks each file's actual types again and names the file when one cannot be read.
 */
final class ScanSupport {
  private ScanSupport() {}

  /** Why {@code dataColumns} cannot be read, or null when every one can. */
  static String unsupportedReason(StructType dataColumns) {
    SparkToParquetSchemaConverter converter = new SparkToParquetSchemaConverter(SQLConf.get());
    for (StructField f : dataColumns.fields()) {
      String reason;
      try {
        MessageType message = converter.convert(new StructType(new StructField[] {f}));
        reason = ParquetArrowSchemas.unsupportedReason(message.getType(0));
      } catch (RuntimeException e) {
        reason = "Spark has no Parquet type for it (" + e.getMessage() + ")";
      }
      if (reason != null) {
        return "column " + f.name() + " of type " + f.dataType().sql() + ": " + reason;
      }
    }
    return null;
  }
}
