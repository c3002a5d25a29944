package org.idlegrid.coordinator.store;

import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The current row of a result set, with its columns found by name through an index built once
 * per statement. (The driver resolves a name by asking SQLite for every column's name again on
 * each query: with {@code SELECT *} over wide tables that was a third of the engine's time in
 * the fleet simulator's profile.)
 */
final class Row {
  private final ResultSet rs;
  private final Map<String, Integer> columns;

  Row(ResultSet rs, Map<String, Integer> columns) {
    this.rs = rs;
    this.columns = columns;
  }

  /** The name → 1-based index map of a result set's columns (by label: {@code u.id} is {@code id}). */
  static Map<String, Integer> columnsOf(ResultSet rs) throws SQLException {
    ResultSetMetaData meta = rs.getMetaData();
    Map<String, Integer> out = new HashMap<>();
    for (int i = 1; i <= meta.getColumnCount(); i++) {
      out.putIfAbsent(meta.getColumnLabel(i), i);
    }
    return Map.copyOf(out);
  }

  private int index(String column) throws SQLException {
    Integer i = columns.get(column);
    if (i == null) {
      throw new SQLException("no column " + column + " in the result (columns: " + columns.keySet() + ")");
    }
    return i;
  }

  String getString(String column) throws SQLException {
    return rs.getString(index(column));
  }

  String getString(int i) throws SQLException {
    return rs.getString(i);
  }

  long getLong(String column) throws SQLException {
    return rs.getLong(index(column));
  }

  long getLong(int i) throws SQLException {
    return rs.getLong(i);
  }

  int getInt(String column) throws SQLException {
    return rs.getInt(index(column));
  }

  int getInt(int i) throws SQLException {
    return rs.getInt(i);
  }

  double getDouble(String column) throws SQLException {
    return rs.getDouble(index(column));
  }

  double getDouble(int i) throws SQLException {
    return rs.getDouble(i);
  }

  boolean getBoolean(String column) throws SQLException {
    return rs.getBoolean(index(column));
  }

  boolean getBoolean(int i) throws SQLException {
    return rs.getBoolean(i);
  }

  /** Was the last column read SQL NULL? */
  boolean wasNull() throws SQLException {
    return rs.wasNull();
  }
}
