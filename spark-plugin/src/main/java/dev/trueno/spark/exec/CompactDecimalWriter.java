package dev.trueno.spark.exec;

import java.util.List;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.execution.arrow.ArrowFieldWriter;
import org.apache.spark.sql.execution.arrow.ArrowWriter;
import org.apache.spark.sql.execution.arrow.ArrowWriter$;
import org.apache.spark.sql.execution.arrow.DecimalWriter;
import org.apache.spark.sql.types.Decimal;

/**
 * Spark's row-to-Arrow writer, except that decimals of up to 18 digits are written from their
 * unscaled {@code long}.
 *
 * <p>Spark's {@code DecimalWriter} turns every value into a {@code BigDecimal} (and a {@code
 * BigInteger} and a byte array) before Arrow stores it; a profile of TPC-H Q9 at SF10 showed that
 * conversion as the largest single cost of feeding rows to Trueno's operators (TPC-H's money
 * columns are decimal(15,2) or narrower). A compact decimal is a {@code long} inside Spark, and
 * Arrow's 128-bit little-endian value is that {@code long} sign-extended, so it is written as one.
 */
final class CompactDecimalWriter extends DecimalWriter {
  private final int precision;
  private final int scale;

  private CompactDecimalWriter(DecimalVector vector) {
    super(vector, vector.getPrecision(), vector.getScale());
    this.precision = vector.getPrecision();
    this.scale = vector.getScale();
  }

  /**
   * A writer for every vector of {@code root}, allocated like {@link ArrowWriter#create}'s, with
   * compact decimals written as longs.
   */
  static ArrowWriter create(VectorSchemaRoot root) {
    List<FieldVector> vectors = root.getFieldVectors();
    ArrowFieldWriter[] fields = new ArrowFieldWriter[vectors.size()];
    for (int i = 0; i < fields.length; i++) {
      FieldVector v = vectors.get(i);
      v.allocateNew();
      fields[i] =
          v instanceof DecimalVector d && d.getPrecision() <= Decimal.MAX_LONG_DIGITS()
              ? new CompactDecimalWriter(d)
              : ArrowWriter$.MODULE$.createFieldWriter(v);
    }
    return new ArrowWriter(root, fields);
  }

  @Override
  public void setValue(SpecializedGetters input, int ordinal) {
    Decimal decimal = input.getDecimal(ordinal, precision, scale);
    // As Spark's writer: a value that does not fit the column's precision is written as NULL.
    if (decimal.changePrecision(precision, scale)) {
      valueVector().setSafe(count(), decimal.toUnscaledLong());
    } else {
      setNull();
    }
  }
}
