package dev.trueno.spark.scan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.errors.QueryCompilationErrors;
import org.apache.spark.sql.execution.datasources.DataSource$;
import org.apache.spark.sql.execution.datasources.FileStatusCache$;
import org.apache.spark.sql.execution.datasources.InMemoryFileIndex;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import scala.Option;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The files behind a {@code format("trueno")} table and their schema, found the way Spark finds
 * them for its own Parquet source: paths and globs through {@code DataSource}, files and Hive-style
 * partition folders (with Spark's partition type inference) through {@link InMemoryFileIndex}, and
 * the data schema from the footers through {@link ParquetFileFormat} (the first file's schema, or
 * all files merged with {@code mergeSchema}).
 *
 * @param index the files with their partition values
 * @param dataSchema the columns stored in the files (partition columns removed)
 * @param partitionSchema the partition columns, from the folder names
 * @param options the read options
 */
record FileSet(
    InMemoryFileIndex index,
    StructType dataSchema,
    StructType partitionSchema,
    Map<String, String> options) {

  /**
   * The table's columns: data columns, then partition columns, as Spark's file tables order them.
   */
  StructType schema() {
    List<StructField> fields = new ArrayList<>(Arrays.asList(dataSchema.fields()));
    fields.addAll(Arrays.asList(partitionSchema.fields()));
    return new StructType(fields.toArray(new StructField[0]));
  }

  /** Lists the files under the {@code path}/{@code paths} options and infers their schema. */
  static FileSet discover(SparkSession spark, Map<String, String> options, StructType userSchema) {
    List<String> paths = paths(options);
    if (paths.isEmpty()) {
      throw new IllegalArgumentException(
          "format(\"trueno\") needs at least one path: load(path), or option(\"path\", ...)"
              + " / LOCATION in CREATE TABLE");
    }
    scala.collection.immutable.Map<String, String> scalaOptions =
        scala.collection.immutable.Map.from(CollectionConverters.asScala(options));
    Configuration hadoopConf = spark.sessionState().newHadoopConfWithOptions(scalaOptions);
    boolean glob = new CaseInsensitiveStringMap(options).getBoolean("globPaths", true);
    Seq<Path> roots =
        DataSource$.MODULE$.checkAndGlobPathIfNecessary(
            CollectionConverters.asScala(paths).toList(),
            hadoopConf,
            true,
            true,
            DataSource$.MODULE$.checkAndGlobPathIfNecessary$default$5(),
            glob);
    InMemoryFileIndex index =
        new InMemoryFileIndex(
            spark,
            roots,
            scalaOptions,
            Option.apply(userSchema),
            FileStatusCache$.MODULE$.getOrCreate(spark),
            Option.empty(),
            Option.empty());
    StructType partitionSchema = index.partitionSchema();
    StructType stored;
    if (userSchema != null) {
      stored = userSchema;
    } else {
      Option<StructType> inferred =
          new ParquetFileFormat().inferSchema(spark, scalaOptions, index.allFiles());
      if (inferred.isEmpty()) {
        throw (RuntimeException) QueryCompilationErrors.dataSchemaNotSpecifiedError("Parquet");
      }
      stored = inferred.get();
    }
    // A column that is also a partition folder takes the folder's value, as in Spark's tables.
    List<StructField> data = new ArrayList<>();
    for (StructField f : stored.fields()) {
      if (!contains(partitionSchema, f.name())) {
        data.add(f);
      }
    }
    return new FileSet(
        index, new StructType(data.toArray(new StructField[0])), partitionSchema, options);
  }

  static boolean contains(StructType schema, String name) {
    boolean caseSensitive = SQLConf.get().caseSensitiveAnalysis();
    for (StructField f : schema.fields()) {
      if (caseSensitive ? f.name().equals(name) : f.name().equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The paths of a read: DataFrameReader passes several as a JSON array in {@code paths}, one in
   * {@code path}; a catalog table passes its location in {@code path}.
   */
  static List<String> paths(Map<String, String> options) {
    CaseInsensitiveStringMap opts = new CaseInsensitiveStringMap(options);
    List<String> paths = new ArrayList<>();
    String many = opts.get("paths");
    if (many != null) {
      try {
        paths.addAll(Arrays.asList(new ObjectMapper().readValue(many, String[].class)));
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(
            "The paths option of format(\"trueno\") is not a JSON array of strings: " + many, e);
      }
    }
    String one = opts.get("path");
    if (one != null) {
      paths.add(one);
    }
    return paths;
  }
}
