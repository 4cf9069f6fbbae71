package dev.trueno.spark.scan.decode;

/**
 * How dates and timestamps written in the legacy hybrid (Julian + Gregorian) calendar are read; the
 * values of Spark's {@code spark.sql.parquet.datetimeRebaseModeInRead} and {@code
 * spark.sql.parquet.int96RebaseModeInRead}. The mode applies only to files that do not say
 * themselves which calendar their writer used (files without Spark's version metadata), as in
 * Spark.
 */
public enum RebaseMode {
  /** Fail on a value before the calendar switch, whose meaning depends on the writer. */
  EXCEPTION,
  /** Read values as proleptic Gregorian, as stored. */
  CORRECTED,
  /** Rebase values from the hybrid Julian calendar to the proleptic Gregorian one. */
  LEGACY
}
