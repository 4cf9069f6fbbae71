package dev.trueno.core.cost;

import java.util.Objects;

/**
 * What one operator instance will touch, in bytes: the input to price, what of it is already on the
 * device, and the result to copy back.
 *
 * <p>Only the columns the work reads count as input: a scan of a wide table feeding a sum of one
 * column moves one column, so pricing the whole batch would send too little work to the GPU.
 *
 * @param kind the kind of work, which selects the throughputs
 * @param inputBytes bytes of the columns the operator reads; {@code >= 0}
 * @param residentBytes bytes of that input already resident on the device (they cost no transfer);
 *     {@code >= 0}; a figure above {@code inputBytes} (e.g. a whole resident column of which only a
 *     slice is read) means nothing is moved
 * @param resultBytes bytes of the result copied back to the host; {@code >= 0}
 * @param pinnedInput whether the input lies in pinned host memory, which copies at the pinned
 *     host-to-device bandwidth instead of the pageable one
 */
public record OperatorEstimate(
    OperatorKind kind, long inputBytes, long residentBytes, long resultBytes, boolean pinnedInput) {

  /** Validates the estimate; a negative size is a caller bug, named by its field. */
  public OperatorEstimate {
    Objects.requireNonNull(kind, "kind");
    requireNonNegative("inputBytes", inputBytes);
    requireNonNegative("residentBytes", residentBytes);
    requireNonNegative("resultBytes", resultBytes);
  }

  /** An estimate with nothing resident on the device. */
  public static OperatorEstimate of(
      OperatorKind kind, long inputBytes, long resultBytes, boolean pinnedInput) {
    return new OperatorEstimate(kind, inputBytes, 0, resultBytes, pinnedInput);
  }

  /** The input bytes that must cross to the device: input less resident, floored at zero. */
  public long bytesToMove() {
    return Math.max(0, inputBytes - residentBytes);
  }

  private static void requireNonNegative(String field, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          "OperatorEstimate." + field + " must be >= 0 bytes, was " + value);
    }
  }
}
