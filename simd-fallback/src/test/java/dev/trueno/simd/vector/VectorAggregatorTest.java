package dev.trueno.simd.vector;

import dev.trueno.core.backend.Backend;
import dev.trueno.simd.AggregatorContractTest;

/** The aggregator contract run against the vectorized backend. */
class VectorAggregatorTest extends AggregatorContractTest {
  @Override
  protected Backend backend() {
    return new VectorBackend();
  }
}
