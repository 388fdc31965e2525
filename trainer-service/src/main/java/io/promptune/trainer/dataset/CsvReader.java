package io.promptune.trainer.dataset;

import io.promptune.api.v1.Split;
import java.util.ArrayList;
import java.util.List;

/**
 * A small RFC 4180 reader: comma-separated, fields optionally in double quotes, "" escapes a quote inside a quoted
 * field, quoted fields may span lines, CRLF or LF line ends. In TSV mode (quoting off) a record is one line split
 * on tabs and quotes are ordinary characters, as GLUE-style TSV files expect. Each row knows the line it starts on.
 */
final class CsvReader {

  record Row(int line, List<String> fields, boolean blank) {}

  private final String text;
  private final char delimiter;
  private final boolean quoting;
  private final Split split;
  private int pos;
  private int line = 1;

  CsvReader(String text, char delimiter, boolean quoting, Split split) {
    this.text = text;
    this.delimiter = delimiter;
    this.quoting = quoting;
    this.split = split;
  }

  /** The next row, or null at the end of the text. */
  Row next() {
    if (pos >= text.length()) {
      return null;
    }
    int startLine = line;
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean anyQuoted = false;
    while (true) {
      if (pos >= text.length()) {
        fields.add(field.toString());
        break;
      }
      char ch = text.charAt(pos);
      if (quoting && ch == '"' && field.isEmpty()) {
        anyQuoted = true;
        readQuoted(field);
        // After the closing quote: a delimiter, a line end or the end of the text.
        if (pos < text.length()) {
          char after = text.charAt(pos);
          if (after != delimiter && after != '\n' && after != '\r') {
            throw new DatasetFormatException(split, line,
                "unexpected character '" + after + "' after a closing quote (quotes inside a field are written \"\")");
          }
        }
        continue;
      }
      if (ch == delimiter) {
        fields.add(field.toString());
        field.setLength(0);
        pos++;
        continue;
      }
      if (ch == '\r' && pos + 1 < text.length() && text.charAt(pos + 1) == '\n') {
        pos++;
        continue;
      }
      if (ch == '\n') {
        pos++;
        line++;
        fields.add(field.toString());
        break;
      }
      field.append(ch);
      pos++;
    }
    boolean blank = fields.size() == 1 && fields.get(0).isBlank() && !anyQuoted;
    return new Row(startLine, fields, blank);
  }

  private void readQuoted(StringBuilder field) {
    int openLine = line;
    pos++; // opening quote
    while (true) {
      if (pos >= text.length()) {
        throw new DatasetFormatException(split, openLine, "quoted field is never closed");
      }
      char ch = text.charAt(pos);
      if (ch == '"') {
        if (pos + 1 < text.length() && text.charAt(pos + 1) == '"') {
          field.append('"');
          pos += 2;
          continue;
        }
        pos++;
        return;
      }
      if (ch == '\n') {
        line++;
      }
      field.append(ch);
      pos++;
    }
  }
}
