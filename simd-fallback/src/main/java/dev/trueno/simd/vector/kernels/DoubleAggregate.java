package dev.trueno.simd.vector.kernels;

/**
 * The result of a floating-point reduction over the valid, selected rows of one batch.
 *
 * @param value the sum (including the initial value), minimum or maximum; meaningless when {@code
 *     count} is 0
 * @param count how many rows were valid and selected
 */
public record DoubleAggregate(double value, long count) {}
