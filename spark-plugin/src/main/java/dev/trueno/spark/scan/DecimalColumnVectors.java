package dev.trueno.spark.scan;

import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.vectorized.ArrowColumnVector;

/**
 * Spark column vectors over the scan's Arrow vectors that read decimals of up to 18 digits as a
 * {@code long}.
 *
 * <p>Spark's {@link ArrowColumnVector} builds a {@code BigDecimal} (and a {@code BigInteger} and a
 * byte array) for every decimal it hands out, which made reading TPC-H's money columns through
 * {@code ColumnarToRow} several times slower than from Spark's own Parquet reader. Spark's own
 * column vectors store such decimals as longs and return {@code Decimal.createUnsafe(long)}; this
 * does the same from the low 64 bits of Arrow's 128-bit little-endian value, which hold the whole
 * value when the precision is at most 18.
 */
public final class DecimalColumnVectors {
  private DecimalColumnVectors() {}

  /**
   * A Spark column vector over {@code vector}: Spark's own, but with fast compact decimals. Used
   * for the scan's batches and for the batches Trueno's operators hand to Spark.
   */
  public static ArrowColumnVector of(ValueVector vector) {
    if (vector instanceof DecimalVector d && d.getPrecision() <= Decimal.MAX_LONG_DIGITS()) {
      return new CompactDecimalVector(d);
    }
    return new ArrowColumnVector(vector);
  }

  private static final class CompactDecimalVector extends ArrowColumnVector {
    private final DecimalVector vector;

    CompactDecimalVector(DecimalVector vector) {
      super(vector);
      this.vector = vector;
    }

    @Override
    public Decimal getDecimal(int rowId, int precision, int scale) {
      if (isNullAt(rowId)) {
        return null;
      }
      if (precision > Decimal.MAX_LONG_DIGITS() || scale != vector.getScale()) {
        return super.getDecimal(rowId, precision, scale);
      }
      return Decimal.createUnsafe(
          vector.getDataBuffer().getLong((long) rowId * DecimalVector.TYPE_WIDTH),
          precision,
          scale);
    }
  }
}
