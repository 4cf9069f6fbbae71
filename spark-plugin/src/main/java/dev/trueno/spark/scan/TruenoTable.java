package dev.trueno.spark.scan;

import java.util.EnumSet;
import java.util.Set;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/** A set of Parquet files read by the Trueno scan (read only). */
final class TruenoTable implements SupportsRead {
  private final FileSet files;

  TruenoTable(FileSet files) {
    this.files = files;
  }

  @Override
  public String name() {
    return "trueno " + String.join(", ", FileSet.paths(files.options()));
  }

  @Override
  public StructType schema() {
    return files.schema();
  }

  @Override
  public Set<TableCapability> capabilities() {
    return EnumSet.of(TableCapability.BATCH_READ);
  }

  @Override
  public ScanBuilder newScanBuilder(CaseInsensitiveStringMap options) {
    return new TruenoScanBuilder(files);
  }
}
