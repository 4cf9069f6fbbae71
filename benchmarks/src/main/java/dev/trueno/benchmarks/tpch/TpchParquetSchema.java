package dev.trueno.benchmarks.tpch;

import io.trino.tpch.TpchColumn;
import io.trino.tpch.TpchTable;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * The Parquet schema of a TPC-H table: the standard SQL types, not the generator's doubles.
 *
 * <p>The generator exposes money, quantities, discounts and taxes as {@code DOUBLE} columns whose
 * {@code getIdentifier} value is the exact amount in hundredths; we store that value as {@code
 * DECIMAL(15,2)} on INT64, so queries see exact decimals as the TPC-H specification requires.
 */
final class TpchParquetSchema {
  /** Precision and scale of every money, quantity, discount and tax column. */
  static final int DECIMAL_PRECISION = 15;

  static final int DECIMAL_SCALE = 2;

  private TpchParquetSchema() {}

  /** The Parquet message type for {@code table}; every column is required (TPC-H has no nulls). */
  static MessageType of(TpchTable<?> table) {
    List<Type> fields = new ArrayList<>();
    for (TpchColumn<?> column : table.getColumns()) {
      fields.add(fieldOf(column));
    }
    return new MessageType(table.getTableName(), fields);
  }

  private static Type fieldOf(TpchColumn<?> column) {
    String name = column.getColumnName();
    return switch (column.getType().getBase()) {
      case IDENTIFIER -> Types.required(PrimitiveTypeName.INT64).named(name);
      case INTEGER -> Types.required(PrimitiveTypeName.INT32).named(name);
      case DATE ->
          Types.required(PrimitiveTypeName.INT32).as(LogicalTypeAnnotation.dateType()).named(name);
      case DOUBLE ->
          Types.required(PrimitiveTypeName.INT64)
              .as(LogicalTypeAnnotation.decimalType(DECIMAL_SCALE, DECIMAL_PRECISION))
              .named(name);
      case VARCHAR ->
          Types.required(PrimitiveTypeName.BINARY)
              .as(LogicalTypeAnnotation.stringType())
              .named(name);
    };
  }
}
