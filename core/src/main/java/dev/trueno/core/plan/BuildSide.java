package dev.trueno.core.plan;

/** The side of a hash join whose rows go into the hash table; the other side is probed. */
public enum BuildSide {
  LEFT,
  RIGHT
}
