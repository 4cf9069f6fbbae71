package dev.trueno.it.cluster;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;

/**
 * Runs inside an executor and reports where that executor loads Trueno from: one line per
 * partition, {@code <pid>\t<code source of TruenoHashAggregateExec>\t<visible to the system class
 * loader>}.
 *
 * <p>It reaches executors in a jar of its own (built by the test), so it must not link against
 * Trueno: it names the class as a string and resolves it through the task's context class loader,
 * the loader Spark adds {@code spark.jars} to.
 */
final class ExecutorProbe implements MapPartitionsFunction<Long, String> {
  static final String PROBED_CLASS = "dev.trueno.spark.exec.TruenoHashAggregateExec";
  private static final long serialVersionUID = 1L;

  @Override
  public Iterator<String> call(Iterator<Long> input) throws Exception {
    ClassLoader taskLoader = Thread.currentThread().getContextClassLoader();
    Class<?> probed = Class.forName(PROBED_CLASS, false, taskLoader);
    String location = probed.getProtectionDomain().getCodeSource().getLocation().toString();
    boolean onSystemClasspath;
    try {
      Class.forName(PROBED_CLASS, false, ClassLoader.getSystemClassLoader());
      onSystemClasspath = true;
    } catch (ClassNotFoundException expected) {
      onSystemClasspath = false;
    }
    // Holding the core a little lets the scheduler hand the other partitions to other executors.
    Thread.sleep(300);
    return List.of(ProcessHandle.current().pid() + "\t" + location + "\t" + onSystemClasspath)
        .iterator();
  }
}
