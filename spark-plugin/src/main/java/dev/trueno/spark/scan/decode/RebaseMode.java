package dev.trueno.spark.scan.decode;

/** STAND-IN (replaced by the real decoder's enum): Spark's rebase modes for old dates. */
public enum RebaseMode {
  /** Fail on dates that the two calendars read differently. */
  EXCEPTION,
  /** Read as written (proleptic Gregorian). */
  CORRECTED,
  /** Rebase from the hybrid Julian calendar. */
  LEGACY
}
