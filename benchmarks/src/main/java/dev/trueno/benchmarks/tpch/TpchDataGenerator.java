package dev.trueno.benchmarks.tpch;

import io.trino.tpch.TpchEntity;
import io.trino.tpch.TpchTable;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;

/**
 * Writes the 8 TPC-H tables at a scale factor as Parquet, one folder per table.
 *
 * <p>Rows come from Trino's Java port of dbgen ({@code io.trino.tpch}), so the data is the standard
 * data for that scale factor. Large tables are split into parts of about {@value #ROWS_PER_PART}
 * rows, one Parquet file each, generated in parallel. Everything is written into a temporary
 * sibling folder, which is renamed to the target only after every table and the marker file {@value
 * #MARKER_FILE} (holding the scale factor) are written: a crash never leaves a half-written dataset
 * that looks complete.
 *
 * <p>Usage: {@code TpchDataGenerator --scale 0.1 --data /path/to/sf0.1}.
 */
public final class TpchDataGenerator {
  /** Name of the file, in the dataset folder, that marks a complete dataset and names its scale. */
  public static final String MARKER_FILE = "_TRUENO_TPCH_COMPLETE";

  private static final String SCALE_FACTOR_KEY = "scale_factor";
  private static final long ROWS_PER_PART = 1_000_000;
  private static final long ROW_GROUP_BYTES = 64L * 1024 * 1024;

  /** Rows per unit of scale factor, used only to decide how many parts a table is split into. */
  private static final Map<String, Long> ROWS_AT_SCALE_ONE =
      Map.of(
          "nation", 25L,
          "region", 5L,
          "part", 200_000L,
          "supplier", 10_000L,
          "partsupp", 800_000L,
          "customer", 150_000L,
          "orders", 1_500_000L,
          "lineitem", 6_000_000L);

  private final double scaleFactor;
  private final PrintStream progress;
  private final int threads;

  /**
   * Creates a generator.
   *
   * @param scaleFactor the TPC-H scale factor, e.g. 0.01, 0.1 or 1; must be positive
   * @param progress where a line per finished table (rows, seconds) is printed
   */
  public TpchDataGenerator(double scaleFactor, PrintStream progress) {
    if (!(scaleFactor > 0) || Double.isInfinite(scaleFactor)) {
      throw new IllegalArgumentException(
          "TPC-H scale factor must be a positive number, got " + scaleFactor);
    }
    this.scaleFactor = scaleFactor;
    this.progress = progress;
    this.threads = Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** The scale factor as people write it: {@code 0.01}, {@code 1}, {@code 10}. */
  public static String formatScaleFactor(double scaleFactor) {
    return BigDecimal.valueOf(scaleFactor).stripTrailingZeros().toPlainString();
  }

  /**
   * Tells whether {@code dataDir} holds a complete dataset of {@code scaleFactor}.
   *
   * @throws IllegalStateException if the folder holds a complete dataset of another scale factor
   */
  public static boolean isComplete(Path dataDir, double scaleFactor) {
    Path marker = dataDir.resolve(MARKER_FILE);
    if (!Files.isRegularFile(marker)) {
      return false;
    }
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(marker, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read TPC-H marker file " + marker, e);
    }
    String found = properties.getProperty(SCALE_FACTOR_KEY, "");
    double foundScale;
    try {
      foundScale = Double.parseDouble(found);
    } catch (NumberFormatException e) {
      throw new IllegalStateException(
          "TPC-H marker file "
              + marker
              + " has no valid "
              + SCALE_FACTOR_KEY
              + " (found '"
              + found
              + "'): delete the folder "
              + dataDir
              + " to regenerate it");
    }
    if (foundScale != scaleFactor) {
      throw new IllegalStateException(
          "TPC-H data in "
              + dataDir
              + " has scale factor "
              + formatScaleFactor(foundScale)
              + ", not "
              + formatScaleFactor(scaleFactor)
              + ": pass another data folder or delete this one");
    }
    return true;
  }

  /**
   * Generates the dataset into {@code dataDir} unless a complete one of this scale is there.
   *
   * @return true if data was generated, false if the existing dataset was reused
   */
  public boolean ensureGenerated(Path dataDir) throws IOException {
    if (isComplete(dataDir, scaleFactor)) {
      return false;
    }
    generate(dataDir);
    return true;
  }

  /**
   * Generates the dataset into {@code dataDir}, which must not exist or be an empty folder.
   *
   * @throws IOException if writing fails; the target folder is then left untouched
   */
  public void generate(Path dataDir) throws IOException {
    Path target = dataDir.toAbsolutePath().normalize();
    if (Files.exists(target) && !isEmptyDirectory(target)) {
      throw new IOException(
          "Cannot generate TPC-H data into "
              + target
              + ": it exists and is not an empty folder"
              + (Files.exists(target.resolve(MARKER_FILE))
                  ? ""
                  : " (no " + MARKER_FILE + " marker, so it may be a crashed run's output)")
              + "; delete it or choose another folder");
    }
    Files.createDirectories(target.getParent());
    Path staging =
        target.resolveSibling(
            target.getFileName()
                + ".tmp-"
                + ProcessHandle.current().pid()
                + "-"
                + System.nanoTime());
    long start = System.nanoTime();
    progress.printf(
        Locale.ROOT,
        "Generating TPC-H SF %s into %s (%d threads)%n",
        formatScaleFactor(scaleFactor),
        target,
        threads);
    boolean moved = false;
    try {
      Files.createDirectories(staging);
      writeTables(staging);
      writeMarker(staging);
      if (Files.exists(target)) {
        Files.delete(target); // an empty folder, checked above
      }
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(staging, target);
      }
      moved = true;
    } finally {
      if (!moved) {
        deleteRecursively(staging);
      }
    }
    progress.printf(
        Locale.ROOT,
        "Generated TPC-H SF %s in %.1f s%n",
        formatScaleFactor(scaleFactor),
        seconds(System.nanoTime() - start));
  }

