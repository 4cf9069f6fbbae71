package dev.trueno.spark.scan;

import java.io.Serializable;
import org.apache.spark.sql.types.DataType;

/**
 * One column of the scan's output: a column of the Parquet files, or a partition column whose value
 * comes from the file's folder.
 *
 * @param name the column name as the query sees it
 * @param type Spark's type of the column
 * @param partitionIndex the column's index in the partition values of each file, or -1 for a column
 *     read from the files
 */
record ReadColumn(String name, DataType type, int partitionIndex) implements Serializable {
  boolean isPartition() {
    return partitionIndex >= 0;
  }
}
