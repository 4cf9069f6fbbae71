package dev.trueno.spark;

import java.util.List;

/** Scala-to-Java collection views used by the entry points. */
final class CollectionConvertersBridge {
  private CollectionConvertersBridge() {}

  static List<String> keys(scala.Tuple2<String, String>[] entries) {
    List<String> keys = new java.util.ArrayList<>(entries.length);
    for (scala.Tuple2<String, String> e : entries) {
      keys.add(e._1());
    }
    return keys;
  }
}
