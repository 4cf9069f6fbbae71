package dev.trueno.core.cost;

/**
 * The CPU backend that runs an operator when the GPU does not: the cost model prices the CPU side
 * with that backend's throughput, since SIMD and scalar differ severalfold.
 */
public enum CpuBackend {
  /** The Vector API backend. */
  SIMD,
  /** The scalar reference backend. */
  SCALAR;

  /** The backend choice that runs on this CPU backend. */
  public BackendChoice choice() {
    return this == SIMD ? BackendChoice.SIMD : BackendChoice.SCALAR;
  }
}
