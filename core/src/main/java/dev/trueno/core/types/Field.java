package dev.trueno.core.types;

/**
 * A named, typed column of a batch.
 *
 * @param name the column name (for messages and Arrow schemas)
 * @param type the value type
 * @param nullable whether the column may hold nulls
 */
public record Field(String name, DataType type, boolean nullable) implements java.io.Serializable {}
