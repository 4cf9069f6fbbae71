package dev.trueno.spark.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.execution.arrow.ArrowWriter;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.ArrowUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CompactDecimalWriterTest {
  private final BufferAllocator allocator = new RootAllocator(Long.MAX_VALUE);

  @AfterEach
  void closeAllocator() {
    allocator.close();
  }

  @Test
  void writesTheSameArrowBytesAsSparksWriter() {
    StructType schema =
        new StructType()
            .add("d15", DataTypes.createDecimalType(15, 2))
            .add("d18", DataTypes.createDecimalType(18, 0))
            .add("d38", DataTypes.createDecimalType(38, 10))
            .add("s", DataTypes.StringType);
    SplittableRandom random = new SplittableRandom(7);
    List<InternalRow> rows = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      Object d15 =
          i % 7 == 0
              ? null
              : Decimal.apply(BigDecimal.valueOf(random.nextLong() % 100_000_000_000_000L, 2));
      Object d18 =
          i % 11 == 0
              ? null
              : Decimal.apply(
                  new BigDecimal(i % 2 == 0 ? "999999999999999999" : "-999999999999999999")
                      .add(BigDecimal.valueOf(-(i % 5))));
      Object d38 = Decimal.apply(new BigDecimal(random.nextLong() + "." + i));
      rows.add(new GenericInternalRow(new Object[] {d15, d18, d38, null}));
    }
    // A value wider than its column: Spark's writer stores NULL, and so must this one.
    rows.add(
        new GenericInternalRow(
            new Object[] {
              Decimal.apply(new BigDecimal("12345678901234567.25")), null, null, null
            }));
    try (VectorSchemaRoot expected = write(schema, rows, false);
        VectorSchemaRoot actual = write(schema, rows, true)) {
      assertThat(actual.getRowCount()).isEqualTo(rows.size());
      for (int c = 0; c < schema.size(); c++) {
        for (int r = 0; r < rows.size(); r++) {
          assertThat(actual.getVector(c).getObject(r))
              .as("column %d row %d", c, r)
              .isEqualTo(expected.getVector(c).getObject(r));
        }
      }
      assertThat(actual.getVector(0).isNull(rows.size() - 1)).isTrue();
    }
  }

  private VectorSchemaRoot write(StructType schema, List<InternalRow> rows, boolean compact) {
    VectorSchemaRoot root =
        VectorSchemaRoot.create(ArrowUtils.toArrowSchema(schema, "UTC", false, false), allocator);
    ArrowWriter writer = compact ? CompactDecimalWriter.create(root) : ArrowWriter.create(root);
    rows.forEach(writer::write);
    writer.finish();
    return root;
  }
}
