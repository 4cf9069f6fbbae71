package dev.trueno.simd.vector.kernels;

/**
 * The result of an integral reduction over the valid, selected rows of one batch.
 *
 * @param value the sum (wrapped to 64 bits, including the initial value), minimum or maximum;
 *     meaningless when {@code count} is 0
 * @param count how many rows were valid and selected
 * @param overflowed for sums with overflow detection: whether adding the rows one by one in row
 *     order, starting from the initial value, left the long range at some step (Spark's ANSI mode
 *     raises "long overflow" then); always false otherwise
 */
public record LongAggregate(long value, long count, boolean overflowed) {}
