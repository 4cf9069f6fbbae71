package dev.trueno.spark.scan.decode;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;

/** Parquet types map to the Arrow types of Spark's reading, or to a reason they are not read. */
class ParquetArrowSchemasTest {
  private static Type optional(PrimitiveTypeName p, LogicalTypeAnnotation a) {
    return Types.optional(p).as(a).named("c");
  }

  private static ArrowType arrow(Type t) {
    assertThat(ParquetArrowSchemas.unsupportedReason(t)).isNull();
    return ParquetArrowSchemas.arrowField(t).getType();
  }

  @Test
  void typesMapAsSparkReadsThem() {
    assertThat(arrow(optional(PrimitiveTypeName.INT32, LogicalTypeAnnotation.intType(8, true))))
        .isEqualTo(new ArrowType.Int(8, true));
    assertThat(arrow(optional(PrimitiveTypeName.INT32, LogicalTypeAnnotation.intType(8, false))))
        .isEqualTo(new ArrowType.Int(16, true));
    assertThat(arrow(optional(PrimitiveTypeName.INT32, LogicalTypeAnnotation.intType(32, false))))
        .isEqualTo(new ArrowType.Int(64, true));
    assertThat(arrow(optional(PrimitiveTypeName.INT64, LogicalTypeAnnotation.intType(64, false))))
        .isEqualTo(new ArrowType.Decimal(20, 0, 128));
    assertThat(arrow(optional(PrimitiveTypeName.INT32, LogicalTypeAnnotation.dateType())))
        .isEqualTo(new ArrowType.Date(DateUnit.DAY));
    assertThat(
            arrow(
                optional(
                    PrimitiveTypeName.INT64,
                    LogicalTypeAnnotation.timestampType(
                        true, LogicalTypeAnnotation.TimeUnit.MILLIS))))
        .isEqualTo(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"));
    assertThat(
            arrow(
                optional(
                    PrimitiveTypeName.INT64,
                    LogicalTypeAnnotation.timestampType(
                        false, LogicalTypeAnnotation.TimeUnit.MICROS))))
        .isEqualTo(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null));
    assertThat(arrow(optional(PrimitiveTypeName.INT96, null)))
        .isEqualTo(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"));
    assertThat(arrow(optional(PrimitiveTypeName.BINARY, LogicalTypeAnnotation.jsonType())))
        .isEqualTo(ArrowType.Utf8.INSTANCE);
    assertThat(arrow(optional(PrimitiveTypeName.BINARY, null)))
        .isEqualTo(ArrowType.Binary.INSTANCE);
    assertThat(
            arrow(
                Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY)
                    .length(9)
                    .as(LogicalTypeAnnotation.decimalType(5, 20))
                    .named("c")))
        .isEqualTo(new ArrowType.Decimal(20, 5, 128));
    assertThat(
            ParquetArrowSchemas.arrowField(Types.required(PrimitiveTypeName.INT32).named("r"))
                .isNullable())
        .isFalse();
  }

  @Test
  void typesSparkDoesNotReadSayWhy() {
    assertThat(
            ParquetArrowSchemas.unsupportedReason(
                optional(
                    PrimitiveTypeName.INT64,
                    LogicalTypeAnnotation.timestampType(
                        true, LogicalTypeAnnotation.TimeUnit.NANOS))))
        .contains("nanosAsLong");
    assertThat(
            ParquetArrowSchemas.unsupportedReason(
                Types.repeated(PrimitiveTypeName.INT32).named("xs")))
        .contains("repeated");
    assertThat(
            ParquetArrowSchemas.unsupportedReason(
                Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY)
                    .length(16)
                    .as(LogicalTypeAnnotation.uuidType())
                    .named("u")))
        .contains("not read by Spark");
    assertThat(
            ParquetArrowSchemas.unsupportedReason(
                optional(PrimitiveTypeName.BINARY, LogicalTypeAnnotation.decimalType(0, 40))))
        .contains("precision 40 (max 38)");
  }
}
