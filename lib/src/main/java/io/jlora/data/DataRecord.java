package io.jlora.data;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One record of a dataset file, as read: its values by column (strings, numbers or JSON
 * structures such as message lists) and the 1-based line where it starts, for error messages.
 */
public record DataRecord(long line, ObjectNode values) {}
