package dev.trueno.spark.scan.decode;

/**
 * STAND-IN (replaced by the real decoder's class of the same name): how the decoder sizes batches
 * and treats dates and timestamps.
 *
 * @param batchBytes the approximate bytes of one batch
 * @param maxRows the most rows of one batch
 * @param sessionZone the session's time zone
 * @param datetimeRebase the effective rebase mode of dates and timestamps in this file
 * @param int96Rebase the effective rebase mode of INT96 timestamps in this file
 */
public record DecodeOptions(
    long batchBytes,
    int maxRows,
    java.time.ZoneId sessionZone,
    RebaseMode datetimeRebase,
    RebaseMode int96Rebase) {}
