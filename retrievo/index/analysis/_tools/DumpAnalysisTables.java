/*
 * Dumps the character data that retrievo's analysis package needs, as one JSON object, from the
 * same sources Elasticsearch/Lucene 8.8 use at run time:
 *
 *  - Unicode 9.0 word-break, line-break, script, block and category sets, read through JFlex 1.7's
 *    own property tables (JFlex 1.7 with "%unicode 9.0" generated Lucene 8's StandardTokenizerImpl);
 *  - the JVM's Character.toLowerCase / toUpperCase / isLetter / isWhitespace (the JVM that ran the
 *    goldens: OpenJDK 17, Unicode 13);
 *  - ASCIIFoldingFilter.foldToASCII applied to every BMP char;
 *  - StandardTokenizerImpl's character-class map (read reflectively), only so that the generator
 *    can check that its own partition of the code points matches the one Lucene's scanner uses.
 *
 * Build and run (Debian: apt-get install default-jdk-headless jflex liblucene8-java):
 *   CP=/usr/share/java/jflex-1.7.0.jar:/usr/share/java/lucene-core-8.7.0.jar:/usr/share/java/lucene-analyzers-common-8.7.0.jar
 *   javac -cp $CP -d /tmp/dump DumpAnalysisTables.java && java -cp $CP:/tmp/dump DumpAnalysisTables > tables.json
 */
import java.lang.reflect.Field;
import java.util.List;

import jflex.IntCharSet;
import jflex.Interval;
import jflex.unicode.UnicodeProperties;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;

public class DumpAnalysisTables {
  private static final String[] PROPERTIES = {
    "wb=format", "wb=extend", "wb=zwj", "wb=regionalindicator", "wb=aletter", "wb=hebrewletter",
    "wb=numeric", "blk=halfandfullforms", "nd", "wb=katakana", "wb=midletter", "wb=midnumlet",
    "wb=singlequote", "wb=midnum", "wb=extendnumlet", "wb=doublequote", "sc=han", "sc=hiragana",
    "sc=hangul", "lb=complexcontext",
  };

  private static void ranges(StringBuilder sb, List<Interval> intervals) {
    sb.append('[');
    boolean first = true;
    for (Interval iv : intervals) {
      if (!first) sb.append(',');
      first = false;
      sb.append('[').append(iv.start).append(',').append(iv.end).append(']');
    }
    sb.append(']');
  }

  private interface CodePointPredicate { boolean test(int cp); }

  private static void predicateRanges(StringBuilder sb, CodePointPredicate p) {
    sb.append('[');
    boolean first = true;
    int start = -1;
    for (int cp = 0; cp <= 0x110000; cp++) {
      boolean in = cp <= 0x10FFFF && p.test(cp);
      if (in && start < 0) start = cp;
      if (!in && start >= 0) {
        if (!first) sb.append(',');
        first = false;
        sb.append('[').append(start).append(',').append(cp - 1).append(']');
        start = -1;
      }
    }
    sb.append(']');
  }

  public static void main(String[] args) throws Exception {
    StringBuilder sb = new StringBuilder("{\n\"java_version\": \"" + System.getProperty("java.version") + "\",\n");
    sb.append("\"unicode9\": {\n");
    UnicodeProperties props = new UnicodeProperties("9.0");
    for (int i = 0; i < PROPERTIES.length; i++) {
      sb.append('"').append(PROPERTIES[i]).append("\": ");
      ranges(sb, props.getIntCharSet(PROPERTIES[i]).getIntervals());
      sb.append(i + 1 < PROPERTIES.length ? ",\n" : "\n");
    }
    sb.append("},\n\"lower\": [");
    boolean first = true;
    for (int cp = 0; cp <= 0x10FFFF; cp++) {
      int l = Character.toLowerCase(cp);
      if (l != cp) { sb.append(first ? "" : ",").append('[').append(cp).append(',').append(l).append(']'); first = false; }
    }
    sb.append("],\n\"upper\": [");
    first = true;
    for (int cp = 0; cp <= 0x10FFFF; cp++) {
      int u = Character.toUpperCase(cp);
      if (u != cp) { sb.append(first ? "" : ",").append('[').append(cp).append(',').append(u).append(']'); first = false; }
    }
    sb.append("],\n\"letter\": ");
    predicateRanges(sb, Character::isLetter);
    sb.append(",\n\"whitespace\": ");
    predicateRanges(sb, Character::isWhitespace);
    sb.append(",\n\"ascii_folding\": {");
    char[] in = new char[1];
    char[] out = new char[8];
    first = true;
    for (int c = 0x80; c <= 0xFFFF; c++) {
      in[0] = (char) c;
      int n = ASCIIFoldingFilter.foldToASCII(in, 0, out, 0, 1);
      if (n == 1 && out[0] == c) continue;
      sb.append(first ? "" : ",").append('"').append(c).append("\": \"");
      for (int k = 0; k < n; k++) sb.append(String.format("\\u%04x", (int) out[k]));
      sb.append('"');
      first = false;
    }
    sb.append("},\n\"lucene_cmap\": ");
    Class<?> impl = Class.forName("org.apache.lucene.analysis.standard.StandardTokenizerImpl");
    Field f = impl.getDeclaredField("ZZ_CMAP");
    f.setAccessible(true);
    char[] cmap = (char[]) f.get(null);
    // run-length encoded: [start, class] pairs
    sb.append('[');
    first = true;
    int prev = -1;
    for (int cp = 0; cp < cmap.length; cp++) {
      if (cmap[cp] != prev) {
        sb.append(first ? "" : ",").append('[').append(cp).append(',').append((int) cmap[cp]).append(']');
        first = false;
        prev = cmap[cp];
      }
    }
    sb.append("]\n}\n");
    System.out.print(sb);
  }
}
