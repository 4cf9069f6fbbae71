package dev.trueno.core.plan;

/**
 * The join types Trueno's hash join runs, as Spark's {@code JoinType}: which side's rows survive
 * without a match, and which columns come out.
 *
 * <p>"Left" and "right" are Spark's (the join's children in order), independent of which side the
 * hash table is built on.
 */
public enum JoinType {
  /** Matching pairs only; output left ++ right. */
  INNER(false, false, true),
  /** Every left row, NULL-extended without a match; output left ++ right. */
  LEFT_OUTER(true, false, true),
  /** Every right row, NULL-extended without a match; output left ++ right. */
  RIGHT_OUTER(false, true, true),
  /** Every row of both sides, NULL-extended without a match; output left ++ right. */
  FULL_OUTER(true, true, true),
  /** Left rows with at least one match, each once; output left. */
  LEFT_SEMI(false, false, false),
  /** Left rows without a match; output left. */
  LEFT_ANTI(false, false, false),
  /**
   * Every left row once, with a boolean saying whether it has a match (Spark's {@code
   * ExistenceJoin}, planned for {@code EXISTS} and {@code IN} subqueries under {@code OR}); output
   * left ++ exists.
   */
  EXISTENCE(false, false, false);

  private final boolean keepsUnmatchedLeft;
  private final boolean keepsUnmatchedRight;
  private final boolean outputsRight;

  JoinType(boolean keepsUnmatchedLeft, boolean keepsUnmatchedRight, boolean outputsRight) {
    this.keepsUnmatchedLeft = keepsUnmatchedLeft;
    this.keepsUnmatchedRight = keepsUnmatchedRight;
    this.outputsRight = outputsRight;
  }

  /** Whether a left row without a match is output, NULL-extended (left and full outer joins). */
  public boolean keepsUnmatchedLeft() {
    return keepsUnmatchedLeft;
  }

  /** Whether a right row without a match is output, NULL-extended (right and full outer joins). */
  public boolean keepsUnmatchedRight() {
    return keepsUnmatchedRight;
  }

  /** Whether the right side's columns are part of the output (inner and outer joins). */
  public boolean outputsRight() {
    return outputsRight;
  }
}
