package dev.trueno.spark.scan.decode;

/**
 * STAND-IN (replaced by the real decoder's type): what one reader has read so far.
 *
 * @param rowGroupsRead row groups decoded
 * @param rowsRead rows decoded
 * @param bytesRead compressed bytes of the column chunks read
 * @param decodeNanos time spent decoding
 */
public record ScanMetrics(long rowGroupsRead, long rowsRead, long bytesRead, long decodeNanos) {}
