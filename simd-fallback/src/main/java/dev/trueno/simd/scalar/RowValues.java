package dev.trueno.simd.scalar;

/** The column values of one row, as the evaluator's physical values. */
@FunctionalInterface
interface RowValues {
  /** The value of column {@code ordinal}, or null for SQL NULL. */
  Object value(int ordinal);
}
