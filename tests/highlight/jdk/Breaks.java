import java.text.BreakIterator;
import java.util.*;
import java.nio.file.*;

public class Breaks {
    static String esc(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 32 || c > 126) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
    static String bounds(BreakIterator bi, String text) {
        bi.setText(text);
        List<Integer> out = new ArrayList<>();
        for (int p = bi.first(); p != BreakIterator.DONE; p = bi.next()) out.add(p);
        return out.toString();
    }
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Paths.get(args[0]));
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).replace("\\n", "\n");
            sb.append("  {\"text\": ").append(esc(t))
              .append(", \"sentence\": ").append(bounds(BreakIterator.getSentenceInstance(Locale.ROOT), t))
              .append(", \"word\": ").append(bounds(BreakIterator.getWordInstance(Locale.ROOT), t))
              .append("}").append(i + 1 < lines.size() ? ",\n" : "\n");
        }
        System.out.print(sb.append("]\n"));
    }
}
