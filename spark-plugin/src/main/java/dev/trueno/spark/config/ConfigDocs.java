package dev.trueno.spark.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes {@code docs/configuration.md} from {@link TruenoConf#ENTRIES}. */
public final class ConfigDocs {
  private ConfigDocs() {}

  /**
   * Writes the page to the path given as the only argument, or prints it when there is none.
   *
   * @param args an optional output path
   */
  public static void main(String[] args) throws IOException {
    String page = TruenoConf.markdown();
    if (args.length == 0) {
      System.out.print(page);
    } else {
      Files.writeString(Path.of(args[0]), page, StandardCharsets.UTF_8);
    }
  }
}
