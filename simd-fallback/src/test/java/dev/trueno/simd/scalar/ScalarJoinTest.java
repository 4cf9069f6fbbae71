package dev.trueno.simd.scalar;

import dev.trueno.core.backend.Backend;
import dev.trueno.simd.JoinContractTest;

/** The join contract run against the scalar reference backend. */
class ScalarJoinTest extends JoinContractTest {
  @Override
  protected Backend backend() {
    return new ScalarBackend();
  }
}