  private void writeTables(Path staging) throws IOException {
    List<PartTask> tasks = new ArrayList<>();
    Map<String, TableProgress> tableProgress = new ConcurrentHashMap<>();
    for (TpchTable<?> table : TpchTable.getTables()) {
      Path tableDir = staging.resolve(table.getTableName());
      Files.createDirectories(tableDir);
      int parts = partCount(table.getTableName());
      tableProgress.put(table.getTableName(), new TableProgress(parts));
      for (int part = 1; part <= parts; part++) {
        tasks.add(new PartTask(table, part, parts, tableDir));
      }
    }
    // Largest tables first, so the small ones fill the gaps at the end.
    tasks.sort(
        Comparator.comparingLong((PartTask task) -> ROWS_AT_SCALE_ONE.get(task.tableName()))
            .reversed());

    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (PartTask task : tasks) {
        futures.add(
            pool.submit(
                () -> {
                  TableProgress table = tableProgress.get(task.tableName());
                  table.started();
                  long rows = writePart(task);
                  table.finished(rows, task.tableName(), progress);
                  return null;
                }));
      }
      for (Future<?> future : futures) {
        future.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while generating TPC-H data", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("TPC-H generation failed: " + cause, cause);
    } finally {
      pool.shutdownNow();
    }
  }

  private int partCount(String tableName) {
    long expectedRows = (long) Math.ceil(ROWS_AT_SCALE_ONE.get(tableName) * scaleFactor);
    if (tableName.equals("nation") || tableName.equals("region")) {
      return 1; // fixed-size tables ignore the scale factor and must not be split
    }
    return (int) Math.max(1, (expectedRows + ROWS_PER_PART - 1) / ROWS_PER_PART);
  }

  private <E extends TpchEntity> long writePart(PartTask task) throws IOException {
    @SuppressWarnings("unchecked")
    TpchTable<E> table = (TpchTable<E>) task.table();
    Path file =
        task.tableDir().resolve(String.format(Locale.ROOT, "part-%05d.parquet", task.part()));
    long rows = 0;
    try (ParquetWriter<E> writer =
        new TpchWriteSupport.Builder<>(new LocalOutputFile(file), table)
            .withConf(new PlainParquetConfiguration())
            .withWriteMode(ParquetFileWriter.Mode.CREATE)
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .withRowGroupSize(ROW_GROUP_BYTES)
            .build()) {
      for (E entity : table.createGenerator(scaleFactor, task.part(), task.partCount())) {
        writer.write(entity);
        rows++;
      }
    } catch (IOException | RuntimeException e) {
      throw new IOException("Cannot write TPC-H Parquet file " + file + ": " + e.getMessage(), e);
    }
    return rows;
  }

  private void writeMarker(Path staging) throws IOException {
    Properties properties = new Properties();
    properties.setProperty(SCALE_FACTOR_KEY, formatScaleFactor(scaleFactor));
    properties.setProperty("generator", "io.trino.tpch:tpch:1.2");
    properties.setProperty("format", "parquet, snappy; money as DECIMAL(15,2), dates as DATE");
    try (Writer writer = Files.newBufferedWriter(staging.resolve(MARKER_FILE))) {
      properties.store(writer, "Complete TPC-H dataset written by Trueno's TpchDataGenerator");
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      return !entries.iterator().hasNext();
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  /**
   * Command line entry point: {@code --scale SF --data DIR}.
   *
   * @param args the options
   */
  public static void main(String[] args) throws IOException {
    double scale = 0.1;
    Path data = null;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("Option " + option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--scale" -> scale = TpchRunner.parseScale(value);
        case "--data" -> data = Path.of(value);
        default ->
            throw new IllegalArgumentException(
                "Unknown option " + option + "; expected --scale SF --data DIR");
      }
    }
    if (data == null) {
      data = TpchRunner.defaultDataDir(scale);
    }
    TpchDataGenerator generator = new TpchDataGenerator(scale, System.out);
    if (!generator.ensureGenerated(data)) {
      System.out.println("TPC-H data already complete in " + data);
    }
  }

  private record PartTask(TpchTable<?> table, int part, int partCount, Path tableDir) {
    String tableName() {
      return table.getTableName();
    }
  }

  /** Rows and time of one table whose parts run on several threads. */
  private static final class TableProgress {
    private final AtomicInteger partsLeft;
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong startNanos = new AtomicLong(Long.MAX_VALUE);

    TableProgress(int parts) {
      this.partsLeft = new AtomicInteger(parts);
    }

    void started() {
      startNanos.accumulateAndGet(System.nanoTime(), Math::min);
    }

    void finished(long partRows, String tableName, PrintStream out) {
      long total = rows.addAndGet(partRows);
      if (partsLeft.decrementAndGet() == 0) {
        synchronized (out) {
          out.printf(
              Locale.ROOT,
              "  %-9s %,12d rows  %6.1f s%n",
              tableName,
              total,
              seconds(System.nanoTime() - startNanos.get()));
        }
      }
    }
  }
}
