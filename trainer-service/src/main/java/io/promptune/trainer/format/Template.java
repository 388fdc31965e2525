package io.promptune.trainer.format;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** A "{field}" template; "{{" and "}}" stand for literal braces. */
public final class Template {

  private final String source;
  private final List<String> literals = new ArrayList<>(); // literals.size() == fields.size() + 1
  private final List<String> fields = new ArrayList<>();

  private Template(String source) {
    this.source = source;
  }

  /** @throws IllegalArgumentException naming the problem and its position */
  public static Template parse(String source) {
    Template t = new Template(source);
    StringBuilder lit = new StringBuilder();
    int i = 0;
    while (i < source.length()) {
      char c = source.charAt(i);
      if (c == '{') {
        if (i + 1 < source.length() && source.charAt(i + 1) == '{') {
          lit.append('{');
          i += 2;
          continue;
        }
        int close = source.indexOf('}', i + 1);
        if (close < 0) {
          throw new IllegalArgumentException("unclosed '{' at position " + i + " in \"" + source + "\"");
        }
        String name = source.substring(i + 1, close);
        if (name.isEmpty() || name.contains("{")) {
          throw new IllegalArgumentException("bad placeholder at position " + i + " in \"" + source + "\"");
        }
        t.literals.add(lit.toString());
        lit.setLength(0);
        t.fields.add(name);
        i = close + 1;
      } else if (c == '}') {
        if (i + 1 < source.length() && source.charAt(i + 1) == '}') {
          lit.append('}');
          i += 2;
          continue;
        }
        throw new IllegalArgumentException("unmatched '}' at position " + i + " in \"" + source + "\" (write }})");
      } else {
        lit.append(c);
        i++;
      }
    }
    t.literals.add(lit.toString());
    return t;
  }

  /** Placeholder names, sorted and distinct. */
  public List<String> fields() {
    return List.copyOf(new TreeSet<>(fields));
  }

  public String source() {
    return source;
  }

  /** @throws IllegalArgumentException when a placeholder has no value */
  public String render(Map<String, String> values) {
    StringBuilder out = new StringBuilder(literals.get(0));
    for (int i = 0; i < fields.size(); i++) {
      String v = values.get(fields.get(i));
      if (v == null) {
        throw new IllegalArgumentException("no field \"" + fields.get(i) + "\"");
      }
      out.append(v).append(literals.get(i + 1));
    }
    return out.toString();
  }
}
