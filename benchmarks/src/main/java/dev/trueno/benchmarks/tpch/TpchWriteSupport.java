package dev.trueno.benchmarks.tpch;

import io.trino.tpch.TpchColumn;
import io.trino.tpch.TpchEntity;
import io.trino.tpch.TpchTable;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * Writes generator entities straight into Parquet's record consumer, so no intermediate row object
 * is built per generated row.
 */
final class TpchWriteSupport<E extends TpchEntity> extends WriteSupport<E> {
  private final TpchTable<E> table;
  private final List<TpchColumn<E>> columns;
  private final MessageType schema;
  private RecordConsumer consumer;

  TpchWriteSupport(TpchTable<E> table) {
    this.table = table;
    this.columns = table.getColumns();
    this.schema = TpchParquetSchema.of(table);
  }

  @Override
  public WriteContext init(ParquetConfiguration configuration) {
    return new WriteContext(schema, Map.of("tpch.table", table.getTableName()));
  }

  @Override
  @SuppressWarnings("deprecation") // still abstract in parquet-mr 1.16, so it must be implemented
  public WriteContext init(Configuration configuration) {
    return new WriteContext(schema, Map.of("tpch.table", table.getTableName()));
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    this.consumer = recordConsumer;
  }

  @Override
  public void write(E entity) {
    consumer.startMessage();
    for (int i = 0; i < columns.size(); i++) {
      TpchColumn<E> column = columns.get(i);
      consumer.startField(column.getColumnName(), i);
      switch (column.getType().getBase()) {
        case IDENTIFIER, DOUBLE -> consumer.addLong(column.getIdentifier(entity));
        case INTEGER -> consumer.addInteger(column.getInteger(entity));
        case DATE -> consumer.addInteger(column.getDate(entity));
        case VARCHAR -> consumer.addBinary(Binary.fromString(column.getString(entity)));
      }
      consumer.endField(column.getColumnName(), i);
    }
    consumer.endMessage();
  }

  /** A parquet-mr writer builder for one table's entities. */
  static final class Builder<E extends TpchEntity> extends ParquetWriter.Builder<E, Builder<E>> {
    private final TpchTable<E> table;

    Builder(OutputFile file, TpchTable<E> table) {
      super(file);
      this.table = table;
    }

    @Override
    protected Builder<E> self() {
      return this;
    }

    @Override
    protected WriteSupport<E> getWriteSupport(ParquetConfiguration configuration) {
      return new TpchWriteSupport<>(table);
    }

    @Override
    @SuppressWarnings("deprecation") // still abstract in parquet-mr 1.16, so it must be implemented
    protected WriteSupport<E> getWriteSupport(Configuration configuration) {
      return new TpchWriteSupport<>(table);
    }
  }
}
