package dev.trueno.simd.vector.join;

/**
 * One equi-join key column of the build side: its ordinal in the build batches and whether it
 * compares with SQL's null-safe {@code <=>} (NULL matches NULL) instead of {@code =} (NULL matches
 * nothing).
 *
 * @param ordinal the key column's index in each build batch
 * @param nullSafe true for {@code <=>}, false for {@code =}
 */
public record JoinKey(int ordinal, boolean nullSafe) {

  /** A key compared with {@code =}: a NULL in it never matches. */
  public static JoinKey of(int ordinal) {
    return new JoinKey(ordinal, false);
  }

  /** A key compared with {@code <=>}: NULL matches NULL. */
  public static JoinKey nullSafe(int ordinal) {
    return new JoinKey(ordinal, true);
  }
}
