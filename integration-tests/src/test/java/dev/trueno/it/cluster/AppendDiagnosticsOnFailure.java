package dev.trueno.it.cluster;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Attaches the tails of the cluster's logs to any failure, so that a red build says why the daemons
 * or executors misbehaved without anyone having to find the files.
 */
final class AppendDiagnosticsOnFailure
    implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
  private final Supplier<String> diagnostics;

  AppendDiagnosticsOnFailure(Supplier<String> diagnostics) {
    this.diagnostics = diagnostics;
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    throw withDiagnostics(failure);
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    throw withDiagnostics(failure);
  }

  private Throwable withDiagnostics(Throwable failure) {
    String text;
    try {
      text = diagnostics.get();
    } catch (RuntimeException e) {
      text = "(cannot collect cluster logs: " + e + ")";
    }
    failure.addSuppressed(new ClusterLogs(text));
    return failure;
  }

  /** Carries the log tails; its stack trace is noise. */
  private static final class ClusterLogs extends Exception {
    private static final long serialVersionUID = 1L;

    ClusterLogs(String logs) {
      super("cluster logs (tails):\n" + logs, null, false, false);
    }
  }
}
