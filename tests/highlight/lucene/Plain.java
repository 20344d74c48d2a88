import java.util.*;
import java.nio.file.*;
import org.apache.lucene.analysis.*;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.*;
import org.apache.lucene.search.highlight.*;

/** Lucene's plain Highlighter as Elasticsearch's PlainHighlighter drives it. Input lines (tab-separated):
 *  text, fragmenter (span|simple|none), fragment size, number of fragments, query terms (space-separated;
 *  a term with '+' joins phrase words). Output: the fragments with score > 0, best first, one JSON array per line. */
public class Plain {
    static String esc(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 32 || c > 126) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
    public static void main(String[] args) throws Exception {
        Analyzer analyzer = new StandardAnalyzer(CharArraySet.EMPTY_SET);
        StringBuilder sb = new StringBuilder("[\n");
        List<String> lines = Files.readAllLines(Paths.get(args[0]));
        for (int li = 0; li < lines.size(); li++) {
            String[] p = lines.get(li).split("\t");
            String text = p[0], kind = p[1];
            int size = Integer.parseInt(p[2]), n = Integer.parseInt(p[3]);
            BooleanQuery.Builder bq = new BooleanQuery.Builder();
            for (String t : p[4].split(" ")) {
                if (t.contains("+")) {
                    PhraseQuery.Builder pq = new PhraseQuery.Builder();
                    for (String w : t.split("\\+")) pq.add(new Term("f", w));
                    bq.add(pq.build(), BooleanClause.Occur.SHOULD);
                } else {
                    bq.add(new TermQuery(new Term("f", t)), BooleanClause.Occur.SHOULD);
                }
            }
            Query query = bq.build();
            QueryScorer scorer = new QueryScorer(query, "f");
            scorer.setExpandMultiTermQuery(true);
            Fragmenter fragmenter = n == 0 ? new NullFragmenter()
                : kind.equals("simple") ? new SimpleFragmenter(size) : new SimpleSpanFragmenter(scorer, size);
            Highlighter h = new Highlighter(new SimpleHTMLFormatter("<em>", "</em>"), new DefaultEncoder(), scorer);
            h.setTextFragmenter(fragmenter);
            h.setMaxDocCharsToAnalyze(Integer.MAX_VALUE);
            TextFragment[] frags = h.getBestTextFragments(analyzer.tokenStream("f", text), text, false, n == 0 ? 1 : n);
            sb.append("  {\"text\": ").append(esc(text)).append(", \"fragmenter\": \"").append(kind)
              .append("\", \"fragment_size\": ").append(size).append(", \"number_of_fragments\": ").append(n)
              .append(", \"terms\": ").append(esc(p[4])).append(", \"fragments\": [");
            boolean first = true;
            for (TextFragment f : frags) {
                if (f != null && f.getScore() > 0) {
                    sb.append(first ? "" : ", ").append(esc(f.toString()));
                    first = false;
                }
            }
            sb.append("]}").append(li + 1 < lines.size() ? ",\n" : "\n");
        }
        System.out.print(sb.append("]\n"));
    }
}
