package dev.trueno.simd.scalar;

import dev.trueno.core.backend.Backend;
import dev.trueno.simd.AggregatorContractTest;

/** The aggregator contract run against the scalar reference backend. */
class ScalarAggregatorTest extends AggregatorContractTest {
  @Override
  protected Backend backend() {
    return new ScalarBackend();
  }
}
