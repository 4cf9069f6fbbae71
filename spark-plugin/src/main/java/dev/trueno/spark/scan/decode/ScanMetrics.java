package dev.trueno.spark.scan.decode;

/**
 * What one {@link ParquetBatchReader} has done so far.
 *
 * @param rowGroupsRead row groups whose pages were read
 * @param rowsRead rows returned in batches
 * @param bytesRead compressed bytes of the requested column chunks read from the file
 * @param decodeNanos time spent in {@link ParquetBatchReader#next()}: page reads, decompression and
 *     decoding
 */
public record ScanMetrics(long rowGroupsRead, long rowsRead, long bytesRead, long decodeNanos) {}
