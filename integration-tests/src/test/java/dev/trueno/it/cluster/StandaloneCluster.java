package dev.trueno.it.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on this machine: one master and N workers, each its own JVM, bound to
 * 127.0.0.1, started from the jars of the test classpath.
 *
 * <p>The daemons run from a SPARK_HOME assembled under the run directory: its {@code jars/} links
 * every jar of the test classpath except Trueno's own modules (and no class directories). Workers
 * start executors with {@code $SPARK_HOME/jars/*} as their classpath (Spark's launcher library,
 * {@code AbstractCommandBuilder.buildClassPath}), so an executor can only see Trueno through the
 * jars the application ships, exactly as on a real cluster.
 *
 * <p>Daemon output goes to {@code <runDir>/logs}, executor output to the workers' work directories
 * ({@code worker-N/app-.../<executorId>/stderr}); both stay after the run for diagnosis.
 */
final class StandaloneCluster implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final Duration SHUTDOWN = Duration.ofSeconds(20);
  private static final String HOST = "127.0.0.1";
  private static final String PID_FILE = "daemons.pid";
  private static final String OWNER_FILE = "owner.pid";

  private final Path runDir;
  private final Path sparkHome;
  private final String jvmFlags;
  private final List<Daemon> daemons = new ArrayList<>();
  private final List<Path> workDirs = new ArrayList<>();
  private final Thread killOnExit = new Thread(this::killAll, "kill-spark-standalone-cluster");
  private String masterUrl;

  private StandaloneCluster(Path runDir, String jvmFlags) {
    this.runDir = runDir;
    this.sparkHome = runDir.resolve("spark-home");
    this.jvmFlags = jvmFlags;
  }

  /**
   * Assembles SPARK_HOME and starts a master and {@code workers} workers of one core and 1 GiB
   * each; returns once every worker has registered with the master.
   *
   * @param runRoot holds one directory per run ({@code run-<pid of this JVM>}: SPARK_HOME, logs,
   *     the workers' work directories); those of earlier runs whose JVM is gone are removed
   * @param classpath the entries to build SPARK_HOME's jars from (Trueno's own are skipped)
   * @param jvmFlags the flags Spark 4 needs on Java 17 (--add-opens and friends)
   */
  static StandaloneCluster start(Path runRoot, List<Path> classpath, String jvmFlags, int workers)
      throws IOException, InterruptedException {
    removeDeadRuns(runRoot);
    // One directory per test JVM: builds sharing a checkout may run this test at the same time.
    Path runDir = runRoot.resolve("run-" + ProcessHandle.current().pid());
    deleteRecursively(runDir);
    Files.createDirectories(runDir);
    Files.writeString(runDir.resolve(OWNER_FILE), ProcessHandle.current().pid() + "\n");
    StandaloneCluster cluster = new StandaloneCluster(runDir, jvmFlags);
    Runtime.getRuntime().addShutdownHook(cluster.killOnExit);
    try {
      cluster.assembleSparkHome(classpath);
      cluster.startMaster();
      for (int i = 1; i <= workers; i++) {
        cluster.startWorker(i);
      }
      for (Daemon d : cluster.daemons) {
        if (d.name.startsWith("worker")) {
          d.awaitLog("Successfully registered with master");
        }
      }
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      e.addSuppressed(new Exception("cluster logs:\n" + cluster.diagnostics()));
      cluster.close();
      throw e;
    }
  }

  /** {@code spark://127.0.0.1:<port>}. */
  String masterUrl() {
    return masterUrl;
  }

  /** The workers' work directories, where executors keep their logs and fetched jars. */
  List<Path> workDirs() {
    return List.copyOf(workDirs);
  }

  /** The run directory (SPARK_HOME, logs, work directories). */
  Path runDir() {
    return runDir;
  }

  /** The stderr files of all executors started so far. */
  List<Path> executorLogs() {
    List<Path> logs = new ArrayList<>();
    for (Path work : workDirs) {
      try (Stream<Path> files = Files.walk(work, 3)) {
        files
            .filter(f -> f.getFileName().toString().equals("stderr"))
            .filter(f -> f.getParent().getParent().getFileName().toString().startsWith("app-"))
            .sorted()
            .forEach(logs::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return logs;
  }

  /** The last lines of every daemon and executor log, for failure messages. */
  String diagnostics() {
    StringBuilder out = new StringBuilder();
    for (Daemon d : daemons) {
      out.append(tail(d.log, 40));
    }
    try {
      for (Path log : executorLogs()) {
        out.append(tail(log, 40));
      }
    } catch (UncheckedIOException e) {
      out.append("(cannot list executor logs: ").append(e.getMessage()).append(")\n");
    }
    return out.toString();
  }

  /**
   * Stops workers first (their shutdown hooks kill the executors they started), then the master;
   * whatever does not exit in time, executors included, is killed.
   */
  @Override
  public void close() {
    List<Daemon> reversed = new ArrayList<>(daemons);
    java.util.Collections.reverse(reversed);
    for (Daemon d : reversed) {
      d.stop();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or about to; it kills what is left.
    }
  }

  private void killAll() {
    for (Daemon d : daemons) {
      d.process.descendants().forEach(ProcessHandle::destroyForcibly);
      d.process.destroyForcibly();
    }
  }

  private void assembleSparkHome(List<Path> classpath) throws IOException {
    Path jars = Files.createDirectories(sparkHome.resolve("jars"));
    Files.createDirectories(sparkHome.resolve("conf"));
    for (Path entry : classpath) {
      String name = entry.getFileName().toString();
      // Trueno reaches executors only through spark.jars; class directories are our own builds.
      if (!Files.isRegularFile(entry) || !name.endsWith(".jar") || name.startsWith("trueno-")) {
        continue;
      }
      try (JarFile jar = new JarFile(entry.toFile())) {
        if (jar.getEntry("dev/trueno/") != null
            || jar.stream().anyMatch(e -> e.getName().startsWith("dev/trueno/"))) {
          continue;
        }
      }
      Path link = jars.resolve(name);
      for (int i = 2; Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS); i++) {
        link = jars.resolve(i + "-" + name);
      }
      Files.createSymbolicLink(link, entry.toAbsolutePath());
    }
  }

  private void startMaster() throws IOException, InterruptedException {
    int port = freePort();
    Daemon master =
        launch(
            "master",
            List.of("-Dspark.master.rest.enabled=false"),
            "org.apache.spark.deploy.master.Master",
            List.of(
                "--host",
                HOST,
                "--port",
                Integer.toString(port),
                "--webui-port",
                Integer.toString(freePort())));
    master.awaitLog("I have been elected leader");
    masterUrl = "spark://" + HOST + ":" + port;
  }

  private void startWorker(int index) throws IOException {
    Path work = Files.createDirectories(runDir.resolve("worker-" + index));
    workDirs.add(work);
    launch(
        "worker-" + index,
        List.of(),
        "org.apache.spark.deploy.worker.Worker",
        List.of(
            "--host",
            HOST,
            "--webui-port",
            Integer.toString(freePort()),
            "--cores",
            "1",
            "--memory",
            "1g",
            "--work-dir",
            work.toString(),
            masterUrl));
  }

  private Daemon launch(String name, List<String> sysProps, String mainClass, List<String> args)
      throws IOException {
    Path logs = Files.createDirectories(runDir.resolve("logs"));
    Path log = logs.resolve(name + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Daemons are light; a small heap leaves the shared machine's memory to the executors.
    cmd.add("-Xmx256m");
    cmd.addAll(Arrays.asList(jvmFlags.trim().split("\\s+")));
    cmd.addAll(sysProps);
    cmd.add("-cp");
    cmd.add(sparkHome.resolve("jars") + File.separator + "*");
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(cmd)
            .directory(runDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    // Nothing from the caller's environment may point the daemons at another Spark or classpath.
    env.keySet()
        .removeIf(
            k ->
                k.startsWith("SPARK_") || k.equals("HADOOP_CONF_DIR") || k.equals("YARN_CONF_DIR"));
    env.put("SPARK_HOME", sparkHome.toString());
    // Read by the launcher library when it builds the executor command; a Spark distribution
    // sets it in load-spark-env.sh, without it the launcher looks for a source build.
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", HOST);
    env.put("SPARK_LOCAL_DIRS", Files.createDirectories(runDir.resolve("local")).toString());
    env.put("JAVA_HOME", System.getProperty("java.home"));
    Daemon daemon = new Daemon(name, builder.start().toHandle(), log);
    daemons.add(daemon);
    Files.writeString(
        runDir.resolve(PID_FILE),
        daemon.process.pid() + "\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    return daemon;
  }

  /**
   * Removes the directories of earlier runs whose test JVM is gone, first killing the daemons (and
   * the executors they started) such a run left behind when its JVM was killed before any shutdown
   * hook could run. Only processes recorded in that run's pid file whose command line still names
   * that run's SPARK_HOME are touched, so a recycled pid is left alone.
   */
  private static void removeDeadRuns(Path runRoot) throws IOException {
    if (!Files.isDirectory(runRoot)) {
      return;
    }
    List<Path> runs;
    try (Stream<Path> dirs = Files.list(runRoot)) {
      runs = dirs.filter(d -> d.getFileName().toString().startsWith("run-")).toList();
    }
    for (Path run : runs) {
      if (ownerAlive(run)) {
        continue;
      }
      Path pidFile = run.resolve(PID_FILE);
      if (Files.isRegularFile(pidFile)) {
        String home = run.resolve("spark-home").toString();
        for (String line : Files.readAllLines(pidFile, StandardCharsets.UTF_8)) {
          if (line.isBlank()) {
            continue;
          }
          ProcessHandle.of(Long.parseLong(line.trim()))
              .filter(p -> p.info().commandLine().map(c -> c.contains(home)).orElse(false))
              .ifPresent(
                  p -> {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                  });
        }
      }
      deleteRecursively(run);
    }
  }

  private static boolean ownerAlive(Path run) {
    try {
      long owner = Long.parseLong(Files.readString(run.resolve(OWNER_FILE)).trim());
      return owner != ProcessHandle.current().pid()
          && ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | NumberFormatException unreadable) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    }
  }

  private static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "==> "
          + log
          + " <==\n"
          + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()))
          + "\n";
    } catch (IOException e) {
      return "==> " + log + " <== (unreadable: " + e.getMessage() + ")\n";
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** One daemon JVM and the log its output goes to. */
  private record Daemon(String name, ProcessHandle process, Path log) {

    /** Waits until the log has a line containing {@code text}; fails fast if the JVM died. */
    void awaitLog(String text) throws InterruptedException {
      long deadline = System.nanoTime() + STARTUP.toNanos();
      while (System.nanoTime() < deadline) {
        if (logContains(text)) {
          return;
        }
        if (!process.isAlive()) {
          throw new IllegalStateException(
              name + " exited before logging '" + text + "'\n" + tail(log, 60));
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException(
          name
              + " did not log '"
              + text
              + "' within "
              + STARTUP.toSeconds()
              + " s\n"
              + tail(log, 60));
    }

    private boolean logContains(String text) {
      try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
        return lines.anyMatch(l -> l.contains(text));
      } catch (IOException | UncheckedIOException e) {
        return false; // not written yet, or a line cut in the middle of a character
      }
    }

    /**
     * Asks the JVM to exit (SIGTERM runs Spark's shutdown hooks), then kills it and every process
     * it started that is still alive. Descendants are listed first: once the daemon is gone, its
     * orphans are no longer its descendants.
     */
    void stop() {
      List<ProcessHandle> children = process.descendants().toList();
      process.destroy();
      try {
        process.onExit().get(SHUTDOWN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception notInTime) {
        process.destroyForcibly();
      }
      for (ProcessHandle child : children) {
        if (child.isAlive()) {
          child.destroyForcibly();
        }
      }
    }
  }
}
