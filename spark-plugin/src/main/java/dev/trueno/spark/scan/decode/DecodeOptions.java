package dev.trueno.spark.scan.decode;

import java.time.ZoneId;
import java.util.Objects;

/**
 * Options of one read; built by the DataSourceV2 from Spark's conf.
 *
 * @param batchBytes target Arrow bytes per batch ({@code spark.trueno.scan.batchBytes}): fixed
 *     widths are counted exactly, strings and binaries by their running average size
 * @param maxRows row cap per batch
 * @param sessionZone the session time zone; Spark uses it only for the optional INT96 conversion of
 *     files written by other engines ({@code spark.sql.parquet.int96TimestampConversion}), which
 *     this reader does not do: legacy rebasing uses the writer's zone from the file's metadata,
 *     else the JVM default zone, as Spark does
 * @param datetimeRebase {@code spark.sql.parquet.datetimeRebaseModeInRead}
 * @param int96Rebase {@code spark.sql.parquet.int96RebaseModeInRead}
 */
public record DecodeOptions(
    long batchBytes,
    int maxRows,
    ZoneId sessionZone,
    RebaseMode datetimeRebase,
    RebaseMode int96Rebase) {

  /** Checks the values, so a bad conf fails when the scan is planned rather than mid-read. */
  public DecodeOptions {
    if (batchBytes <= 0) {
      throw new IllegalArgumentException("batchBytes must be positive, got " + batchBytes);
    }
    if (maxRows <= 0) {
      throw new IllegalArgumentException("maxRows must be positive, got " + maxRows);
    }
    Objects.requireNonNull(sessionZone, "sessionZone");
    Objects.requireNonNull(datetimeRebase, "datetimeRebase");
    Objects.requireNonNull(int96Rebase, "int96Rebase");
  }

  /** Spark's defaults: 32 MiB batches of at most 1M rows, UTC, rebase modes EXCEPTION. */
  public static DecodeOptions defaults() {
    return new DecodeOptions(
        32L << 20, 1 << 20, ZoneId.of("UTC"), RebaseMode.EXCEPTION, RebaseMode.EXCEPTION);
  }
}
