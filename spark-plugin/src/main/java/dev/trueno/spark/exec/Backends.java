package dev.trueno.spark.exec;

import dev.trueno.core.backend.Backend;
import dev.trueno.simd.scalar.ScalarBackend;
import dev.trueno.spark.config.TruenoConf;

/** Picks the backend for an operator from {@code spark.trueno.backend}. */
public final class Backends {
  private Backends() {}

  /** A backend that can be named in a serialized task and created on the executor. */
  public enum Choice {
    SCALAR("scalar");

    private final String label;

    Choice(String label) {
      this.label = label;
    }

    /** The name shown in explain output. */
    public String label() {
      return label;
    }
  }

  /** The backend the configuration asks for. */
  public static Choice choose(TruenoConf.BackendChoice configured) {
    return switch (configured) {
      case AUTO, SCALAR -> Choice.SCALAR;
    };
  }

  /** A backend instance (backends are stateless factories). */
  public static Backend create(Choice choice) {
    return switch (choice) {
      case SCALAR -> new ScalarBackend();
    };
  }
}
