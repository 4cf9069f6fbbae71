package dev.trueno.core.cost;

import java.util.Locale;

/** Where the cost model sends an operator. */
public enum BackendChoice {
  /** The CUDA backend. */
  GPU,
  /** The Vector API backend. */
  SIMD,
  /** The scalar reference backend. */
  SCALAR;

  /**
   * The short name used in explain output and metrics: {@code gpu}, {@code simd}, {@code scalar}.
   */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
