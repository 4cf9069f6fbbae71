package dev.trueno.core.backend;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The build side of a hash join: takes the build input's batches, then, once {@linkplain #finish
 * finished}, is probed by one or more {@link JoinProbe}s of the same backend.
 *
 * <p>Batches have the plan's {@linkplain dev.trueno.core.plan.JoinPlan#buildFields build columns}.
 * The build takes over the buffers of every batch it is given (Arrow's transfer, without copying),
 * so the caller must not read the batch's vectors afterwards except to refill them (which allocates
 * fresh buffers); closing the batch, as try-with-resources does, is fine and frees nothing the
 * build holds. Memory is bounded: {@link #add} fails with {@link
 * dev.trueno.core.error.ErrorCode#MEMORY_EXHAUSTED} before the build holds more than the budget it
 * was created with; the build is then unusable (any other failure of {@link #add}, such as an ANSI
 * error in a key expression, leaves it unusable too) and the caller closes it, which frees whatever
 * it took over, and partitions the work.
 *
 * <p>A finished build is read-only and may be probed from several threads at once, unless its plan
 * {@linkplain dev.trueno.core.plan.JoinPlan#tracksBuildMatches tracks build matches}: then exactly
 * one probe may use it. Closing the build frees everything it holds; the caller closes every probe
 * of a build before the build.
 */
public interface JoinBuild extends AutoCloseable {

  /** Adds the rows of one build batch; all batches are added before {@link #finish}. */
  void add(VectorSchemaRoot batch);

  /** Ends the build: no more batches; probes may be created from here on. */
  void finish();

  /** Build rows added so far, rows with NULL keys included. */
  long rowCount();

  /** Bytes held: the retained build columns and the hash table. */
  long sizeBytes();

  @Override
  void close();
}
