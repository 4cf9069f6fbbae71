package dev.trueno.core.backend;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Probes a finished {@link JoinBuild} with the probe side's batches and hands out the joined rows
 * in batches of bounded size, even when one key matches millions of build rows.
 *
 * <p>Protocol: for each probe batch, call {@link #probe} and then {@link #next} until it returns
 * null; after the last probe batch, call {@link #finish} until it returns null, for the rows the
 * build side contributes alone (unmatched build rows of an outer join that preserves the build
 * side, and the output of a semi, anti or existence join whose left side is the build side). The
 * caller keeps each probe batch open and unchanged until {@link #next} returns null; the probe may
 * take over its buffers, like an {@link Aggregator}. Output batches have the plan's {@linkplain
 * dev.trueno.core.plan.JoinPlan#output output} schema, are allocated from the probe's allocator and
 * are owned by the caller, who closes each one. A probe is for one thread.
 */
public interface JoinProbe extends AutoCloseable {

  /** Starts on one probe batch; the previous one must have been drained by {@link #next}. */
  void probe(VectorSchemaRoot batch);

  /**
   * The next output batch of at most {@code maxRows} rows for the current probe batch, or null when
   * the current probe batch is done.
   */
  VectorSchemaRoot next(int maxRows);

  /**
   * After the last probe batch: the next batch of at most {@code maxRows} rows that come from the
   * build side alone, or null when there are none left.
   */
  VectorSchemaRoot finish(int maxRows);

  /** Probe rows taken so far. */
  long probeRows();

  @Override
  void close();
}
