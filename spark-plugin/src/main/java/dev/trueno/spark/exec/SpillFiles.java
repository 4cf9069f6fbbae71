package dev.trueno.spark.exec;

import dev.trueno.spark.scan.DecimalColumnVectors;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.execution.arrow.ArrowWriter;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.hash.Murmur3_x86_32;
import scala.collection.immutable.Seq;

/**
 * The files of a join whose build side does not fit its budget: both sides are split by a hash of
 * their join keys into parts (Arrow IPC streams in a folder under Spark's local directory), so that
 * rows that can match land in the same part and the parts can be joined one at a time.
 */
final class SpillFiles {
  /** Parts per partitioning; a part that is still too large is split again. */
  static final int PARTS = 16;

  private SpillFiles() {}

  /** A fresh folder for one task's parts under Spark's local directory (or java.io.tmpdir). */
  static Path createFolder(long taskAttemptId) {
    try {
      SparkEnv env = SparkEnv.get();
      Path root =
          env == null
              ? Path.of(System.getProperty("java.io.tmpdir"))
              : Path.of(org.apache.spark.util.Utils.getLocalDir(env.conf()));
      return Files.createTempDirectory(root, "trueno-join-" + taskAttemptId + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a folder for a Trueno join's spill files", e);
    }
  }

  /** Deletes a folder and everything in it; quietly, since it runs while a task ends. */
  static void deleteFolder(Path folder) {
    if (folder == null || !Files.exists(folder)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(folder)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort: Spark deletes its local directories when the executor stops.
    }
  }

  /** Splits batches of one side by a hash of its join keys into {@link #PARTS} files. */
  static final class Partitioner implements AutoCloseable {
    private final UnsafeProjection keys;
    private final int seed;
    private final Path[] files = new Path[PARTS];
    private final OutputStream[] outs = new OutputStream[PARTS];
    private final VectorSchemaRoot[] roots = new VectorSchemaRoot[PARTS];
    private final ArrowWriter[] writers = new ArrowWriter[PARTS];
    private final ArrowStreamWriter[] streams = new ArrowStreamWriter[PARTS];
    private final int[] rows = new int[PARTS];
    private final int flushRows;

    /**
     * @param folder where the files go
     * @param name the files' name prefix (unique within the folder)
     * @param schema the side's Arrow schema
     * @param keyExpressions Spark's key expressions over {@code input}
     * @param input the side's attributes
     * @param seed the hash seed; each level of partitioning uses another one
     * @param flushRows rows per part buffered before they are written
     */
    Partitioner(
        Path folder,
        String name,
        Schema schema,
        Seq<Expression> keyExpressions,
        Seq<Attribute> input,
        int seed,
        int flushRows,
        BufferAllocator allocator) {
      this.keys = UnsafeProjection.create(keyExpressions, input);
      this.seed = seed;
      this.flushRows = flushRows;
      try {
        for (int i = 0; i < PARTS; i++) {
          files[i] = folder.resolve(name + "-" + i + ".arrow");
          outs[i] = Files.newOutputStream(files[i]);
          roots[i] = VectorSchemaRoot.create(schema, allocator);
          writers[i] = CompactDecimalWriter.create(roots[i]);
          streams[i] = new ArrowStreamWriter(roots[i], null, outs[i]);
          streams[i].start();
        }
      } catch (IOException e) {
        close();
        throw new UncheckedIOException("Cannot create a Trueno join spill file in " + folder, e);
      }
    }

    /** Writes the rows of {@code batch} to their parts. */
    void add(VectorSchemaRoot batch) {
      ColumnVector[] columns = new ColumnVector[batch.getFieldVectors().size()];
      int c = 0;
      for (FieldVector v : batch.getFieldVectors()) {
        columns[c++] = DecimalColumnVectors.of(v);
      }
      Iterator<InternalRow> it = new ColumnarBatch(columns, batch.getRowCount()).rowIterator();
      while (it.hasNext()) {
        InternalRow row = it.next();
        UnsafeRow key = keys.apply(row);
        int hash =
            Murmur3_x86_32.hashUnsafeBytes(
                key.getBaseObject(), key.getBaseOffset(), key.getSizeInBytes(), seed);
        int part = Math.floorMod(hash, PARTS);
        writers[part].write(row);
        if (++rows[part] == flushRows) {
          flush(part);
        }
      }
    }

    private void flush(int part) {
      if (rows[part] == 0) {
        return;
      }
      writers[part].finish();
      try {
        streams[part].writeBatch();
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write Trueno join spill file " + files[part], e);
      }
      writers[part].reset();
      rows[part] = 0;
    }

    /** Writes what is buffered and closes the files; returns them, part by part. */
    Path[] finish() {
      try {
        for (int i = 0; i < PARTS; i++) {
          flush(i);
          streams[i].end();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write a Trueno join spill file", e);
      }
      close();
      return files.clone();
    }

    @Override
    public void close() {
      for (int i = 0; i < PARTS; i++) {
        try {
          if (streams[i] != null) {
            streams[i].close();
          } else if (outs[i] != null) {
            outs[i].close();
          }
        } catch (IOException | RuntimeException e) {
          // The folder is deleted with everything in it when the task ends.
        }
        if (roots[i] != null) {
          roots[i].close();
        }
        streams[i] = null;
        outs[i] = null;
        roots[i] = null;
      }
    }
  }

  /** The batches of one part file, read back one at a time into one reused root. */
  static final class Reader implements AutoCloseable {
    private final Path file;
    private final InputStream in;
    private final ArrowStreamReader reader;

    Reader(Path file, BufferAllocator allocator) {
      this.file = file;
      try {
        this.in = Files.newInputStream(file);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read Trueno join spill file " + file, e);
      }
      this.reader = new ArrowStreamReader(in, allocator);
    }

    /** The next batch with rows (valid until the next call), or null at the end. */
    VectorSchemaRoot next() {
      try {
        while (reader.loadNextBatch()) {
          VectorSchemaRoot root = reader.getVectorSchemaRoot();
          if (root.getRowCount() > 0) {
            return root;
          }
        }
        return null;
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read Trueno join spill file " + file, e);
      }
    }

    @Override
    public void close() {
      try {
        reader.close();
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot close Trueno join spill file " + file, e);
      }
    }
  }
}
