package dev.trueno.simd.vector;

import dev.trueno.core.backend.Backend;
import dev.trueno.simd.JoinContractTest;

/** The join contract run against the vectorized backend. */
class VectorJoinTest extends JoinContractTest {
  @Override
  protected Backend backend() {
    return new VectorBackend();
  }
}
